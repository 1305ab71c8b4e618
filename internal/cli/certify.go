package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/docs"
	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

// runCertification is the whole of `golive run` (and demo): flags to a
// certify.Request, build, run, report, exit code. Everything that can be
// wrong with the input is found by certify.Build before a request is sent.
func runCertification(gs *GlobalState, o runOptions) error {
	// Every input is checked before --out is touched: a command line that
	// is refused (exit 2) must leave the evidence of an earlier run where
	// it was, intact and verifiable.
	switch o.format {
	case "text", "json":
	default:
		return invalidf("--format %q: want text or json", o.format)
	}
	if o.timeoutSet && o.timeout <= 0 {
		return invalidf("--timeout %s: want a positive duration such as 10s", o.timeout)
	}
	if len(o.specs) == 0 && len(o.suites) == 0 {
		return invalidf("--spec is required: a built-in API (%s) or an OpenAPI file", strings.Join(builtinAPIs(), ", "))
	}
	req, err := o.request(gs)
	if err != nil {
		return err
	}
	if err := checkOut(o.out); err != nil {
		return err
	}
	if o.publish != "" {
		// A run that cannot be published is found out before it runs, not
		// after the whole certification.
		if err := checkPublish(gs, o.publish); err != nil {
			return invalid(err)
		}
	}
	plan, err := certify.Build(gs.Ctx, req)
	if err != nil {
		return fromCertify(err)
	}
	// The run starts here. From now on no verdict of an earlier run may
	// stand in --out as if it were this one's: this run either writes
	// complete reports (interrupted ones included) or leaves none.
	if err := reports.Clear(o.out); err != nil {
		return invalidf("--out %s: %v", o.out, err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return invalidf("--out %s: %v", o.out, err)
	}

	// Progress: on a terminal a live line (done, failed so far, time left),
	// otherwise a plain log, a line per item.
	term := &reports.Terminal{W: gs.Stdout, Color: useColor(gs), Quiet: o.quiet, Live: gs.IsTTY, Started: time.Now()}
	var obs certify.Observer
	if !o.quiet && o.format == "text" {
		obs = certify.ObserverFunc(term.ItemDone)
	}
	run, err := plan.Run(gs.Ctx, obs)
	if err != nil {
		return fromCertify(err)
	}
	// The FAQ answers the items link to are embedded, so the links work
	// from the report folder.
	if err := reports.WriteAll(o.out, run, reports.WithFAQ(docs.FAQ())); err != nil {
		return internal(fmt.Errorf("write reports: %w", err))
	}
	if o.format == "json" {
		if err := reports.WriteJSON(gs.Stdout, run); err != nil {
			return internal(err)
		}
	} else {
		term.Summary(run)
		fmt.Fprintf(gs.Stdout, "Reports: %s\n", o.out)
	}
	if o.publish != "" {
		// The verdict stands whatever the upload does; a failed upload is
		// an internal error so that a pipeline notices it.
		link, err := publishRun(gs, o.publish, o.out)
		if err != nil {
			return internal(err)
		}
		fmt.Fprintf(gs.Stderr, "Published to %s\n", link)
	}
	return exit(verdictCode(run))
}

// checkOut refuses an --out that cannot be a report folder (a file is in
// the way), without changing anything on disk. A folder that does not
// exist yet is made when the run starts.
func checkOut(out string) error {
	if out == "" {
		return invalidf("--out: want a folder for the reports")
	}
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return invalidf("--out %s: %v", out, err)
	case !fi.IsDir():
		return invalidf("--out %s: not a folder", out)
	}
	return nil
}

// verdictCode is the process exit code of a finished run.
func verdictCode(run *results.Run) exitcode.Code { return run.Verdict.ExitCode }

// request translates the flags of run and demo into a certify.Request.
func (o runOptions) request(gs *GlobalState) (certify.Request, error) {
	vars, err := parseVars(o.vars)
	if err != nil {
		return certify.Request{}, invalid(err)
	}
	derived, err := derivedMode(o.derived, o.noDerived)
	if err != nil {
		return certify.Request{}, err
	}
	return certify.Request{
		APIs:   o.specs,
		Suites: o.suites,
		Target: certify.Target{
			BaseURL: o.target, Environment: o.env, Partner: o.partner, Headers: o.headers,
			ReceiverURL: o.webhookURL, CAFile: o.caFile,
		},
		Credentials: certify.Credentials{LookupEnv: gs.LookupEnv, Vars: vars, RejectUnknownVars: true},
		Options: certify.Options{
			Seed: o.seed, Derived: derived, SettleDeadline: o.settle, AllowWrites: o.allowWrites, AllowRemoteRefs: o.remoteRefs,
			Timeout: o.requestTimeout(), Concurrency: o.concurrency,
			CallbackListen: o.callbackListen, CallbackURL: o.callbackURL, Version: gs.Version,
		},
	}, nil
}

// requestTimeout is --timeout when it was given; zero lets each checklist's
// defaults.timeout apply.
func (o runOptions) requestTimeout() time.Duration {
	if !o.timeoutSet {
		return 0
	}
	return o.timeout
}

// flags names the flag of each request field, for error messages.
var flags = map[certify.Field]string{
	certify.FieldAPIs:           "--spec",
	certify.FieldSuites:         "--suite",
	certify.FieldTarget:         "--target",
	certify.FieldEnvironment:    "--env",
	certify.FieldHeaders:        "--header",
	certify.FieldVars:           "--var",
	certify.FieldReceiverURL:    "--webhook-url",
	certify.FieldCAFile:         "--ca-file",
	certify.FieldTimeout:        "--timeout",
	certify.FieldConcurrency:    "--concurrency",
	certify.FieldCallbackListen: "--callback-listen",
	certify.FieldCallbackURL:    "--callback-url",
	certify.FieldRules:          "--rules",
	certify.FieldLatencyBudget:  "--latency-budget",
	certify.FieldSeed:           "--seed",
}

// fromCertify maps a pipeline error to an exit code, naming the flag of
// the field it is about. A document's or suite's problems already name
// FILE:LINE and keep one line each.
func fromCertify(err error) error {
	var bad *certify.InvalidError
	var crash *certify.InternalError
	switch {
	case errors.As(err, &bad):
		flag, ok := flags[bad.Field]
		if !ok || bad.Field == certify.FieldAPIs || bad.Field == certify.FieldSuites {
			return invalid(bad.Err) // a document's or suite's own words: FILE:LINE
		}
		named := *bad
		named.Field = certify.Field(flag)
		return invalid(&named)
	case errors.As(err, &crash):
		return internal(err)
	case errors.Is(err, certify.ErrPlanOnly):
		return internal(err)
	}
	return internal(err)
}

// newSeed picks a run's seed: positive and short enough to retype.
func newSeed() int64 { return rand.Int64N(1<<31) + 1 }

// useColor: colours only on a terminal, and never when NO_COLOR is set.
func useColor(gs *GlobalState) bool {
	if _, set := gs.LookupEnv("NO_COLOR"); set {
		return false
	}
	return gs.IsTTY
}
