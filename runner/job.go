package runner

import (
	"fmt"
	"net/url"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// job is one API and its suite, ready to run: variables resolved, token
// manager in place.
type job struct {
	base  *url.URL // the target's base URL for this API
	api   *specs.API
	suite *suites.Suite
	vars  map[string]any
	auth  *tokenManager
	// schemas holds the compiled response schemas of the document (3.1, or
	// a 3.0 translation that only passes conforming bodies).
	schemas *schemaCache
	// latencyBudget is the API's per-response budget, by which the run
	// judges how widely the target is slow (extent.go).
	latencyBudget time.Duration
	// timeout is the time limit of each request of this API: the run's
	// override (WithTimeoutOverride), else the suite's defaults.timeout,
	// else the run's default (WithTimeout).
	timeout time.Duration
}

func (j *job) describe() results.API {
	info := j.api.Doc.Info
	a := results.API{
		Name:        j.api.Name,
		OpenAPI:     j.api.Doc.OpenAPI,
		Spec:        j.api.Source,
		SpecSHA256:  j.api.SHA256,
		Suite:       j.suite.Source,
		SuiteSHA256: j.suite.SHA256,
	}
	if info != nil {
		a.Title, a.Version = info.Title, info.Version
	}
	return a
}

func (r *Runner) prepare(j Job) (*job, error) {
	if j.API == nil || j.Suite == nil {
		return nil, fmt.Errorf("internal: job without API or suite")
	}
	// The suite was checked against its API once, when the plan was built
	// (certify.Build): the runner trusts its plan.
	pj := &job{base: r.base, api: j.API, suite: j.Suite, vars: map[string]any{}, schemas: newSchemaCache(j.API),
		latencyBudget: j.Suite.Defaults.LatencyBudget.Or(r.cfg.latencyBudget), timeout: r.cfg.requestTimeout(j.Suite)}
	if j.BaseURL != "" {
		base, err := parseBaseURL(j.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", j.API.Name, err)
		}
		pj.base = base
	}
	for _, f := range j.Suite.Variables {
		if _, ok := r.cfg.vars[f.Key]; ok {
			continue
		}
		v, err := f.Value.Render(func(tmpl.Ref) (any, bool) { return nil, false })
		if err != nil {
			return nil, fmt.Errorf("%s:%d: variable %s: %v (variables may not refer to templates)", j.Suite.Source, f.Value.Line, f.Key, err)
		}
		if s, ok := v.(string); ok {
			if v, err = r.expandEnv(s, fmt.Sprintf("%s:%d: variable %s", j.Suite.Source, f.Value.Line, f.Key)); err != nil {
				return nil, err
			}
		}
		pj.vars[f.Key] = v
	}
	for k, raw := range r.cfg.vars {
		v, err := r.expandEnv(raw, "variable "+k)
		if err != nil {
			return nil, err
		}
		pj.vars[k] = v
	}
	if j.Suite.Auth != nil {
		pj.auth = newTokenManager(r, pj, j.Suite.Auth)
	}
	return pj, nil
}

// expandEnv resolves ${ENV} references; every resolved value is a secret.
func (r *Runner) expandEnv(s, where string) (string, error) {
	refs := tmpl.EnvRefs(s)
	out, missing := tmpl.ExpandEnv(s, r.cfg.env)
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: environment variable %s is not set", where, missing[0])
	}
	for _, name := range refs {
		if v, ok := r.cfg.env(name); ok {
			r.secrets.Add(v, name)
		}
	}
	return out, nil
}
