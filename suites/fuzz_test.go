package suites_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// fuzzSource names the fuzzed suite in errors.
const fuzzSource = "fuzz.yaml"

// fuzzMaxInput bounds an input: suites are hand-written files of a few KiB.
const fuzzMaxInput = 64 << 10

var (
	fuzzAPIOnce sync.Once
	fuzzAPI     *specs.API
	fuzzAPIErr  error
)

// fuzzCollections is the built-in collections spec, loaded once per process.
func fuzzCollections(t testing.TB) *specs.API {
	fuzzAPIOnce.Do(func() { fuzzAPI, fuzzAPIErr = specs.NewLoader().Load(context.Background(), "collections") })
	if fuzzAPIErr != nil {
		t.Fatal(fuzzAPIErr)
	}
	return fuzzAPI
}

func fuzzEnv(name string) (string, bool) {
	if strings.HasPrefix(name, "GOLIVE_") {
		return "x", true
	}
	return "", false
}

// assertOneLineFrom fails unless err is one line naming source first.
func assertOneLineFrom(t *testing.T, what string, err error, input string) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Fatalf("%s: error is not one line: %q\ninput: %q", what, msg, input)
	}
	if !strings.HasPrefix(msg, fuzzSource+":") {
		t.Fatalf("%s: error does not start with the source name: %q\ninput: %q", what, msg, input)
	}
}

// assertLinesFrom fails unless every line of err names source first (Check
// reports every problem, one per line).
func assertLinesFrom(t *testing.T, what string, err error, input string) {
	t.Helper()
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, fuzzSource+":") {
			t.Fatalf("%s: a line of the error does not start with the source name: %q\nwhole error: %q\ninput: %q",
				what, line, err.Error(), input)
		}
	}
}

// renderAll renders every value of a checked suite, as the runner would.
func renderAll(s *suites.Suite) {
	resolve := func(r tmpl.Ref) (any, bool) { return "v-" + r.Name, true }
	vals := []*suites.Value{}
	for _, f := range s.Variables {
		vals = append(vals, f.Value)
	}
	addReq := func(r *suites.Request) {
		for _, group := range []suites.OrderedValues{r.Path, r.Query, r.Headers} {
			for _, f := range group {
				vals = append(vals, f.Value)
			}
		}
		vals = append(vals, r.Body, r.RawBody)
	}
	if s.Auth != nil {
		addReq(&s.Auth.Request)
	}
	for _, it := range s.Items {
		for _, st := range it.Steps() {
			addReq(&st.Request)
			for _, pm := range append(append(suites.PathMatchers{}, st.Expect.Body...), st.Expect.Headers...) {
				vals = append(vals, pm.Matcher.Values()...)
			}
		}
	}
	for _, v := range vals {
		_, _ = v.Render(resolve)
		_ = v.Refs()
	}
}

// valueSize counts the scalars and containers a value renders to.
func valueSize(v *suites.Value) int {
	if v == nil {
		return 0
	}
	out, _ := v.Render(func(tmpl.Ref) (any, bool) { return "", true })
	var count func(any) int
	count = func(x any) int {
		switch y := x.(type) {
		case []any:
			n := 1
			for _, el := range y {
				n += count(el)
			}
			return n
		case suites.Object:
			n := 1
			for _, kv := range y {
				n += count(kv.Value)
			}
			return n
		}
		return 1
	}
	return count(out)
}

// suiteSize counts the values a parsed suite holds (nil items and steps
// included, as the checker must cope with them).
func suiteSize(s *suites.Suite) int {
	n := 0
	for _, f := range s.Variables {
		n += valueSize(f.Value)
	}
	req := func(r *suites.Request) {
		for _, group := range []suites.OrderedValues{r.Path, r.Query, r.Headers} {
			for _, f := range group {
				n += valueSize(f.Value)
			}
		}
		n += valueSize(r.Body) + valueSize(r.RawBody)
	}
	if s.Auth != nil {
		req(&s.Auth.Request)
	}
	for _, it := range s.Items {
		if it == nil {
			continue
		}
		for _, st := range append([]*suites.Step{it.Check}, it.Flow...) {
			if st == nil {
				continue
			}
			req(&st.Request)
			for _, pm := range append(append(suites.PathMatchers{}, st.Expect.Body...), st.Expect.Headers...) {
				if pm.Matcher != nil {
					for _, v := range pm.Matcher.Values() {
						n += valueSize(v)
					}
				}
			}
		}
	}
	return n
}

// FuzzSuite feeds arbitrary bytes to the suite loader and, when they parse,
// to the checker against the built-in collections spec. Nothing may panic;
// a parse error is one line naming the file; a check error is one problem
// per line, each naming the file.
func FuzzSuite(f *testing.F) {
	builtin, _ := filepath.Glob("*.yaml") // the built-in checklists
	for _, name := range append(builtin, "../runner/testdata/mini-suite.yaml") {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "name: x", "items: []", "name: x\napi: collections\nitems:\n  - id: A\n",
		"name: x\napi: collections\nitems:\n  - id: A\n    title: t\n    severity: major\n    check:\n      operation: nope\n",
		"name: x\napi: collections\nitems:\n  - id: A\n    title: t\n    severity: major\n    check:\n      operation: initiateUssdPush\n      expect:\n        status: [200, 4xx, 999]\n",
		"a: &a [*a]", "name: x\nvariables:\n  a: &x {b: 1}\n  c: *x\napi: y\nitems: [1]",
		"name: x\napi: collections\nitems:\n  - id: \"a\\nb\"\n    severity: x\n",
		"\t- bad", "name: [", "--- \n...\n", "name: !!binary x",
	} {
		f.Add([]byte(s))
	}
	api := fuzzCollections(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			t.Skip()
		}
		s, err := suites.Parse(fuzzSource, data)
		if err != nil {
			assertOneLineFrom(t, "Parse", err, string(data))
			return
		}
		// YAML aliases must not multiply a small file into millions of
		// values (a "billion laughs"): what loads stays proportional to
		// what was read.
		if n, limit := suiteSize(s), 1000+64*len(data); n > limit {
			t.Fatalf("a %d-byte suite loaded as %d values (more than %d): alias expansion is not bounded", len(data), n, limit)
		}
		if err := suites.Check(s, api, []string{"clientId"}, fuzzEnv); err != nil {
			assertLinesFrom(t, "Check", err, string(data))
			return
		}
		renderAll(s)
	})
}

// matcherSuite is a one-check suite whose body expectation is the fuzzed
// matcher, on the fuzzed path.
func matcherSuite(path, matcher string) string {
	var b strings.Builder
	b.WriteString("name: m\napi: collections\nvariables:\n  amount: \"1500.00\"\n  n: 3\nitems:\n" +
		"  - id: M-1\n    title: matcher\n    severity: major\n    check:\n      operation: previewUssdPush\n" +
		"      expect:\n        status: 200\n        schema: false\n        body:\n          ")
	b.WriteString(strconv.Quote(path))
	b.WriteString(":\n")
	for _, line := range strings.Split(matcher, "\n") {
		b.WriteString("            ")
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// fuzzTarget answers every request with the current fuzzed body. A fuzz
// worker runs inputs one at a time, so one server per process suffices.
type fuzzTarget struct {
	mu   sync.Mutex
	body []byte
	srv  *httptest.Server
}

var (
	fuzzTargetOnce sync.Once
	fuzzSrv        *fuzzTarget
)

func sharedFuzzTarget() *fuzzTarget {
	fuzzTargetOnce.Do(func() {
		ft := &fuzzTarget{}
		ft.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			ft.mu.Lock()
			body := ft.body
			ft.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		fuzzSrv = ft
	})
	return fuzzSrv
}

// FuzzMatcher feeds arbitrary matcher YAML (on an arbitrary path) to the
// suite loader and checker, and runs every matcher that loads against an
// arbitrary response body from a loopback target: loading never panics and
// errors are one line naming the file; evaluating never panics and always
// gives pass or fail with a one-line message.
func FuzzMatcher(f *testing.F) {
	bodies := []string{
		`{"status":"PROCESSING","amount":"1500.00","n":3,"list":[1,2,3],"obj":{"a":1}}`,
		`{"amount": 1e1000000}`, `not json`, `[]`, `{"a":{"b":null}}`, "\xff\xfe", ``, `{"amount":"1e3"}`,
	}
	matchers := []struct{ path, m string }{
		{"status", "PROCESSING"}, {"status", "{equals: PROCESSING}"}, {"status", "{oneOf: [PROCESSING, SUCCESS]}"},
		{"status", `{regexp: "^PRO"}`}, {"status", `{regexp: "("}`}, {"status", `{regexp: "{{ var.amount }}("}`},
		{"n", "{gt: 0, lt: 10}"}, {"n", `{gte: "{{ var.n }}"}`}, {"amount", `{decimal: "1500"}`}, {"amount", "{decimal: abc}"},
		{"list", "{length: 3}"}, {"list", "{length: -1}"}, {"list", "{length: 1e300}"}, {"obj", "{length: 1}"},
		{"list", "{contains: 2}"}, {"status", "{contains: CESS}"}, {"missing", "{exists: false}"}, {"missing", "{absent: true}"},
		{"obj", "{equals: {a: 1}}"}, {"list", "{equals: [1, 2, 3]}"}, {"status", "{}"}, {"status", "[1, 2]"},
		{"status", "{bogus: 1}"}, {"amount", "{gt: .inf}"}, {"amount", "{lt: 1e400}"}, {"a.b", "null"},
		{"status", "{equals: &a x, oneOf: [*a]}"}, {"#", "{gt: 1}"}, {"list.#", "3"}, {"..", "{exists: true}"},
	}
	for i, m := range matchers {
		f.Add(m.path, m.m, []byte(bodies[i%len(bodies)]))
	}
	api := fuzzCollections(f)
	target := sharedFuzzTarget()
	f.Fuzz(func(t *testing.T, path, matcher string, body []byte) {
		if len(path)+len(matcher)+len(body) > fuzzMaxInput {
			t.Skip()
		}
		text := matcherSuite(path, matcher)
		s, err := suites.Parse(fuzzSource, []byte(text))
		if err != nil {
			assertOneLineFrom(t, "Parse", err, text)
			return
		}
		if err := suites.Check(s, api, nil, fuzzEnv); err != nil {
			assertLinesFrom(t, "Check", err, text)
			return
		}
		target.mu.Lock()
		target.body = body
		target.mu.Unlock()
		r, err := runner.New(runner.Target{BaseURL: target.srv.URL}, []runner.Job{{API: api, Suite: s}},
			runner.WithConcurrency(1), runner.WithTimeout(5*time.Second), runner.WithSeed(1),
			runner.WithEnv(func(string) (string, bool) { return "", false }))
		if err != nil {
			t.Fatalf("runner.New refused a suite Check accepted: %v\n%s", err, text)
		}
		out := r.Run(context.Background())
		// Run leaves its keep-alive connection idle in its own transport,
		// which nothing outside the runner can close: close it from the
		// server's side, or every input costs a descriptor for 30 seconds.
		target.srv.CloseClientConnections()
		it := out.Items[0]
		if it.Status != results.Pass && it.Status != results.Fail {
			t.Fatalf("matcher evaluation gave %s (%s): %s\n%s\nbody %q", it.Status, it.Category, it.Message, text, body)
		}
		if strings.ContainsAny(it.Message, "\n\r") {
			t.Fatalf("message is not one line: %q", it.Message)
		}
	})
}
