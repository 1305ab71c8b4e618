package certify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites/tmpl"
)

// Build turns a request into a plan: every input problem is found here,
// before anything is sent, and returned as *InvalidError (or *InternalError
// for golive's own fault).
func Build(ctx context.Context, req Request) (*Plan, error) {
	o := req.Options
	env := req.Target.Environment
	if env == "" {
		env = Staging
	}
	if err := checkOptions(o, env); err != nil {
		return nil, err
	}
	if len(req.APIs) == 0 && len(req.Suites) == 0 && len(req.Jobs) == 0 {
		return nil, invalidf(FieldAPIs, "no API given: a built-in API (%s) or an OpenAPI file", builtinList())
	}
	if o.Seed == 0 {
		// One seed drives generated values and derived requests, and is
		// written to results.json so the same seed repeats the run.
		o.Seed = rand.Int64N(1<<31) + 1
	}
	lookup := req.Credentials.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}

	started := time.Now()
	loader := specs.NewLoader(specs.AllowRemoteRefs(o.AllowRemoteRefs))
	jobs, err := pair(ctx, loader, req.APIs, req.Suites)
	if err != nil {
		return nil, err
	}
	loaded := time.Now()
	jobs = append(jobs, req.Jobs...)
	for _, j := range jobs {
		if j.API == nil || j.Suite == nil {
			return nil, &InternalError{Err: errors.New("a job without an API or a checklist")}
		}
	}
	if err := addDerived(jobs, o, env == Production); err != nil {
		return nil, err
	}
	if req.Credentials.RejectUnknownVars {
		if err := checkVarNames(jobs, req.Credentials.Vars); err != nil {
			return nil, err
		}
	}

	p := &Plan{jobs: jobs, seed: o.Seed, env: env, loadTook: loaded.Sub(started)}
	defer func() { p.planTook = time.Since(loaded) }()
	if env == Production && !o.AllowWrites {
		p.heldBack = holdBackWrites(jobs)
		p.productionSafe = true
	}
	if o.PlanOnly {
		// Environment references are resolved at run time; here only the
		// suites' shape against their documents matters.
		if err := checkSuites(jobs, slices.Sorted(maps.Keys(req.Credentials.Vars)), nil); err != nil {
			return nil, err
		}
		return p, nil
	}

	if err := checkTarget(req.Target, lookup); err != nil {
		return nil, err
	}
	if _, err := doctor.LoadRoots(req.Target.CAFile); err != nil {
		return nil, invalid(FieldCAFile, err)
	}
	if err := checkTLS(req.Target, env); err != nil {
		return nil, err
	}
	p.insecureTLS = req.Target.InsecureSkipVerify
	if err := checkVars(req.Credentials.Vars, lookup); err != nil {
		return nil, err
	}
	if err := checkSuites(jobs, slices.Sorted(maps.Keys(req.Credentials.Vars)), lookup); err != nil {
		return nil, err
	}
	opts := append(runnerOptions(req, o, lookup), runner.WithProgress(p.itemDone))
	r, err := runner.New(runnerTarget(req.Target, env), runnerJobs(jobs, req.Target), opts...)
	if err != nil {
		return nil, asInvalid("", err)
	}
	p.runner = r
	return p, nil
}

func checkOptions(o Options, env string) error {
	switch {
	case env != Staging && env != Production:
		return invalidValue(FieldEnvironment, env, "want %s or %s", Staging, Production)
	case o.Timeout < 0:
		return invalidValue(FieldTimeout, o.Timeout.String(), "want a positive duration such as 10s")
	case o.Concurrency < 0 || o.Concurrency > MaxConcurrency:
		return invalidValue(FieldConcurrency, fmt.Sprint(o.Concurrency), "want 1 to %d (0 for the default)", MaxConcurrency)
	case o.LatencyBudget < 0:
		return invalidValue(FieldLatencyBudget, o.LatencyBudget.String(), "must not be negative")
	case o.Seed < 0:
		return invalidValue(FieldSeed, fmt.Sprint(o.Seed), "want a positive number")
	}
	if o.CallbackURL != "" {
		if err := checkHTTPURL(FieldCallbackURL, o.CallbackURL); err != nil {
			return err
		}
	}
	return nil
}

// checkTarget finds every problem of the target before the runner sees it,
// so each one is typed with its field.
func checkTarget(t Target, lookup func(string) (string, bool)) error {
	if t.BaseURL == "" {
		return invalid(FieldTarget, fmt.Errorf("%w: the partner's base URL, e.g. https://staging.partner.example", ErrMissing))
	}
	if err := checkHTTPURL(FieldTarget, t.BaseURL); err != nil {
		return err
	}
	if t.ReceiverURL != "" {
		if err := checkHTTPURL(FieldReceiverURL, t.ReceiverURL); err != nil {
			return err
		}
	}
	for _, h := range t.Headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		switch {
		case !ok || name == "" || strings.ContainsAny(name, " \t"):
			// Never echo it: a malformed header is often a credential.
			return invalidf(FieldHeaders, "want \"Name: value\", got %d characters without a colon after a header name", len(h))
		case strings.ContainsAny(h, "\r\n\x00"):
			// A line break would smuggle a second header (or a request) in.
			return invalidf(FieldHeaders, "%s: the value holds a line break or NUL, which no header may", name)
		}
		if missing := unsetRefs(value, lookup); missing != "" {
			return invalidf(FieldHeaders, "%s: environment variable %s is not set", name, missing)
		}
	}
	return nil
}

// checkTLS refuses a server name no certificate could carry and skipping
// verification in production.
func checkTLS(t Target, env string) error {
	if n := t.ServerName; n != "" && (len(n) > 253 || strings.ContainsAny(n, " \t\r\n\x00/:@")) {
		return invalidf(FieldServerName, "want a host name such as staging.partner.example")
	}
	if t.InsecureSkipVerify && env == Production {
		return invalidf(FieldInsecureTLS, "certificate verification cannot be skipped in production: a certification must see the certificate production clients see")
	}
	return nil
}

func checkVars(vars map[string]string, lookup func(string) (string, bool)) error {
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if strings.TrimSpace(k) == "" {
			return invalidf(FieldVars, "a variable without a name")
		}
		if missing := unsetRefs(vars[k], lookup); missing != "" {
			return invalidf(FieldVars, "%s: environment variable %s is not set", k, missing)
		}
	}
	return nil
}

// unsetRefs names the first ${ENV} reference of s that is not set.
func unsetRefs(s string, lookup func(string) (string, bool)) string {
	_, missing := tmpl.ExpandEnv(s, lookup)
	if len(missing) > 0 {
		return missing[0]
	}
	return ""
}

// checkHTTPURL accepts an absolute http(s) URL without credentials in it.
func checkHTTPURL(field Field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidValue(field, redactURL(raw), "want an absolute http(s) URL such as https://staging.partner.example")
	}
	if u.User != nil {
		return invalidValue(field, u.Redacted(), "credentials in the URL would end up in reports; pass them as headers or variables")
	}
	return nil
}

// redactURL hides user information even in a URL that does not parse.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		return "xxxxx" + raw[at:]
	}
	return raw
}

func runnerTarget(t Target, env string) runner.Target {
	return runner.Target{BaseURL: t.BaseURL, Environment: env, Partner: t.Partner, Headers: t.Headers}
}

func runnerJobs(jobs []Job, t Target) []runner.Job {
	out := make([]runner.Job, 0, len(jobs))
	for _, j := range jobs {
		rj := runner.Job{API: j.API, Suite: j.Suite}
		if t.ReceiverURL != "" && j.API.Receiver() {
			rj.BaseURL = t.ReceiverURL
		}
		out = append(out, rj)
	}
	return out
}

func runnerOptions(req Request, o Options, lookup func(string) (string, bool)) []runner.Option {
	opts := []runner.Option{
		runner.WithVars(req.Credentials.Vars),
		runner.WithEnv(lookup),
		runner.WithSeed(o.Seed),
	}
	if o.Timeout > 0 {
		// Asked for explicitly: every request gets it, whatever the
		// checklists' defaults.timeout say.
		opts = append(opts, runner.WithTimeoutOverride(o.Timeout))
	} else {
		opts = append(opts, runner.WithTimeout(DefaultTimeout))
	}
	if o.Version != "" {
		opts = append(opts, runner.WithVersion(o.Version))
	}
	if o.Concurrency > 0 {
		opts = append(opts, runner.WithConcurrency(o.Concurrency))
	}
	if o.LatencyBudget > 0 {
		opts = append(opts, runner.WithLatencyBudget(o.LatencyBudget))
	}
	if req.Target.CAFile != "" {
		opts = append(opts, runner.WithCAFile(req.Target.CAFile))
	}
	if req.Target.ServerName != "" {
		opts = append(opts, runner.WithServerName(req.Target.ServerName))
	}
	if req.Target.InsecureSkipVerify {
		opts = append(opts, runner.WithInsecureSkipVerify())
	}
	if o.CallbackListen != "" {
		opts = append(opts, runner.WithCallbackListen(o.CallbackListen))
	}
	if o.CallbackURL != "" {
		opts = append(opts, runner.WithCallbackURL(o.CallbackURL))
	}
	return opts
}
