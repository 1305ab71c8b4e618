package suites

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites/tmpl"
)

var itemID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// Check verifies a suite against the API it targets before anything is sent:
// operations exist, path parameters are given, every reference is defined
// (variables by the suite or by extraVars, captures by an earlier step), and
// every ${ENV} reference is set. It returns every problem, one per line, each
// naming FILE:LINE.
func Check(s *Suite, api *specs.API, extraVars []string, lookupEnv func(string) (string, bool)) error {
	c := &checker{s: s, api: api, vars: map[string]bool{}, overridden: map[string]bool{}, env: lookupEnv}
	for _, f := range s.Variables {
		c.vars[f.Key] = true
	}
	for _, v := range extraVars {
		c.vars[v] = true
		c.overridden[v] = true
	}
	c.run()
	return errors.Join(c.errs...)
}

// Vars lists, sorted, the variables a suite declares under variables or
// refers to anywhere ({{ var.NAME }}, in its auth block, requests,
// expectations and signatures): the names a run's --var can set. api is
// the API the suite is checked against.
func Vars(s *Suite, api *specs.API) []string {
	c := &checker{s: s, api: api, vars: map[string]bool{}, overridden: map[string]bool{}, used: map[string]bool{}}
	c.run()
	for _, f := range s.Variables {
		c.used[f.Key] = true
	}
	names := make([]string, 0, len(c.used))
	for name := range c.used {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

type checker struct {
	s    *Suite
	api  *specs.API
	vars map[string]bool
	// overridden variables come from --var, so their suite values (and the
	// ${ENV} they name) are never used.
	overridden map[string]bool
	env        func(string) (string, bool)
	errs       []error
	// used collects every variable a value refers to (Vars).
	used map[string]bool
}

// errorf records one problem; a name that holds a newline (say, an item id)
// is escaped, so every problem stays one line.
func (c *checker) errorf(line int, format string, args ...any) {
	msg := strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(fmt.Sprintf(format, args...))
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s", c.s.Source, line, msg))
}

func (c *checker) run() {
	if c.s.API == "" {
		c.errorf(1, `missing "api": the name of the API this suite checks`)
	}
	if len(c.s.Items) == 0 && c.s.Derived == nil {
		c.errorf(1, `no items: a suite needs at least one checklist item (or a derived block)`)
	}
	if d := c.s.Derived; d != nil {
		for key, sev := range d.Severity {
			if sev != results.Critical && sev != results.Major && sev != results.Minor {
				c.errorf(d.Line, "derived severity for %s: %q is not critical, major or minor", key, sev)
			}
		}
	}
	for _, f := range c.s.Variables {
		c.checkValue(f.Value, nil, "variable "+f.Key, !c.overridden[f.Key])
	}
	if a := c.s.Auth; a != nil {
		c.checkOperation(a.Line, a.Operation)
		c.checkRequest(a.Line, a.Operation, &a.Request, nil)
	}
	ids := map[string]int{}
	for i, it := range c.s.Items {
		if it == nil {
			c.errorf(1, "item %d is empty", i+1)
			continue
		}
		c.checkItem(it, ids)
	}
}

func (c *checker) checkItem(it *Item, ids map[string]int) {
	switch {
	case it.ID == "":
		c.errorf(it.Line, "item has no id")
	case !itemID.MatchString(it.ID):
		c.errorf(it.Line, "item id %q: use letters, digits, '.', '-' and '_', starting with a letter", it.ID)
	case ids[it.ID] != 0:
		c.errorf(it.Line, "item id %q is already used at line %d", it.ID, ids[it.ID])
	default:
		ids[it.ID] = it.Line
	}
	if strings.TrimSpace(it.Title) == "" {
		c.errorf(it.Line, "item %s has no title", it.ID)
	}
	switch it.Severity {
	case results.Critical, results.Major, results.Minor:
	case "":
		c.errorf(it.Line, "item %s has no severity (critical, major or minor)", it.ID)
	default:
		c.errorf(it.Line, "item %s: severity %q is not critical, major or minor", it.ID, it.Severity)
	}
	shapes := 0
	for _, has := range []bool{it.Check != nil, len(it.Flow) > 0, it.Latency != nil} {
		if has {
			shapes++
		}
	}
	if shapes != 1 {
		c.errorf(it.Line, "item %s needs exactly one of check, flow or latency", it.ID)
		return
	}
	captured := map[string]bool{}
	names := map[string]bool{}
	callbackOpened := false
	for i, st := range it.Steps() {
		if st == nil {
			c.errorf(it.Line, "item %s: step %d is empty", it.ID, i+1)
			return
		}
		if names[st.Name] {
			c.errorf(st.Line, "step name %q is used twice in item %s", st.Name, it.ID)
		}
		names[st.Name] = true
		if st.Callback != nil {
			c.checkCallbackStep(st, captured, callbackOpened)
		} else {
			c.checkStep(st, captured)
			callbackOpened = callbackOpened || refersTo(st.Request, tmpl.Gen, "callbackUrl")
		}
		for _, cp := range st.Capture {
			captured[cp.Name] = true
		}
	}
}

func (c *checker) checkStep(st *Step, captured map[string]bool) {
	if st.Operation == "" {
		c.errorf(st.Line, "step %s needs an operation (an operationId of %s) or callback (to wait for one)", st.Name, c.api.Source)
		return
	}
	if !c.checkOperation(st.OperationLine, st.Operation) {
		return
	}
	switch st.Auth {
	case AuthDefault, AuthNone, AuthInvalid:
	default:
		c.errorf(st.Line, "auth %q: use none or invalid (or leave it out for the run's token)", st.Auth)
	}
	c.checkRequest(st.Line, st.Operation, &st.Request, captured)
	c.checkExpect(st, captured)
	if p := st.Poll; p != nil {
		if len(p.Until) == 0 {
			c.errorf(p.Line, "poll needs an until condition")
		}
		for _, pm := range p.Until {
			c.checkMatcher(pm, captured)
		}
		if p.Backoff != 0 && p.Backoff < 1 {
			c.errorf(p.BackoffLine, "poll backoff %v must be 1 or more", p.Backoff)
		}
		if p.Deadline.Duration != 0 && p.Interval.Duration > p.Deadline.Duration {
			c.errorf(p.Interval.Line, "poll interval %v is longer than its deadline %v", p.Interval.Duration, p.Deadline.Duration)
		}
	}
}

func (c *checker) checkExpect(st *Step, captured map[string]bool) {
	for _, pm := range append(append(PathMatchers{}, st.Expect.Body...), st.Expect.Headers...) {
		c.checkMatcher(pm, captured)
	}
}

// checkCallbackStep checks a wait for a callback: it has no request of its
// own, and an earlier step must have handed out {{ gen.callbackUrl }}.
func (c *checker) checkCallbackStep(st *Step, captured map[string]bool, opened bool) {
	cb := st.Callback
	if st.Operation != "" || st.Poll != nil || !st.Request.empty() {
		c.errorf(st.Line, "step %s waits for a callback: it takes no operation, request or poll", st.Name)
	}
	if st.Expect.Status != nil {
		c.errorf(st.Line, "step %s waits for a callback: expect.status does not apply (golive answers the callback)", st.Name)
	}
	if !opened {
		c.errorf(cb.Line, "step %s waits for a callback, but no earlier step sends {{ gen.callbackUrl }}", st.Name)
	}
	if cb.Signature != nil {
		c.checkSignature(cb.Signature, captured, false)
	}
	c.checkExpect(st, captured)
}

func (c *checker) checkSignature(sg *Signature, captured map[string]bool, request bool) {
	if sg.Key == nil {
		c.errorf(sg.Line, "signature needs a key (e.g. key: \"{{ var.checksumKey }}\")")
	}
	c.checkValue(sg.Key, captured, "signature key", false)
	if (sg.Header == "") == (sg.Field == "") {
		c.errorf(sg.Line, "signature needs exactly one of header (the header that carries it) or field (the body field)")
	}
	switch {
	case sg.Tamper == "":
	case !request:
		c.errorf(sg.Line, "tamper applies to signed requests, not to callbacks")
	case sg.Tamper != TamperSignature && sg.Tamper != TamperBody:
		c.errorf(sg.Line, "tamper %q: use signature or body", sg.Tamper)
	}
}

// refersTo reports whether any part of the request refers to ns.name.
func refersTo(r Request, ns, name string) bool {
	var refs []tmpl.Ref
	for _, group := range []OrderedValues{r.Path, r.Query, r.Headers} {
		refs = append(refs, group.Refs()...)
	}
	refs = append(refs, r.Body.Refs()...)
	refs = append(refs, r.RawBody.Refs()...)
	for _, ref := range refs {
		if ref.NS == ns && ref.Name == name {
			return true
		}
	}
	return false
}

func (r Request) empty() bool {
	return len(r.Path) == 0 && len(r.Query) == 0 && len(r.Headers) == 0 && r.Body == nil && r.RawBody == nil &&
		r.ContentType == "" && r.Sign == nil
}

func (c *checker) checkMatcher(pm PathMatcher, captured map[string]bool) {
	for _, v := range pm.Matcher.Values() {
		c.checkValue(v, captured, pm.Path, false)
	}
}

func (c *checker) checkOperation(line int, id string) bool {
	if id == "" {
		c.errorf(line, "missing operation (an operationId of %s)", c.api.Source)
		return false
	}
	if c.api.Operation(id) == nil {
		c.errorf(line, "unknown operationId %q in %s (known: %s)", id, c.api.Source, strings.Join(c.api.OperationIDs(), ", "))
		return false
	}
	return true
}

func (c *checker) checkRequest(line int, opID string, r *Request, captured map[string]bool) {
	op := c.api.Operation(opID)
	if op == nil {
		return
	}
	want := map[string]bool{}
	for _, p := range append(op.PathItem.Parameters, op.Op.Parameters...) {
		if p.Value != nil && p.Value.In == "path" {
			want[p.Value.Name] = true
		}
	}
	for _, f := range r.Path {
		if !want[f.Key] {
			c.errorf(f.Value.Line, "operation %s has no path parameter %q", opID, f.Key)
		}
		delete(want, f.Key)
	}
	missing := make([]string, 0, len(want))
	for name := range want {
		missing = append(missing, name)
	}
	sort.Strings(missing)
	for _, name := range missing {
		c.errorf(line, "operation %s needs path parameter %q under request.path", opID, name)
	}
	for _, group := range []OrderedValues{r.Path, r.Query} {
		for _, f := range group {
			c.checkValue(f.Value, captured, f.Key, false)
		}
	}
	for _, f := range r.Headers {
		c.checkValue(f.Value, captured, "header "+f.Key, true)
	}
	c.checkValue(r.Body, captured, "body", false)
	c.checkValue(r.RawBody, captured, "rawBody", false)
	if r.Sign != nil {
		c.checkSignature(r.Sign, captured, true)
		if r.Body == nil {
			c.errorf(r.Sign.Line, "sign needs a JSON body to sign")
		}
	}
}

// checkValue reports undefined references; env says ${ENV} is allowed here.
func (c *checker) checkValue(v *Value, captured map[string]bool, where string, env bool) {
	if v == nil {
		return
	}
	for _, ref := range v.LineRefs() {
		switch ref.NS {
		case tmpl.Var:
			if c.used != nil {
				c.used[ref.Name] = true
			}
			if !c.vars[ref.Name] {
				c.errorf(ref.Line, "%s: undefined variable var.%s (define it under variables or pass --var %s=...)", where, ref.Name, ref.Name)
			}
		case tmpl.Capture:
			if captured == nil {
				c.errorf(ref.Line, "%s: capture.%s cannot be used here: only steps can refer to captures", where, ref.Name)
			} else if !captured[ref.Name] {
				c.errorf(ref.Line, "%s: capture.%s is not captured by an earlier step of this item", where, ref.Name)
			}
		}
	}
	if !env {
		return
	}
	s, _ := v.RenderString(func(tmpl.Ref) (any, bool) { return "", true })
	for _, name := range tmpl.EnvRefs(s) {
		if c.env == nil {
			continue
		}
		if _, ok := c.env(name); !ok {
			c.errorf(v.Line, "%s: environment variable %s is not set", where, name)
		}
	}
}
