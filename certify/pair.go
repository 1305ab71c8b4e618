package certify

import (
	"context"
	"errors"
	"strings"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// pair matches every API with its checklist. A suite names its API ("api:
// collections"); a built-in API without a given suite gets its built-in
// suite; a suite whose API was not given loads it when it is built in; an
// API without any checklist gets a derived-only stand-in.
func pair(ctx context.Context, loader *specs.Loader, apiArgs, suiteArgs []string) ([]Job, error) {
	var apis []*specs.API
	for _, s := range apiArgs {
		api, err := loader.Load(ctx, s)
		if err != nil {
			return nil, invalid(FieldAPIs, err)
		}
		if !specs.IsBuiltin(s) {
			// What `golive validate` refuses (unknown keys, $ref cycles,
			// broken schemas) is refused here too, before anything is sent.
			if err := api.Validate(ctx); err != nil {
				return nil, invalid(FieldAPIs, err)
			}
		}
		apis = append(apis, api)
	}
	var loaded []*suites.Suite
	for _, s := range suiteArgs {
		suite, err := suites.Load(s)
		if err != nil {
			return nil, invalid(FieldSuites, err)
		}
		loaded = append(loaded, suite)
	}

	var jobs []Job
	used := map[*suites.Suite]bool{}
	for _, api := range apis {
		var match *suites.Suite
		for _, s := range loaded {
			if !used[s] && (s.API == api.Name || len(apis) == 1 && len(loaded) == 1) {
				match = s
				break
			}
		}
		if match != nil && match.API != api.Name && specs.IsBuiltin(api.Name) && specs.IsBuiltin(match.API) {
			// One document and one checklist pair up whatever their names
			// (a suite for a user's own copy of a document), but the
			// checklist of one built-in API against another built-in API
			// is a mix-up: it would fail on every operation, a line each.
			return nil, invalidf(FieldSuites, "%s: this checklist is for the %s API (api: %s), not %s: certify %s with it, or %s with its own checklist",
				match.Source, match.API, match.API, api.Name, match.API, api.Name)
		}
		if match == nil {
			if suites.IsBuiltin(api.Name) && specs.IsBuiltin(api.Name) {
				s, err := suites.Load(api.Name)
				if err != nil {
					return nil, &InternalError{Err: err} // a built-in that does not load is golive's bug
				}
				match = s
			} else {
				match = derivedOnly(api.Name)
			}
		}
		used[match] = true
		jobs = append(jobs, Job{API: api, Suite: match})
	}
	for _, s := range loaded {
		if used[s] {
			continue
		}
		if !specs.IsBuiltin(s.API) {
			return nil, invalidf(FieldSuites, "%s: its api %q is not built in and its document was not given", s.Source, s.API)
		}
		api, err := loader.Load(ctx, s.API)
		if err != nil {
			return nil, &InternalError{Err: err}
		}
		jobs = append(jobs, Job{API: api, Suite: s})
	}
	// Each API once: twice would certify it twice, with the same item ids
	// in results.json and the JUnit report.
	seen := map[string]*specs.API{}
	for _, j := range jobs {
		if first, ok := seen[j.API.Name]; ok {
			where := first.Source
			if j.API.Source != first.Source {
				where += " and " + j.API.Source
			}
			return nil, invalidf(FieldAPIs, "the %s API is given twice (%s): a run certifies each API once", j.API.Name, where)
		}
		seen[j.API.Name] = j.API
	}
	return jobs, nil
}

// derivedOnlySource marks the stand-in checklist of an API given without
// one; reports show it as "derived:NAME".
const derivedOnlySource = "derived:"

// derivedOnly is the checklist of an API given without one: the
// spec-derived checks alone.
func derivedOnly(apiName string) *suites.Suite {
	return &suites.Suite{Source: derivedOnlySource + apiName, Name: apiName, API: apiName, Derived: &suites.Derived{}}
}

// IsDerivedOnly reports whether s is the stand-in for an API given without a checklist.
func IsDerivedOnly(s *suites.Suite) bool { return strings.HasPrefix(s.Source, derivedOnlySource) }

// checkSuites checks every suite against its API once, for the whole plan:
// the runner trusts what it is given. Every problem of every suite is kept.
func checkSuites(jobs []Job, vars []string, lookupEnv func(string) (string, bool)) error {
	var errs []error
	for _, j := range jobs {
		if err := suites.Check(j.Suite, j.API, vars, lookupEnv); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return invalid("", errors.Join(errs...))
	}
	return nil
}

// builtinList lists the built-in APIs for an error message.
func builtinList() string { return strings.Join(specs.Builtin(), ", ") }
