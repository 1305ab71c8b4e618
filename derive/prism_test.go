package derive_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// The derived checks against Stoplight Prism (npm, pinned by
// testdata/prism/package-lock.json), an independent mock of the document in
// static mode: Prism knows nothing of golive, so a check that fails against
// it is either a limit of the mock or golive's own mistake (a request that
// does not follow the document, an expectation the document does not
// support). Every failure must be classified, by its rule and its cause,
// into the known limits below; anything else fails the test.
//
// The documents are copies in testdata/prism/docs (a fresh clone has no
// corpus): OpenAPI's petstore, and PayPal's Orders v2 trimmed to
// orders.create and orders.get (trim-paypal.py says how).

const prismDir = "testdata/prism"

// mockLimit is one known limit of Prism in static mode.
type mockLimit string

const (
	// Prism's body parser waits for more input on malformed JSON and never
	// answers (system or integration, by how many operations hang).
	limitMalformedHangs mockLimit = "malformed JSON never answered"
	// Prism validates request bodies only partly (it gives up on large
	// schemas such as PayPal's order request): a body the document forbids,
	// as kin-openapi confirms here again, is answered 2xx.
	limitBodyNotValidated mockLimit = "invalid input accepted: Prism skipped validating this body"
	// Prism checks that a credential is present, not that it was issued.
	limitAnyCredential mockLimit = "forged credential accepted: Prism checks presence only"
	// Prism keeps no state: a read returns the document's example or a
	// static value, not the resource just created.
	limitStateless mockLimit = "stateless read-back"
	// Static mode fills strings without an example with "string" (repeated
	// to the length) or a fixed sample of their format, whatever their
	// pattern, and writes null for an untyped schema, which 3.0 allows only
	// when nullable.
	limitStaticStrings mockLimit = "static values break the document's schema (placeholder strings, null)"
	// The mock is a Node process on a shared test machine: its speed says
	// nothing about golive.
	limitSlowMock mockLimit = "the mock answered over the latency budget"
)

var _ = Describe("derived checks against Stoplight Prism (static mode)", func() {
	DescribeTable("leave only failures that are known limits of the mock, never golive's mistakes",
		func(doc string, headers []string, wantLimits []mockLimit) {
			doc = filepath.Join(prismDir, "docs", doc)
			base := startPrism(doc)
			token := map[string]string{"PRISM_TOKEN": "golive-prism-token"}
			plan, err := certify.Build(context.Background(), certify.Request{
				APIs:        []string{doc},
				Target:      certify.Target{BaseURL: base, Headers: headers},
				Credentials: certify.Credentials{LookupEnv: func(k string) (string, bool) { v, ok := token[k]; return v, ok }},
				Options:     certify.Options{Seed: 1, Concurrency: 8},
			})
			Expect(err).NotTo(HaveOccurred())
			run, err := plan.Run(context.Background(), nil)
			Expect(err).NotTo(HaveOccurred())

			planned := map[string]certify.PlannedItem{}
			for _, p := range plan.Items() {
				planned[p.Item.ID] = p
			}
			found := map[mockLimit][]string{}
			var unexpected []string
			passed := 0
			for _, it := range run.Items {
				switch it.Status {
				case results.Pass:
					passed++
					continue
				case results.Skip:
					continue
				}
				p, ok := planned[it.ID]
				Expect(ok).To(BeTrue(), "no planned item %s", it.ID)
				limit, ok := limitOf(p, it)
				if !ok {
					unexpected = append(unexpected, fmt.Sprintf("%s (%s, %s): %.300s", it.ID, it.Category, it.Status, it.Message))
					continue
				}
				found[limit] = append(found[limit], it.ID)
			}
			GinkgoWriter.Printf("%s under Prism: %d items, %d passed\n", doc, len(run.Items), passed)
			for _, l := range sortedLimits(found) {
				GinkgoWriter.Printf("  %3d  %s\n", len(found[l]), l)
			}
			Expect(unexpected).To(BeEmpty(), "failures that are no known limit of the mock")
			Expect(passed).To(BeNumerically(">", len(run.Items)/4), "most checks run and pass against a mock")
			for _, l := range wantLimits {
				Expect(found).To(HaveKey(l), "the limit is still seen: if Prism fixed it, drop it from this entry")
			}
		},
		Entry("OpenAPI petstore (3.0)", "petstore.yaml", nil,
			[]mockLimit{limitMalformedHangs, limitStateless}),
		Entry("PayPal Orders v2, trimmed (a payment API, OAuth bearer)", "paypal-orders-v2-trimmed.json",
			[]string{"Authorization: Bearer ${PRISM_TOKEN}"},
			[]mockLimit{limitMalformedHangs, limitBodyNotValidated, limitAnyCredential, limitStaticStrings}),
	)
})

// limitOf classifies a failed derived item by its rule and by what its
// failing exchange shows, or reports false when it is no known limit.
func limitOf(p certify.PlannedItem, it results.Item) (mockLimit, bool) {
	rule := p.Item.Origin.Rule
	if rule == derive.RuleLatency {
		return limitSlowMock, true
	}
	st, ex, ok := failingExchange(p.Item, it)
	if !ok {
		return "", false
	}
	if ex.Response == nil {
		// No answer: only a malformed body may go unanswered.
		if rule == derive.RuleNegative && ex.Error != "" && !json.Valid([]byte(ex.Request.Body)) && ex.Request.Body != "" {
			return limitMalformedHangs, true
		}
		return "", false
	}
	status := ex.Response.Status
	success := status >= 200 && status < 300
	switch {
	case rule == derive.RuleNegative && success:
		// Only if the request really breaks the document.
		if validateSent(p.API, st.Operation, ex) != nil {
			return limitBodyNotValidated, true
		}
	case rule == derive.RuleAuth && success && st.Auth == suites.AuthInvalid:
		return limitAnyCredential, true
	case success && onlyStaticStrings(p.API, st.Operation, ex):
		return limitStaticStrings, true
	case rule == derive.RuleStateful && success && st != p.Item.Steps()[0]:
		// The read after the create, answered with what Prism has, not
		// with what was created; its response itself follows the document.
		if validateReceived(p.API, st.Operation, ex) == nil {
			return limitStateless, true
		}
	}
	return "", false
}

// failingExchange is the failed step of the item and its last exchange.
func failingExchange(it *suites.Item, res results.Item) (*suites.Step, results.Exchange, bool) {
	var st *suites.Step
	for _, s := range it.Steps() {
		if s.Name == res.Step {
			st = s
		}
	}
	if st == nil {
		return nil, results.Exchange{}, false
	}
	for i := len(res.Exchanges) - 1; i >= 0; i-- {
		if res.Exchanges[i].Step == st.Name {
			return st, res.Exchanges[i], true
		}
	}
	return nil, results.Exchange{}, false
}

// onlyStaticStrings: the response breaks the document, and every way it
// does is one of Prism's static values (staticValueError).
func onlyStaticStrings(api *specs.API, opID string, ex results.Exchange) bool {
	err := validateReceived(api, opID, ex)
	if err == nil {
		return false
	}
	leaves, ok := schemaErrors(err)
	if !ok || len(leaves) == 0 {
		return false
	}
	for _, se := range leaves {
		if !staticValueError(se) {
			return false
		}
	}
	return true
}

// staticValueError: a pattern or format that one of Prism's static
// strings does not match, or the null Prism writes for a schema without a
// type ({}), which OpenAPI 3.0 allows only with nullable: true.
func staticValueError(se *openapi3.SchemaError) bool {
	switch se.SchemaField {
	case "pattern", "format":
		s, isString := se.Value.(string)
		return isString && (isPlaceholder(s) || formatSamples[s])
	case "nullable":
		return se.Value == nil
	}
	return false
}

// formatSamples are the fixed strings Prism's sampler
// (@stoplight/json-schema-sampler, src/samplers/string.js) writes for a
// format, whatever the schema's pattern says.
var formatSamples = map[string]bool{
	"user@example.com": true, "2019-08-24T14:15:22.123Z": true, "2019-08-24": true, "14:15:22.123Z": true,
	"192.168.0.1": true, "2001:0db8:85a3:0000:0000:8a2e:0370:7334": true, "example.com": true,
	"http://example.com": true, "../dictionary": true, "http://example.com/{endpoint}": true,
}

// isPlaceholder: "string", "stringstr", "stringstringstringst".
func isPlaceholder(s string) bool {
	if s == "" {
		return false
	}
	full := strings.Repeat("string", len(s)/len("string")+1)
	return strings.HasPrefix(full, s)
}

// schemaErrors flattens kin-openapi's error tree into its schema errors;
// ok is false when something else is in it.
func schemaErrors(err error) ([]*openapi3.SchemaError, bool) {
	var out []*openapi3.SchemaError
	var walk func(error) bool
	walk = func(err error) bool {
		var multi openapi3.MultiError
		var resp *openapi3filter.ResponseError
		var se *openapi3.SchemaError
		switch {
		case errors.As(err, &multi):
			for _, e := range multi {
				if !walk(e) {
					return false
				}
			}
			return true
		case errors.As(err, &resp) && resp.Err != nil && !errors.As(resp.Err, &se):
			return walk(resp.Err)
		case errors.As(err, &se):
			var inner openapi3.MultiError
			if se.Origin != nil && errors.As(se.Origin, &inner) {
				return walk(inner)
			}
			out = append(out, se)
			return true
		}
		return false
	}
	return out, walk(err)
}

// route is the operation as kin-openapi's filter wants it.
func route(api *specs.API, opID string) (*routers.Route, *specs.Operation) {
	op := api.Operation(opID)
	Expect(op).NotTo(BeNil(), opID)
	return &routers.Route{Spec: api.Doc, Path: op.Path, PathItem: op.PathItem, Method: op.Method, Operation: op.Op}, op
}

// sentRequest rebuilds the request an exchange recorded, with the path
// parameters read back from the URL.
func sentRequest(op *specs.Operation, ex results.Exchange) (*http.Request, map[string]string) {
	GinkgoHelper()
	req, err := http.NewRequest(ex.Request.Method, ex.Request.URL, strings.NewReader(ex.Request.Body))
	Expect(err).NotTo(HaveOccurred())
	for k, v := range ex.Request.Headers {
		req.Header.Set(k, v)
	}
	params := map[string]string{}
	got := strings.Split(strings.Trim(req.URL.EscapedPath(), "/"), "/")
	want := strings.Split(strings.Trim(op.Path, "/"), "/")
	// The target's base path, if any, comes before the operation's path.
	offset := len(got) - len(want)
	if offset < 0 {
		return req, params
	}
	for i, seg := range want {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			params[strings.TrimSuffix(name, "}")], _ = url.PathUnescape(got[offset+i])
		}
	}
	return req, params
}

func filterOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError: true, SkipSettingDefaults: true, IncludeResponseStatus: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // credentials are masked in the evidence
		RegexCompiler:      specs.CompileRegex,
	}
}

// validateSent checks the recorded request against the document.
func validateSent(api *specs.API, opID string, ex results.Exchange) error {
	rt, op := route(api, opID)
	req, params := sentRequest(op, ex)
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: rt, Options: filterOptions(),
	})
}

// errNotReplayed: the response's whole body could not be had again, so it
// cannot be judged here.
var errNotReplayed = errors.New("the response body is not in the evidence whole and could not be replayed")

// validateReceived checks the recorded response against the document.
func validateReceived(api *specs.API, opID string, ex results.Exchange) error {
	rt, op := route(api, opID)
	req, params := sentRequest(op, ex)
	body, ok := wholeResponseBody(op, ex)
	if !ok {
		return errNotReplayed
	}
	header := http.Header{}
	for k, v := range ex.Response.Headers {
		header.Set(k, v)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: rt, Options: filterOptions()},
		Status:                 ex.Response.Status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                filterOptions(),
	})
}

// wholeResponseBody is the response body golive judged. The evidence keeps
// the first results.EvidenceBodyCap bytes of a longer body with its size and
// SHA-256; Prism in static mode answers the same request with the same
// bytes, so the request is sent again and the answer counts only if its
// digest is the recorded one.
func wholeResponseBody(op *specs.Operation, ex results.Exchange) ([]byte, bool) {
	GinkgoHelper()
	d := ex.Response.BodyDigest
	if d == nil {
		return []byte(ex.Response.Body), true
	}
	if ex.Request.BodyDigest != nil {
		return nil, false // the request itself is not whole
	}
	req, _ := sentRequest(op, ex)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != ex.Response.Status {
		return nil, false
	}
	sum := sha256.Sum256(body)
	return body, int64(len(body)) == d.Size && hex.EncodeToString(sum[:]) == d.SHA256
}

func sortedLimits(m map[mockLimit][]string) []mockLimit {
	out := make([]mockLimit, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// startPrism serves doc (a file under testdata/prism/docs) with Prism in
// static mode on a free 127.0.0.1 port and returns its base URL; Prism and
// everything it started are killed at cleanup. Without node or Prism the
// test is skipped, except in CI, where .ci/run installs both.
func startPrism(doc string) string {
	GinkgoHelper()
	bin := filepath.Join(prismDir, "node_modules", ".bin", "prism")
	_, nodeErr := exec.LookPath("node")
	_, binErr := os.Stat(bin)
	if nodeErr != nil || binErr != nil {
		why := "Stoplight Prism is not installed: run `npm ci --prefix derive/testdata/prism` (needs node and npm)"
		if os.Getenv("CI") == "true" {
			Fail(why + "; .ci/run installs it")
		}
		Skip(why)
	}
	for attempt := 1; ; attempt++ {
		port := freePort()
		if base, ok := launchPrism(bin, doc, port); ok {
			return base
		}
		// Another process took the port between picking and binding.
		Expect(attempt).To(BeNumerically("<", 3), "Prism did not start on %s (see its output above)", doc)
	}
}

// launchPrism starts Prism and waits for the line that says it listens,
// or for it to exit.
func launchPrism(bin, doc, port string) (string, bool) {
	GinkgoHelper()
	cmd := exec.Command(bin, "mock", "-h", "127.0.0.1", "-p", port, "--dynamic=false", doc)
	// Its own process group: the shell wrapper, node and anything node
	// forks die together at cleanup.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = GinkgoWriter
	out, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	listening := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		// Prism logs every request; keep reading so it never blocks.
		sc := bufio.NewScanner(out)
		announced := false
		for sc.Scan() {
			fmt.Fprintln(GinkgoWriter, sc.Text())
			if !announced && strings.Contains(sc.Text(), "Prism is listening on") {
				announced = true
				close(listening)
			}
		}
		_ = cmd.Wait()
		close(exited)
	}()
	DeferCleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	// Starting node and reading a large document is slow on a loaded
	// machine: the bound is generous, the wait ends at the event.
	select {
	case <-listening:
		return "http://127.0.0.1:" + port, true
	case <-exited:
		return "", false
	case <-time.After(3 * time.Minute):
		Fail("Prism did not say it was listening within 3 minutes")
		return "", false
	}
}

func freePort() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
