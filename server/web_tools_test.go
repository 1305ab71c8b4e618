package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/telegram/tools"
)

// The secrets of the tool specs: a secret parameter and a secret return.
const (
	toolPIN = "7391"
	// pinAlone finds the PIN as a number of its own, not inside an id or
	// a timestamp (a page or row holds many digits).
	pinAlone  = `(^|[^0-9])` + toolPIN + `([^0-9]|$)`
	toolToken = "wtk-9f2e-returned-secret"
)

// toolsYAML declares a partner tool with a secret parameter and return,
// and a staff-only tool; URL is the internal service.
const toolsYAML = `tools:
  - name: reset_pin
    description: Reset a test wallet's PIN
    method: POST
    url: URL/v1/partners/{partner}/pins
    params:
      - name: msisdn
        description: the test wallet
        required: true
        schema: {type: string, pattern: "^255[0-9]{9}$"}
      - name: pin
        required: true
        secret: true
        schema: {type: string, pattern: "^[0-9]{4}$"}
      - name: amount
        schema: {type: integer, minimum: 100}
    returns:
      - {name: reset, path: data.reset}
      - {name: token, path: data.token, secret: true}
    rate_limit: {calls: 3, per: 1h}
  - name: ledger_dump
    description: Dump the ledger
    method: GET
    url: URL/v1/ledger/{partner}
    returns:
      - {name: rows, path: rows}
    allow:
      roles: [staff]
`

// internalService stands in for the team's internal HTTP service.
type internalService struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD PATH BODY"
}

func newInternalService() *internalService {
	is := &internalService{}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		is.mu.Lock()
		is.reqs = append(is.reqs, r.Method+" "+r.URL.Path+" "+string(body)+" "+r.Header.Get("X-Golive-Partner"))
		is.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"reset":true,"token":"`+toolToken+`"},"rows":3}`)
	}))
	DeferCleanup(is.srv.Close)
	return is
}

func (is *internalService) requests() []string {
	is.mu.Lock()
	defer is.mu.Unlock()
	return append([]string(nil), is.reqs...)
}

// startToolsHub is a hub whose bot (on botapitest) has the tools above.
func startToolsHub(backend string, is *internalService) *hub {
	GinkgoHelper()
	return startHub(backend, withTools(is))
}

// withTools runs the bot (on botapitest) with the tools above, calling is.
func withTools(is *internalService) hubOption {
	GinkgoHelper()
	api, err := botapitest.New(tgToken)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(api.Close)
	cat, err := tools.Parse("tools.yaml", []byte(strings.ReplaceAll(toolsYAML, "URL", is.srv.URL)))
	Expect(err).NotTo(HaveOccurred())
	return func(c *server.Config) {
		c.Telegram = &telegram.Config{Token: tgToken, APIURL: api.URL(), PollTimeout: time.Second, Tools: cat, Logger: c.Logger}
	}
}

// postPage posts a form and returns the status and the page.
func (b *browser) postPage(path string, form url.Values) (int, string) {
	GinkgoHelper()
	form.Set("csrf", b.csrf)
	resp := b.do("POST", path, form)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

var _ = Describe("tools.yaml tools on the partner page", func() {
	for _, backend := range backends() {
		It("shows the forms the user may use and calls the tool as the bot does: validated, rate-limited, audited without secrets, on "+backend, func() {
			is := newInternalService()
			h := startToolsHub(backend, is)
			a := h.partner("Alpha Pay")
			b := h.partner("Bravo Bank")
			aUser, _ := h.partnerUser(a.ID, "dev@alpha.example")
			web := h.signIn(aUser.Email, adminPassword)

			By("the partner's page has a form per tool it may use, with CSRF, and no staff tool")
			_, page := web.get("/partners/" + a.ID)
			Expect(page).To(ContainSubstring(`action="/partners/` + a.ID + `/tools/reset_pin"`))
			Expect(page).To(ContainSubstring(`name="p.pin" type="password"`))
			Expect(page).To(ContainSubstring(`name="p.amount" type="number"`))
			Expect(page).NotTo(ContainSubstring("ledger_dump"))
			Expect(strings.Count(page, `name="csrf"`)).To(BeNumerically(">=", 1))

			By("bad parameters: the one-line problem, 400, nothing sent")
			status, page := web.postPage("/partners/"+a.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"12345"}, "p.pin": {toolPIN}})
			Expect(status).To(Equal(http.StatusBadRequest))
			Expect(page).To(MatchRegexp(`id="tool-problem">Not sent: msisdn: [^<\n]+</p>`))
			Expect(page).NotTo(MatchRegexp(pinAlone))
			Expect(is.requests()).To(BeEmpty())
			status, page = web.postPage("/partners/"+a.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"255712345678"}, "p.pin": {"73915"}})
			Expect(status).To(Equal(http.StatusBadRequest))
			Expect(page).To(ContainSubstring("pin: does not match pattern"))
			Expect(page).NotTo(ContainSubstring("73915"), "a secret parameter's bad value is not echoed")
			Expect(is.requests()).To(BeEmpty())

			By("a good call: the declared fields shown, the secret parameter sent but never shown")
			status, page = web.postPage("/partners/"+a.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"255712345678"}, "p.pin": {toolPIN}, "p.amount": {"1500"}})
			Expect(status).To(Equal(http.StatusOK), page)
			Expect(page).To(ContainSubstring("reset"))
			Expect(page).To(ContainSubstring(toolToken), "a secret return is shown to the caller alone")
			Expect(page).NotTo(MatchRegexp(pinAlone))
			reqs := is.requests()
			Expect(reqs).To(HaveLen(1))
			Expect(reqs[0]).To(HavePrefix("POST /v1/partners/" + a.ID + "/pins "))
			Expect(reqs[0]).To(ContainSubstring(`"amount":1500`))
			Expect(reqs[0]).To(HaveSuffix(" " + a.ID))

			By("the audit row: the user, the tool, the pin masked, no returned secret")
			rows, err := h.st.ListAudit(h.ctx, store.System(), store.AuditFilter{PartnerID: a.ID})
			Expect(err).NotTo(HaveOccurred())
			dump, _ := json.Marshal(rows)
			Expect(string(dump)).To(ContainSubstring("web tool:reset_pin"))
			Expect(string(dump)).To(ContainSubstring(aUser.ID))
			Expect(string(dump)).To(ContainSubstring(`"pin":"***"`))
			// The PIN is four digits: look for it as a number of its own, not
			// inside a timestamp or an id.
			pin := MatchRegexp(`(^|[^0-9])(` + toolPIN + `|73915)([^0-9]|$)`)
			for _, r := range rows {
				for k, v := range r.Params {
					Expect(v).NotTo(pin, "audit param %s", k)
				}
				Expect(r.Outcome).NotTo(pin)
				Expect(r.Subject).NotTo(pin)
			}
			Expect(string(dump)).NotTo(ContainSubstring(toolToken))
			Expect(h.log.String()).NotTo(Or(ContainSubstring(toolToken), ContainSubstring(tgToken)))
			for _, line := range strings.Split(h.log.String(), "\n") {
				Expect(line).NotTo(pin)
			}

			By("the per-user rate limit (3 an hour; the invalid calls counted too)")
			status, page = web.postPage("/partners/"+a.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"255712345678"}, "p.pin": {toolPIN}})
			Expect(status).To(Equal(http.StatusTooManyRequests))
			Expect(page).To(ContainSubstring("used too often"))
			Expect(is.requests()).To(HaveLen(1))

			By("another partner's tool route, a staff tool, an unknown tool, no CSRF: refused, nothing sent")
			status, page = web.postPage("/partners/"+b.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"255712345678"}, "p.pin": {toolPIN}})
			Expect(status).To(Equal(http.StatusNotFound))
			Expect(page).NotTo(ContainSubstring(b.Name))
			status, _ = web.postPage("/partners/"+a.ID+"/tools/ledger_dump", url.Values{})
			Expect(status).To(Equal(http.StatusNotFound))
			status, _ = web.postPage("/partners/"+a.ID+"/tools/nope", url.Values{})
			Expect(status).To(Equal(http.StatusNotFound))
			resp := web.do("POST", "/partners/"+a.ID+"/tools/reset_pin", url.Values{"p.msisdn": {"255712345678"}, "p.pin": {toolPIN}})
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
			Expect(is.requests()).To(HaveLen(1))

			By("staff see and call the staff tool for the partner")
			admin := h.signIn("admin@bau.example", adminPassword)
			_, page = admin.get("/partners/" + b.ID)
			Expect(page).To(ContainSubstring(`/tools/ledger_dump"`))
			status, page = admin.postPage("/partners/"+b.ID+"/tools/ledger_dump", url.Values{})
			Expect(status).To(Equal(http.StatusOK), page)
			Expect(page).To(MatchRegexp(`rows</dt><dd><code>3</code>`))
		})
	}
})

var _ = Describe("the partner page's tool forms in Chromium", Ordered, func() {
	It("shows the tool forms and their answer", func() {
		bin := requireTool("chromium", "apt-get install chromium")
		is := newInternalService()
		h := startToolsHub("sqlite", is)
		p := h.partner("Acme Pay")
		u, _ := h.partnerUser(p.ID, "dev@acme.example")
		b := startChromium(bin)
		DeferCleanup(b.Close)
		t := b.NewTab(1280, 900)
		text := func() string {
			var s string
			t.Eval(`document.body.innerText`, &s)
			return s
		}
		t.Visit(h.url + "/")
		mark := b.EventCount()
		t.Eval(`(() => { document.querySelector("[name=email]").value = "`+u.Email+`";
			document.querySelector("[name=password]").value = "`+adminPassword+`";
			document.querySelector("form[action='/login']").submit(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)

		t.Visit(h.url + "/partners/" + p.ID + "#tools")
		Expect(text()).To(And(ContainSubstring("Tools"), ContainSubstring("reset_pin"), ContainSubstring("Reset a test wallet's PIN")))
		Expect(t.Problems()).To(BeEmpty())
		saveArtifact("hub-partner-tools.png", t.Screenshot(4000))

		mark = b.EventCount()
		t.Eval(`(() => { const f = document.querySelector("#tool-reset_pin");
			f.querySelector("[name='p.msisdn']").value = "255712345678";
			f.querySelector("[name='p.pin']").value = "`+toolPIN+`";
			f.submit(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)
		s := text()
		Expect(s).To(And(ContainSubstring("reset_pin for Acme Pay"), ContainSubstring("true")))
		Expect(s).NotTo(MatchRegexp(pinAlone))
		Expect(t.Problems()).To(BeEmpty())
		saveArtifact("hub-tool-result.png", t.Screenshot(2000))
		Expect(is.requests()).To(HaveLen(1))
	})
})
