package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/derive"
)

// planOptions are the flags of `golive plan`.
type planOptions struct {
	spec        string
	suite       string
	env         string
	allowWrites bool
	derived     bool
	noDerived   bool
	settle      time.Duration
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
	f.BoolVar(&c.opts.derived, "derived", false, "plan every spec-derived check, also those the checklist already covers (as golive run --derived)")
	f.BoolVar(&c.opts.noDerived, "no-derived", false, "plan the checklist alone, as golive run --no-derived")
	f.DurationVar(&c.opts.settle, "settle-deadline", derive.DefaultSettleDeadline, "how long derived create-then-read checks follow an asynchronous resource to its final state")
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
	// NoReadBack names the create operations without a create-then-read
	// check, and why.
	NoReadBack []derive.Gap `json:"noReadBack,omitempty"`
	LoadMs     int64        `json:"loadMs"`
	PlanMs     int64        `json:"planMs"`
}

func (c *planCmd) run(gs *GlobalState) error {
	o := c.opts
	switch {
	case o.spec == "":
		return invalidf("--spec is required: a built-in API (%s) or an OpenAPI file", strings.Join(builtinAPIs(), ", "))
	case o.format != "text" && o.format != "json":
		return invalidf("--format %q: want text or json", o.format)
	}
	seed := o.seed
	if seed == 0 {
		seed = newSeed()
	}

	// The same pipeline as golive run, so the plan is exactly what a run
	// would send.
	req := certify.Request{APIs: []string{o.spec}, Target: certify.Target{Environment: o.env}}
	if o.suite != "" {
		req.Suites = []string{o.suite}
	}
	derived, err := derivedMode(o.derived, o.noDerived)
	if err != nil {
		return err
	}
	req.Options = certify.Options{Seed: seed, AllowWrites: o.allowWrites, AllowRemoteRefs: o.remoteRefs,
		Rules: o.rules, LatencyBudget: o.latency, SettleDeadline: o.settle, Derived: derived, PlanOnly: true}
	plan, err := certify.Build(gs.Ctx, req)
	if err != nil {
		return fromCertify(oneLine(err))
	}
	load, planning := plan.Took()
	api := plan.Jobs()[0].API
	rep := planReport{
		Spec: api.Source, OpenAPI: api.Doc.OpenAPI, Operations: len(api.Operations()), Seed: seed, Env: plan.Environment(),
		Counts: map[string]int{}, LoadMs: load.Milliseconds(), PlanMs: planning.Milliseconds(),
	}
	if s := plan.Jobs()[0].Suite; !certify.IsDerivedOnly(s) {
		rep.Suite = s.Source
	}
	if derived != certify.DerivedNone || certify.IsDerivedOnly(plan.Jobs()[0].Suite) {
		gaps, err := derive.StatefulGaps(api, derive.Options{Seed: seed, Production: plan.Environment() == certify.Production,
			AllowWrites: o.allowWrites, SettleDeadline: o.settle})
		if err != nil {
			return fromCertify(oneLine(err))
		}
		rep.NoReadBack = gaps
	}
	for _, pi := range plan.Items() {
		pc := describeCheck(pi)
		rep.Items = append(rep.Items, pc)
		if pi.IsChecklist {
			rep.Counts["suite"]++
		} else {
			rep.Counts[pc.Rule]++
		}
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
	return printPlan(gs, rep, load, planning)
}

// describeCheck is an item's line: the operation of its first step (a flow
// names the others after an arrow).
func describeCheck(pi certify.PlannedItem) plannedCheck {
	api, it := pi.API, pi.Item
	pc := plannedCheck{ID: it.ID, Source: "suite", Severity: string(it.Severity), Title: it.Title, Skip: it.Skip}
	if !pi.IsChecklist {
		pc.Source, pc.Rule = "derived", it.Origin.Rule
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
	for _, g := range rep.NoReadBack {
		fmt.Fprintf(gs.Stdout, "No create-then-read check for %s: %s.\n", g.Operation, g.Why)
	}
	fmt.Fprintf(gs.Stdout, "Loaded in %s, planned in %s. Repeat these requests with --seed %d.\n",
		load.Round(time.Millisecond), plan.Round(time.Millisecond), rep.Seed)
	return nil
}

// derivedMode reads --derived and --no-derived (run, demo and plan).
func derivedMode(all, none bool) (certify.DerivedMode, error) {
	switch {
	case all && none:
		return 0, invalidf("--derived and --no-derived contradict each other: give one")
	case all:
		return certify.DerivedAll, nil
	case none:
		return certify.DerivedNone, nil
	}
	return certify.DerivedAuto, nil
}

// oneLine keeps a pipeline error on one line, as the plan contract says,
// and keeps its type.
func oneLine(err error) error {
	var bad *certify.InvalidError
	if errors.As(err, &bad) {
		flat := *bad
		flat.Err = errors.New(strings.Join(strings.Fields(bad.Err.Error()), " "))
		return &flat
	}
	return err
}
