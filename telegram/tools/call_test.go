package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/telegram/tools"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// internal is an internal HTTP service that records what reached it.
type internal struct {
	mu   sync.Mutex
	hits []*http.Request
	body []string
}

func (s *internal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.hits = append(s.hits, r)
	s.body = append(s.body, string(b))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(r.URL.Path, "broken") {
		w.WriteHeader(503)
		return
	}
	_, _ = io.WriteString(w, `{"data":{"token":"tok-secret","expiresAt":"2030-01-01T00:00:00Z","internal":"hidden"},"status":"PAID","amount":"1500.00"}`)
}

func (s *internal) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hits)
}

var _ = Describe("calling a tool", func() {
	var (
		svc  *internal
		srv  *httptest.Server
		tl   *tools.Service
		now  time.Time
		acme = tools.Caller{Role: "partner", Partner: "acme", Key: "tg:1", Private: true}
	)

	BeforeEach(func() {
		svc = &internal{}
		srv = httptest.NewServer(svc)
		DeferCleanup(srv.Close)
		data, err := readExample()
		Expect(err).NotTo(HaveOccurred())
		cat, err := tools.Parse("tools.yaml", []byte(strings.ReplaceAll(string(data), "http://127.0.0.1:9", srv.URL)))
		Expect(err).NotTo(HaveOccurred())
		now = time.Unix(1_700_000_000, 0)
		tl = tools.New(cat, tools.Options{Now: func() time.Time { return now }})
	})

	It("sends the parameters and returns only the declared fields", func() {
		res, err := tl.Call(context.Background(), acme, "payment_token", map[string]any{"amount": int64(1500), "msisdn": "255712345678"})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Fields).To(Equal([]tools.Field{
			{Name: "token", Value: "tok-secret", Secret: true},
			{Name: "expires", Value: "2030-01-01T00:00:00Z"},
		}))
		Expect(svc.hits[0].URL.Path).To(Equal("/v1/partners/acme/tokens"))
		Expect(svc.hits[0].Header.Get("X-Golive-Partner")).To(Equal("acme"))
		var sent map[string]any
		Expect(json.Unmarshal([]byte(svc.body[0]), &sent)).To(Succeed())
		Expect(sent).To(Equal(map[string]any{"amount": 1500.0, "msisdn": "255712345678"}))
	})

	It("puts GET parameters in the path and query", func() {
		res, err := tl.Call(context.Background(), acme, "order_lookup", map[string]any{"ref": "ORD12345"})
		Expect(err).NotTo(HaveOccurred())
		Expect(svc.hits[0].URL.Path).To(Equal("/v1/orders/ORD12345"))
		Expect(res.Fields[0].Value).To(Equal("PAID"))
	})

	It("sends nothing when the parameters are invalid", func() {
		_, err := tl.Call(context.Background(), acme, "payment_token", map[string]any{"amount": int64(5), "msisdn": "12", "pin": "1"})
		var pe *tools.ParamError
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(pe.Problems).To(HaveLen(3))
		Expect(pe.Problems[0]).To(HavePrefix("amount: "))
		Expect(pe.Problems[1]).To(HavePrefix("msisdn: "))
		Expect(pe.Problems[2]).To(Equal("pin: unknown parameter"))
		_, err = tl.Call(context.Background(), acme, "payment_token", map[string]any{})
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(svc.count()).To(Equal(0))
	})

	It("reads chat arguments by the parameter's type", func() {
		t := tl.Catalog().Find("payment_token")
		p, err := t.ParseArgs([]string{"amount=1500", "msisdn=255712345678"})
		Expect(err).NotTo(HaveOccurred())
		Expect(p).To(Equal(map[string]any{"amount": int64(1500), "msisdn": "255712345678"}))
		p, err = t.ParseArgs([]string{"amount=lots"})
		Expect(err).NotTo(HaveOccurred())
		Expect(t.Validate(p)).To(MatchError(ContainSubstring("amount: ")))
		_, err = t.ParseArgs([]string{"amount"})
		Expect(err).To(HaveOccurred())
	})

	It("refuses a secret tool outside a private chat, before anything is sent", func() {
		group := acme
		group.Private = false
		_, err := tl.Call(context.Background(), group, "payment_token", map[string]any{"amount": int64(1500), "msisdn": "255712345678"})
		var po *tools.PrivateOnlyError
		Expect(errors.As(err, &po)).To(BeTrue())
		Expect(svc.count()).To(Equal(0))
	})

	It("hides a tool from partners it is not for", func() {
		other := tools.Caller{Role: "partner", Partner: "globex", Key: "tg:2", Private: true}
		_, err := tl.Call(context.Background(), other, "order_lookup", map[string]any{"ref": "ORD12345"})
		var ut *tools.UnknownToolError
		Expect(errors.As(err, &ut)).To(BeTrue())
		Expect(tl.Visible("partner", "globex")).To(HaveLen(1))
		Expect(tl.Visible("staff", "")).To(HaveLen(1))
	})

	It("limits calls per caller, on the tool's own limit", func() {
		args := map[string]any{"amount": int64(1500), "msisdn": "255712345678"}
		for range 3 {
			_, err := tl.Call(context.Background(), acme, "payment_token", args)
			Expect(err).NotTo(HaveOccurred())
		}
		_, err := tl.Call(context.Background(), acme, "payment_token", args)
		var rl *tools.RateLimitError
		Expect(errors.As(err, &rl)).To(BeTrue())
		Expect(rl.Wait).To(Equal(20 * time.Second))
		other := acme
		other.Key = "tg:3"
		_, err = tl.Call(context.Background(), other, "payment_token", args)
		Expect(err).NotTo(HaveOccurred())
		now = now.Add(20 * time.Second)
		_, err = tl.Call(context.Background(), acme, "payment_token", args)
		Expect(err).NotTo(HaveOccurred())
	})

	It("reports an internal service failure as an upstream error", func() {
		cat, err := tools.Parse("t.yaml", []byte("tools:\n  - {name: b, description: d, method: GET, url: \""+srv.URL+"/broken\"}\n"))
		Expect(err).NotTo(HaveOccurred())
		_, err = tools.New(cat, tools.Options{}).Call(context.Background(), acme, "b", nil)
		var ue *tools.UpstreamError
		Expect(errors.As(err, &ue)).To(BeTrue())
		Expect(ue.Status).To(Equal(503))
	})

	It("masks secret parameters for the audit log", func() {
		cat, err := tools.Parse("t.yaml", []byte(`tools:
  - name: reset_pin
    description: d
    method: POST
    url: http://x/
    params:
      - {name: pin, secret: true, schema: {type: string}}
      - {name: account, schema: {type: string}}
`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cat.Find("reset_pin").Mask(map[string]any{"pin": "1234", "account": "A1"})).
			To(Equal(map[string]string{"pin": "***", "account": "A1"}))
	})

	It("never quotes a secret parameter's value in its problem, as the schema library's messages do", func() {
		cat, err := tools.Parse("t.yaml", []byte(`tools:
  - name: reset_pin
    description: d
    method: POST
    url: http://x/
    params:
      - {name: pin, secret: true, schema: {type: string, pattern: "^[0-9]{4}$"}}
      - {name: code, secret: true, schema: {type: string, minLength: 12, format: email}}
      - {name: account, schema: {type: string, pattern: "^A[0-9]+$"}}
`))
		Expect(err).NotTo(HaveOccurred())
		err = cat.Find("reset_pin").Validate(map[string]any{"pin": "73911", "code": "c0de-s3cret", "account": "B77"})
		var pe *tools.ParamError
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(pe.Problems).To(HaveLen(3))
		Expect(pe.Problems[0]).To(Equal(`pin: does not match pattern "^[0-9]{4}$"`))
		Expect(pe.Problems[1]).To(HavePrefix("code: is not valid ("))
		Expect(pe.Error()).NotTo(Or(ContainSubstring("73911"), ContainSubstring("c0de-s3cret")))
		Expect(pe.Problems[2]).To(ContainSubstring("B77"), "a value that is not secret is quoted, to help")
	})
})
