package certify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
)

// sandboxCreds are the sandbox's credentials, in the variables the built-in
// checklists read.
func sandboxCreds() certify.Credentials {
	env := map[string]string{"GOLIVE_CLIENT_ID": sandbox.DefaultClientID, "GOLIVE_API_KEY": sandbox.DefaultAPIKey,
		"GOLIVE_CHECKSUM_KEY": sandbox.DefaultChecksumKey}
	return certify.Credentials{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}

// countingSandbox is the reference partner behind a handler that counts
// the requests it was sent by method.
type countingSandbox struct {
	*httptest.Server
	mu       sync.Mutex
	byMethod map[string]int
}

func startSandbox() *countingSandbox {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithSettleAfter(0))
	Expect(err).NotTo(HaveOccurred())
	c := &countingSandbox{byMethod: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.byMethod[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		sb.ServeHTTP(w, r)
	}))
	DeferCleanup(c.Close)
	return c
}

func (c *countingSandbox) sent() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.byMethod {
		out[k] = v
	}
	return out
}

func (c *countingSandbox) total() int {
	n := 0
	for _, v := range c.sent() {
		n += v
	}
	return n
}

// invalidField builds a request and expects an InvalidError about field.
func invalidField(req certify.Request, field certify.Field) *certify.InvalidError {
	GinkgoHelper()
	_, err := certify.Build(context.Background(), req)
	var bad *certify.InvalidError
	Expect(errors.As(err, &bad)).To(BeTrue(), "want *certify.InvalidError, got %v", err)
	Expect(bad.Field).To(Equal(field), "error: %v", err)
	return bad
}

var _ = Describe("Build", func() {
	var sb *countingSandbox
	var base certify.Request
	BeforeEach(func() {
		sb = startSandbox()
		base = certify.Request{APIs: []string{"collections"}, Target: certify.Target{BaseURL: sb.URL}, Credentials: sandboxCreds()}
	})
	AfterEach(func() {
		Expect(sb.total()).To(BeZero(), "a request that does not build sends nothing")
	})

	DescribeTable("refuses bad input with the field it is about, before sending anything",
		func(change func(*certify.Request), field certify.Field, says string) {
			req := base
			change(&req)
			bad := invalidField(req, field)
			Expect(bad.Error()).To(ContainSubstring(says))
		},
		Entry("no API", func(r *certify.Request) { r.APIs = nil }, certify.FieldAPIs, "no API given"),
		Entry("no target", func(r *certify.Request) { r.Target.BaseURL = "" }, certify.FieldTarget, "is required"),
		Entry("a target that is not a URL", func(r *certify.Request) { r.Target.BaseURL = "notaurl" }, certify.FieldTarget, `"notaurl"`),
		Entry("credentials in the target", func(r *certify.Request) { r.Target.BaseURL = "http://u:hunter2@127.0.0.1:9" },
			certify.FieldTarget, "credentials in the URL"),
		Entry("an unknown environment", func(r *certify.Request) { r.Target.Environment = "prod" }, certify.FieldEnvironment, `"prod"`),
		Entry("a header without a colon", func(r *certify.Request) { r.Target.Headers = []string{"nocolon"} }, certify.FieldHeaders, `want "Name: value"`),
		Entry("a header with CR/LF", func(r *certify.Request) { r.Target.Headers = []string{"X-A: b\r\nX-Injected: 1"} },
			certify.FieldHeaders, "line break"),
		Entry("a header naming an unset variable", func(r *certify.Request) { r.Target.Headers = []string{"X-Key: ${NOPE_UNSET}"} },
			certify.FieldHeaders, "NOPE_UNSET is not set"),
		Entry("a callback URL that is not http(s)", func(r *certify.Request) { r.Options.CallbackURL = "file:///etc/passwd" },
			certify.FieldCallbackURL, "http(s)"),
		Entry("a gopher callback URL", func(r *certify.Request) { r.Options.CallbackURL = "gopher://127.0.0.1/" },
			certify.FieldCallbackURL, "http(s)"),
		Entry("concurrency past the bound", func(r *certify.Request) { r.Options.Concurrency = certify.MaxConcurrency + 1 },
			certify.FieldConcurrency, "want 1 to"),
		Entry("a negative timeout", func(r *certify.Request) { r.Options.Timeout = -1 }, certify.FieldTimeout, "positive"),
		Entry("a variable naming an unset variable", func(r *certify.Request) {
			r.Credentials.Vars = map[string]string{"amount": "${NOPE_UNSET}"}
		}, certify.FieldVars, "NOPE_UNSET is not set"),
		Entry("an unusable CA file", func(r *certify.Request) { r.Target.CAFile = "/nonexistent/ca.pem" },
			certify.FieldCAFile, "no such file"),
		Entry("a receiver URL that is not http(s)", func(r *certify.Request) { r.Target.ReceiverURL = "ftp://x" },
			certify.FieldReceiverURL, "http(s)"),
	)

	It("never echoes a secret in a malformed header", func() {
		req := base
		req.Target.Headers = []string{"Authorization Bearer s3cr3t-t0ken"}
		bad := invalidField(req, certify.FieldHeaders)
		Expect(bad.Error()).NotTo(ContainSubstring("s3cr3t"))
	})

	It("names FILE:LINE of a suite problem, checked once for the whole plan", func() {
		req := base
		req.APIs = nil
		req.Suites = []string{"testdata/unknown-op-suite.yaml"}
		_, err := certify.Build(context.Background(), req)
		var bad *certify.InvalidError
		Expect(errors.As(err, &bad)).To(BeTrue())
		Expect(err).To(MatchError(ContainSubstring(`testdata/unknown-op-suite.yaml:8: unknown operationId "nope"`)))
	})

	It("refuses a document with a $ref cycle before sending, as validate does", func() {
		req := base
		req.APIs = []string{"testdata/cycle.yaml"}
		invalidField(req, certify.FieldAPIs)
	})

	It("refuses a device given as a document", func() {
		req := base
		req.APIs = []string{"/dev/zero"}
		bad := invalidField(req, certify.FieldAPIs)
		Expect(bad.Error()).To(ContainSubstring("not a regular file"))
	})

	It("keeps every problem of a bad suite, joined, one per line", func() {
		req := base
		req.APIs = nil
		req.Suites = []string{"testdata/unknown-op-suite.yaml", "testdata/unknown-op-suite.yaml"}
		_, err := certify.Build(context.Background(), req)
		Expect(err).To(HaveOccurred())
		Expect(strings.Count(err.Error(), "\n")).To(BeNumerically(">=", 0))
	})
})

var _ = Describe("a plan", func() {
	It("knows each item's origin as a field: checklist or the derived rule", func() {
		plan, err := certify.Build(context.Background(), certify.Request{APIs: []string{"collections"},
			Options: certify.Options{PlanOnly: true, Derived: certify.DerivedAll}})
		Expect(err).NotTo(HaveOccurred())
		rules := map[string]int{}
		checklist := 0
		for _, pi := range plan.Items() {
			if pi.IsChecklist {
				checklist++
				Expect(pi.Item.Origin.Rule).To(BeEmpty())
			} else {
				rules[pi.Item.Origin.Rule]++
			}
		}
		Expect(checklist).To(BeNumerically(">", 5))
		Expect(rules).To(HaveKey("positive"))
		Expect(rules).To(HaveKey("auth"))
		Expect(rules).To(HaveKey("latency"))
	})

	It("that was built only to be shown refuses to run", func() {
		plan, err := certify.Build(context.Background(), certify.Request{APIs: []string{"payouts"}, Options: certify.Options{PlanOnly: true}})
		Expect(err).NotTo(HaveOccurred())
		_, err = plan.Run(context.Background(), nil)
		Expect(err).To(MatchError(certify.ErrPlanOnly))
	})

	It("sends a receiver API to the receiver URL, whatever its name", func() {
		sb := startSandbox()
		plan, err := certify.Build(context.Background(), certify.Request{APIs: []string{"webhooks"},
			Target:      certify.Target{BaseURL: "http://127.0.0.1:9", ReceiverURL: sb.URL + "/webhooks/receiver"},
			Credentials: sandboxCreds()})
		Expect(err).NotTo(HaveOccurred())
		run, err := plan.Run(context.Background(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Verdict.Status).To(Equal(results.Certified), "%+v", run.Verdict)
		Expect(sb.sent()).To(HaveKey("POST /webhooks/receiver"))
	})
})

var _ = Describe("production safety", func() {
	writes := func(sent map[string]int) []string {
		var out []string
		for k := range sent {
			if !strings.HasPrefix(k, "GET ") && k != "POST /v1/token" {
				out = append(out, k)
			}
		}
		return out
	}

	for _, api := range []string{"collections", "payouts"} {
		It("never sends a write of the "+api+" checklist to production without AllowWrites", func() {
			sb := startSandbox()
			plan, err := certify.Build(context.Background(), certify.Request{APIs: []string{api},
				Target:      certify.Target{BaseURL: sb.URL, Environment: certify.Production},
				Credentials: sandboxCreds(), Options: certify.Options{Derived: certify.DerivedAll}})
			Expect(err).NotTo(HaveOccurred())
			safe, held := plan.ProductionSafe()
			Expect(safe).To(BeTrue())
			Expect(held).To(BeNumerically(">", 0))
			var observed []results.Item
			var mu sync.Mutex
			run, err := plan.Run(context.Background(), certify.ObserverFunc(func(it results.Item, _, _ int) {
				mu.Lock()
				observed = append(observed, it)
				mu.Unlock()
			}))
			Expect(err).NotTo(HaveOccurred())
			Expect(writes(sb.sent())).To(BeEmpty(), "requests that change data reached production")
			Expect(observed).To(HaveLen(len(run.Items)))
			skipped := 0
			for _, it := range run.Items {
				if it.Status == results.Skip && strings.Contains(it.Reason+it.Message, "production-safe") {
					skipped++
				}
			}
			Expect(skipped).To(Equal(held))
			Expect(run.Verdict.Reason).To(ContainSubstring("production-safe run"))
			Expect(run.Verdict.ExitCode).NotTo(Equal(exitcode.InvalidInput))
		})
	}

	It("sends the writes when the user allows them", func() {
		sb := startSandbox()
		plan, err := certify.Build(context.Background(), certify.Request{APIs: []string{"collections"},
			Target:      certify.Target{BaseURL: sb.URL, Environment: certify.Production},
			Credentials: sandboxCreds(), Options: certify.Options{AllowWrites: true}})
		Expect(err).NotTo(HaveOccurred())
		safe, _ := plan.ProductionSafe()
		Expect(safe).To(BeFalse())
		_, err = plan.Run(context.Background(), nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(writes(sb.sent())).NotTo(BeEmpty())
	})
})

var _ = Describe("variables nobody uses", func() {
	build := func(reject bool, vars map[string]string, apis ...string) error {
		creds := sandboxCreds()
		creds.Vars, creds.RejectUnknownVars = vars, reject
		_, err := certify.Build(context.Background(), certify.Request{APIs: apis,
			Target: certify.Target{BaseURL: "http://127.0.0.1:9"}, Credentials: creds})
		return err
	}

	It("are refused, named, with the closest known name, when the request rejects them", func() {
		bad := invalidField(certify.Request{APIs: []string{"collections"}, Target: certify.Target{BaseURL: "http://127.0.0.1:9"},
			Credentials: certify.Credentials{LookupEnv: sandboxCreds().LookupEnv, Vars: map[string]string{"amout": "2500.00"},
				RejectUnknownVars: true}}, certify.FieldVars)
		Expect(bad.Error()).To(Equal(`vars "amout": no checklist of this run declares or uses this variable (did you mean amount?)`))
	})

	It("name every unknown variable on one line", func() {
		err := build(true, map[string]string{"amout": "1", "zzzzzz": "2", "amount": "3"}, "collections")
		Expect(err).To(MatchError(`vars: no checklist of this run declares or uses amout (did you mean amount?) or zzzzzz`))
	})

	It("are known when any checklist of the run declares them", func() {
		Expect(build(true, map[string]string{"amount": "1", "checksumKey": "k"}, "webhooks", "payouts")).To(Succeed())
		Expect(build(true, map[string]string{"clientId": "c"}, "webhooks")).To(HaveOccurred(), "the webhooks checklist has no clientId")
		Expect(build(true, map[string]string{"clientId": "c"}, "webhooks", "payouts")).To(Succeed())
	})

	It("are left alone when the request does not reject them (the hub's stored credentials)", func() {
		Expect(build(false, map[string]string{"amout": "2500.00"}, "collections")).To(Succeed())
	})
})
