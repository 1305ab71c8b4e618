package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// exitInterrupted is the conventional code for a run stopped by Ctrl-C.
const exitInterrupted = 130

// certify is the whole of `golive run`: load, check, run, report, exit code.
// Everything that can be wrong with the input is found before a request is
// sent, and reported with exit code 2.
func certify(gs *GlobalState, o runOptions) error {
	switch o.format {
	case "text", "json":
	default:
		return invalidf("--format %q: want text or json", o.format)
	}
	if o.env != "staging" && o.env != "production" {
		return invalidf("--env %q: want staging or production", o.env)
	}
	if o.timeout <= 0 {
		return invalidf("--timeout %s: want a positive duration such as 10s", o.timeout)
	}
	if o.concurrency < 0 {
		return invalidf("--concurrency %d: want a positive number (0 for the default)", o.concurrency)
	}
	vars, err := parseVars(o.vars)
	if err != nil {
		return invalid(err)
	}
	loader := specs.NewLoader(specs.AllowRemoteRefs(o.remoteRefs))
	jobs, err := pairJobs(gs.Ctx, loader, o.specs, o.suites)
	if err != nil {
		return invalid(err)
	}
	for i := range jobs {
		if jobs[i].API.Name == "webhooks" && o.webhookURL != "" {
			jobs[i].BaseURL = o.webhookURL
		}
	}
	if o.seed == 0 {
		// One seed drives the generated values and the derived requests, and
		// is written to results.json so --seed repeats the run.
		o.seed = newSeed()
	}
	ds := derivedSettings{seed: o.seed, production: o.env == "production", allowWrites: o.allowWrites, force: o.derived}
	if err := addDerived(jobs, ds); err != nil {
		return invalid(err)
	}

	term := &reports.Terminal{W: gs.Stdout, Color: useColor(gs), Quiet: o.quiet}
	showProgress := gs.IsTTY && !o.quiet && o.format == "text"
	progress := runner.WithProgress(func(it results.Item, done, total int) {
		if showProgress {
			term.ItemDone(it, done, total)
		}
	})
	r, err := runner.New(runner.Target{BaseURL: o.target, Environment: o.env, Partner: o.partner, Headers: o.headers},
		jobs, runnerOptions(gs, o, vars, progress)...)
	if err != nil {
		return invalid(err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return invalidf("--out %s: %v", o.out, err)
	}

	run := r.Run(gs.Ctx)
	if err := reports.WriteAll(o.out, run); err != nil {
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
	code := run.Verdict.ExitCode
	if run.Interrupted {
		code = exitInterrupted
	}
	if code == 0 {
		return nil
	}
	return &ExitError{Code: code}
}

// pairJobs matches every API with its checklist. A suite names its API
// ("api: collections"); a built-in API without a given suite gets its
// built-in suite; a suite whose API was not given loads it when it is built-in.
func pairJobs(ctx context.Context, loader *specs.Loader, specArgs, suiteArgs []string) ([]runner.Job, error) {
	if len(specArgs) == 0 && len(suiteArgs) == 0 {
		return nil, fmt.Errorf("--spec is required: a built-in API (%s) or an OpenAPI file", strings.Join(specs.Builtin(), ", "))
	}
	var apis []*specs.API
	for _, s := range specArgs {
		api, err := loader.Load(ctx, s)
		if err != nil {
			return nil, err
		}
		apis = append(apis, api)
	}
	var loaded []*suites.Suite
	for _, s := range suiteArgs {
		suite, err := suites.Load(s)
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, suite)
	}

	var jobs []runner.Job
	used := map[*suites.Suite]bool{}
	for _, api := range apis {
		var match *suites.Suite
		for _, s := range loaded {
			if !used[s] && (s.API == api.Name || len(apis) == 1 && len(loaded) == 1) {
				match = s
				break
			}
		}
		if match == nil {
			if suites.IsBuiltin(api.Name) && specs.IsBuiltin(api.Name) {
				s, err := suites.Load(api.Name)
				if err != nil {
					return nil, err
				}
				match = s
			} else {
				// No checklist: the spec-derived checks certify it alone.
				match = derivedOnlySuite(api.Name)
			}
		}
		used[match] = true
		jobs = append(jobs, runner.Job{API: api, Suite: match})
	}
	for _, s := range loaded {
		if used[s] {
			continue
		}
		if !specs.IsBuiltin(s.API) {
			return nil, fmt.Errorf("%s: its api %q was not given with --spec", s.Source, s.API)
		}
		api, err := loader.Load(ctx, s.API)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, runner.Job{API: api, Suite: s})
	}
	return jobs, nil
}

// useColor: colours only on a terminal, and never when NO_COLOR is set.
func useColor(gs *GlobalState) bool {
	if _, set := gs.LookupEnv("NO_COLOR"); set {
		return false
	}
	return gs.IsTTY
}
