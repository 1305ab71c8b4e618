package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/derive"
)

// runOptions are the flags of `golive run`.
type runOptions struct {
	specs       []string
	suites      []string
	target      string
	headers     []string
	vars        []string
	out         string
	env         string
	partner     string
	concurrency int
	timeout     time.Duration
	seed        int64
	format      string
	quiet       bool
	remoteRefs  bool
	// callbackListen and callbackURL place golive's callback receiver;
	// webhookURL is the partner's webhook receiver (the webhooks API's target).
	callbackListen string
	callbackURL    string
	webhookURL     string
	caFile         string
	allowWrites    bool
	derived        bool
	noDerived      bool
	settle         time.Duration
	// publish is the hub to upload the run to (token: GOLIVE_PUBLISH_TOKEN).
	publish string
	// timeoutSet: --timeout was given, and overrides the checklists'
	// defaults.timeout.
	timeoutSet bool
}

type runCmd struct {
	cmd  *cobra.Command
	opts runOptions
}

func newRunCmd(gs *GlobalState) *runCmd {
	c := &runCmd{}
	c.cmd = &cobra.Command{
		Use:   "run --spec NAME|FILE [--suite NAME|FILE] --target URL",
		Short: "Certify a partner endpoint against a BAU API and its quality checklist",
		Example: `  export GOLIVE_CLIENT_ID=... GOLIVE_API_KEY=...
  golive run --spec collections --target https://staging.partner.example
  golive run --spec my-api.yaml --suite my-checklist.yaml --target https://staging.partner.example \
      --header 'X-Partner-Key: ${PARTNER_KEY}' --var amount=2500.00 --out evidence/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.opts.timeoutSet = cmd.Flags().Changed("timeout")
			return runCertification(gs, c.opts)
		},
	}
	addRunFlags(c.cmd, &c.opts)
	return c
}

// addRunFlags registers the flags `run` and `demo` share.
func addRunFlags(cmd *cobra.Command, o *runOptions) {
	f := cmd.Flags()
	if cmd.Name() == "run" {
		f.StringArrayVar(&o.specs, "spec", nil, "BAU API: a built-in name (see golive list) or an OpenAPI file; repeatable")
		f.StringArrayVar(&o.suites, "suite", nil, "checklist: a built-in name or a suite file; default: the API's built-in suite")
		f.StringVar(&o.target, "target", "", "the partner's base URL, e.g. https://staging.partner.example")
		f.StringArrayVar(&o.headers, "header", nil, `extra header for every request, "Name: value"; value may be ${ENV}`)
		f.StringArrayVar(&o.vars, "var", nil, "suite variable k=v, a name a checklist of the run declares or uses; v may be ${ENV}; repeatable")
		f.StringVar(&o.env, "env", "staging", "environment name of the target: staging or production")
		f.StringVar(&o.partner, "partner", "", "partner name for the reports")
		f.BoolVar(&o.remoteRefs, "allow-remote-refs", false, "let OpenAPI documents fetch $refs over http(s)")
		f.BoolVar(&o.allowWrites, "allow-writes", false, "with --env production, send requests that change data (payments, payouts): checklist and derived items alike")
		f.StringVar(&o.caFile, "ca-file", "", "PEM file of CA certificates to trust besides the system's (a partner's private CA)")
		f.StringVar(&o.webhookURL, "webhook-url", "", "the partner's webhook receiver URL (target of the webhooks API; default --target)")
		f.StringVar(&o.publish, "publish", "", "upload results.json and the reports to this golive hub (token from GOLIVE_PUBLISH_TOKEN)")
	}
	f.StringVar(&o.callbackListen, "callback-listen", "127.0.0.1:0", "address golive's callback receiver listens on")
	f.StringVar(&o.callbackURL, "callback-url", "", "public base URL the partner calls back (e.g. a tunnel to --callback-listen)")
	f.BoolVar(&o.derived, "derived", false, "add every spec-derived check, also those the checklist already covers (same operation, same kind)")
	f.BoolVar(&o.noDerived, "no-derived", false, "run the checklist alone: no spec-derived checks unless the suite asks for them")
	f.DurationVar(&o.settle, "settle-deadline", derive.DefaultSettleDeadline, "how long derived create-then-read checks follow an asynchronous resource (PENDING, PROCESSING) to its final state")
	f.StringVar(&o.out, "out", "golive-report", "folder for results.json, junit.xml, report.html and manifest.json")
	f.IntVar(&o.concurrency, "concurrency", 0, "requests in flight against the target at once; waiting items hold none (default: 2 per CPU, at least 4)")
	f.DurationVar(&o.timeout, "timeout", 0, "time limit of each request; given, it overrides the checklists' defaults.timeout (default: the checklist's, else 10s)")
	f.Int64Var(&o.seed, "seed", 0, "seed for generated values (default: random; recorded in results.json)")
	f.StringVar(&o.format, "format", "text", "what to print on stdout: text (summary) or json (results.json)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print only failures and the verdict")
}

// parseVars reads k=v pairs.
func parseVars(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) == "" {
			// The value is never echoed: it may be a secret typed in the wrong place.
			return nil, fmt.Errorf("--var: want name=value, got %d characters without a name and '='", len(p))
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}
