package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// planOptions are the flags of `golive plan`.
type planOptions struct {
	spec        string
	suite       string
	env         string
	allowWrites bool
	derived     bool
	seed        int64
	remoteRefs  bool
	format      string
	rules       []string
	latency     time.Duration
}

type planCmd struct {
	cmd  *cobra.Command
	opts planOptions
}

func newPlanCmd(gs *GlobalState) *planCmd {
	c := &planCmd{}
	c.cmd = &cobra.Command{
		Use:   "plan --spec NAME|FILE [--suite NAME|FILE]",
		Short: "Print the checks a run would make, without sending a request",
		Long: `plan loads the OpenAPI document (and the checklist, if any) and prints every
check golive would run: the checklist's items and the spec-derived checks
(valid, invalid, unauthenticated and boundary requests, create-then-read
flows, the latency budget), one line each, then the count per rule and how
long loading and planning took. Nothing is sent.

A document that cannot be loaded is one line naming the file and the cause
(exit code 2). Remote $refs are not fetched unless --allow-remote-refs.`,
		Example: `  golive plan --spec collections
  golive plan --spec partner-openapi.yaml --env production --seed 42
  golive plan --spec partner-openapi.yaml --format json | jq '.items | length'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.StringVar(&c.opts.spec, "spec", "", "BAU API: a built-in name (see golive list) or an OpenAPI file")
	f.StringVar(&c.opts.suite, "suite", "", "checklist: a built-in name or a suite file; default: the API's built-in suite, if any")
	f.StringVar(&c.opts.env, "env", "staging", "environment of the target: staging or production (production plans only operations that change nothing)")
	f.BoolVar(&c.opts.allowWrites, "allow-writes", false, "with --env production, plan operations that change state too")
	f.BoolVar(&c.opts.derived, "derived", false, "add spec-derived checks even where the suite does not switch them on (as golive run --derived)")
	f.Int64Var(&c.opts.seed, "seed", 0, "seed for generated values (default: random, printed)")
	f.BoolVar(&c.opts.remoteRefs, "allow-remote-refs", false, "let the OpenAPI document fetch $refs over http(s)")
	f.StringVar(&c.opts.format, "format", "text", "text (one line per check) or json")
	f.StringSliceVar(&c.opts.rules, "rules", nil, "derived rules to plan (default all): positive, negative, auth, boundary, stateful, latency")
	f.DurationVar(&c.opts.latency, "latency-budget", 0, "per-response budget of the derived latency check (default: the suite's, else 2s)")
	return c
}

// plannedCheck is one line of the plan.
type plannedCheck struct {
	ID       string `json:"id"`
	Source   string `json:"source"` // suite or derived
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity"`
	Method   string `json:"method,omitempty"`
	Path     string `json:"path,omitempty"`
	Title    string `json:"title"`
	Skip     string `json:"skip,omitempty"`
}

// planReport is `golive plan --format json`.
type planReport struct {
	Spec       string         `json:"spec"`
	OpenAPI    string         `json:"openapi"`
	Operations int            `json:"operations"`
	Suite      string         `json:"suite,omitempty"`
	Seed       int64          `json:"seed"`
	Env        string         `json:"environment"`
	Items      []plannedCheck `json:"items"`
	Counts     map[string]int `json:"counts"` // per derived rule, and "suite"
	LoadMs     int64          `json:"loadMs"`
	PlanMs     int64          `json:"planMs"`
}

func (c *planCmd) run(gs *GlobalState) error {
	o := c.opts
	switch {
	case o.spec == "":
		return invalidf("--spec is required: a built-in API (%s) or an OpenAPI file", strings.Join(specs.Builtin(), ", "))
	case o.format != "text" && o.format != "json":
		return invalidf("--format %q: want text or json", o.format)
	case o.env != "staging" && o.env != "production":
		return invalidf("--env %q: want staging or production", o.env)
	}
	seed := o.seed
	if seed == 0 {
		seed = newSeed()
	}

	// The same pairing and the same derived-check rules as golive run, so
	// the plan is exactly what a run would send.
	start := time.Now()
	loader := specs.NewLoader(specs.AllowRemoteRefs(o.remoteRefs))
	var suiteArgs []string
	if o.suite != "" {
		suiteArgs = []string{o.suite}
	}
	jobs, err := pairJobs(gs.Ctx, loader, []string{o.spec}, suiteArgs)
	if err != nil {
		return invalid(fmt.Errorf("%s", oneLineError(err)))
	}
	api := jobs[0].API
	var suite *suites.Suite
	if !isDerivedOnly(jobs[0].Suite) {
		suite = jobs[0].Suite
		// Environment references are resolved at run time; here only the
		// suite's shape against the document matters.
		if err := suites.Check(suite, api, nil, nil); err != nil {
			return invalid(fmt.Errorf("%s", oneLineError(err)))
		}
	}
	loaded := time.Now()

	ds := derivedSettings{seed: seed, production: o.env == "production", allowWrites: o.allowWrites,
		force: o.derived, rules: o.rules, latency: o.latency}
	checklist := len(jobs[0].Suite.Items)
	err = addDerived(jobs, ds)
	if err != nil {
		if strings.Contains(err.Error(), "internal error") {
			return internal(err)
		}
		return invalid(err)
	}
	derived := jobs[0].Suite.Items[checklist:]
	planned := time.Now()

	rep := planReport{
		Spec: api.Source, OpenAPI: api.Doc.OpenAPI, Operations: len(api.Operations()), Seed: seed, Env: o.env,
		Counts: map[string]int{}, LoadMs: loaded.Sub(start).Milliseconds(), PlanMs: planned.Sub(loaded).Milliseconds(),
	}
	if suite != nil {
		rep.Suite = suite.Source
		for _, it := range suite.Items {
			rep.Items = append(rep.Items, describeCheck(api, it, "suite"))
			rep.Counts["suite"]++
		}
	}
	for _, it := range derived {
		pc := describeCheck(api, it, "derived")
		rep.Items = append(rep.Items, pc)
		rep.Counts[pc.Rule]++
	}
	if o.format == "json" {
		enc := json.NewEncoder(gs.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // flows read "POST /x -> GET /y"
		if err := enc.Encode(rep); err != nil {
			return internal(err)
		}
		return nil
	}
	return printPlan(gs, rep, loaded.Sub(start), planned.Sub(loaded))
}

// describeCheck is an item's line: the operation of its first step (a flow
// names the others after an arrow).
func describeCheck(api *specs.API, it *suites.Item, source string) plannedCheck {
	pc := plannedCheck{ID: it.ID, Source: source, Severity: string(it.Severity), Title: it.Title, Skip: it.Skip}
	if source == "derived" {
		pc.Rule = strings.TrimPrefix(it.Group, "derived.")
	}
	var methods, paths []string
	for _, st := range it.Steps() {
		if op := api.Operation(st.Operation); op != nil {
			methods = append(methods, op.Method)
			paths = append(paths, op.Path)
		}
	}
	switch {
	case it.Latency != nil:
		pc.Method, pc.Path = "-", "(every response)"
	case len(methods) == 1:
		pc.Method, pc.Path = methods[0], paths[0]
	case len(methods) > 1:
		pc.Method = methods[0]
		pc.Path = paths[0]
		for i := 1; i < len(methods); i++ {
			pc.Path += " -> " + methods[i] + " " + paths[i]
		}
	}
	return pc
}

func printPlan(gs *GlobalState, rep planReport, load, plan time.Duration) error {
	fmt.Fprintf(gs.Stdout, "Plan for %s (OpenAPI %s, %d operations), environment %s, seed %d. Nothing is sent.\n\n",
		rep.Spec, rep.OpenAPI, rep.Operations, rep.Env, rep.Seed)
	tw := tabwriter.NewWriter(gs.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tMETHOD\tPATH")
	for _, it := range rep.Items {
		path := it.Path
		if it.Skip != "" {
			path += "  (skipped: " + it.Skip + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.ID, it.Severity, it.Method, path)
	}
	if err := tw.Flush(); err != nil {
		return internal(err)
	}
	var parts []string
	total := 0
	for _, r := range derive.Rules() {
		parts = append(parts, fmt.Sprintf("%s %d", r.Name, rep.Counts[r.Name]))
		total += rep.Counts[r.Name]
	}
	fmt.Fprintln(gs.Stdout)
	if rep.Suite != "" {
		fmt.Fprintf(gs.Stdout, "Checklist %s: %d items\n", rep.Suite, rep.Counts["suite"])
	}
	fmt.Fprintf(gs.Stdout, "Derived: %d checks (%s)\n", total, strings.Join(parts, ", "))
	fmt.Fprintf(gs.Stdout, "Loaded in %s, planned in %s. Repeat these requests with --seed %d.\n",
		load.Round(time.Millisecond), plan.Round(time.Millisecond), rep.Seed)
	return nil
}

// oneLineError keeps a loader error on one line, as the plan contract says.
func oneLineError(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
