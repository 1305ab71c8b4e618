package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
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
)

// receiver is a webhook receiver whose answer to each attempt the spec
// scripts: "500", "reset" (the connection is cut with a TCP RST), "ok", or
// "hang" (answers 200 when the spec calls free, or ends).
type receiver struct {
	ts     *httptest.Server
	script []string

	mu       sync.Mutex
	attempts int
	bodies   []string
	headers  []http.Header
	got      chan int // the number of each attempt, as it arrives
	release  chan struct{}
	freeOnce sync.Once
}

func newReceiver(script ...string) *receiver {
	r := &receiver{script: script, got: make(chan int, 100), release: make(chan struct{})}
	r.ts = httptest.NewServer(http.HandlerFunc(r.serve))
	DeferCleanup(func() { r.free(); r.ts.Close() })
	return r
}

// free lets the attempts that hang answer.
func (r *receiver) free() { r.freeOnce.Do(func() { close(r.release) }) }

// attempt is the body and headers of the n-th attempt (from 1).
func (r *receiver) attempt(n int) (string, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[n-1], r.headers[n-1]
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.attempts++
	n := r.attempts
	r.bodies = append(r.bodies, string(body))
	r.headers = append(r.headers, req.Header.Clone())
	action := r.script[len(r.script)-1]
	if n <= len(r.script) {
		action = r.script[n-1]
	}
	r.mu.Unlock()
	r.got <- n
	switch action {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case "reset":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close with RST
		_ = conn.Close()
	case "hang":
		<-r.release
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts
}

// webhooks lists the partner's webhooks and their deliveries over the API.
func (h *hub) webhooks(partnerID string) []server.WebhookWithDeliveries {
	GinkgoHelper()
	r := h.api(h.adminTok, "GET", "/partners/"+partnerID+"/webhooks", nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var out []server.WebhookWithDeliveries
	r.json(&out)
	return out
}

func (h *hub) webhook(partnerID, url, secret string) string {
	GinkgoHelper()
	r := h.api(h.adminTok, "POST", "/partners/"+partnerID+"/webhooks", map[string]any{"url": url,
		"events": []string{"run.finished"}, "secret": secret})
	Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
	var w server.WebhookJSON
	r.json(&w)
	return w.ID
}

func quickRetries(c *server.Config) {
	c.WebhookBackoff = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond}
}

var _ = Describe("webhook deliveries", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("are retried with backoff until the receiver accepts: once, on the 3rd attempt, signed each time", func() {
				h := startHub(backend, quickRetries)
				p := h.partner("Hook Co", "collections")
				rcv := newReceiver("500", "reset", "ok")
				const secret = "hook-signing-secret-9c1e"
				h.webhook(p.ID, rcv.ts.URL, secret)
				run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))

				for want := 1; want <= 3; want++ {
					Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(want)))
				}
				var d server.DeliveryJSON
				Eventually(func() string {
					hooks := h.webhooks(p.ID)
					Expect(hooks).To(HaveLen(1))
					Expect(hooks[0].Deliveries).To(HaveLen(1))
					d = hooks[0].Deliveries[0]
					return d.State
				}).WithTimeout(2 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal("delivered"))
				Expect(d.Attempts).To(Equal(3))
				Expect(d.RunID).To(Equal(run.ID))
				Expect(d.DeliveredAt).NotTo(BeNil())
				Expect(rcv.count()).To(Equal(3), "delivered once: no attempt after the accepted one")

				rcv.mu.Lock()
				defer rcv.mu.Unlock()
				for i, hd := range rcv.headers {
					Expect(rcv.bodies[i]).To(Equal(rcv.bodies[0]), "the same body on every attempt")
					mac := hmac.New(sha256.New, []byte(secret))
					mac.Write([]byte(rcv.bodies[i]))
					Expect(hd.Get(server.SignatureHeader)).To(Equal("sha256=" + hex.EncodeToString(mac.Sum(nil))))
					Expect(hd.Get(server.DeliveryHeader)).To(Equal(rcv.headers[0].Get(server.DeliveryHeader)), "one delivery id")
					Expect(hd.Get(server.EventHeader)).To(Equal("run.finished"))
				}
				Expect(rcv.bodies[0]).To(ContainSubstring(`"event":"run.finished"`))
				Expect(h.log.String()).NotTo(ContainSubstring(secret))
			})

			It("give up after the last retry: failed, with the last error, for staff to see", func() {
				h := startHub(backend, quickRetries)
				p := h.partner("Down Co", "collections")
				rcv := newReceiver("500")
				h.webhook(p.ID, rcv.ts.URL, "")
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				var d server.DeliveryJSON
				Eventually(func() string {
					ds := h.webhooks(p.ID)[0].Deliveries
					if len(ds) == 0 {
						return "" // the run's end is published before its deliveries are written
					}
					d = ds[0]
					return d.State
				}).WithTimeout(2 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal("failed"))
				Expect(d.Attempts).To(Equal(3), "the first attempt and one retry per backoff step")
				Expect(d.LastError).To(ContainSubstring("500"))
				Expect(d.NextAttemptAt).To(BeNil())
				Expect(rcv.count()).To(Equal(3))

				By("staff see it on the partner page, and add a webhook there")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				Expect(page).To(And(ContainSubstring(rcv.ts.URL), ContainSubstring(">failed<"), ContainSubstring("500")))
				resp := b.post("/partners/"+p.ID+"/webhooks", url.Values{"url": {"http://127.0.0.1:9/ops"},
					"event": {"partner.regressed", "uat.completed"}, "secret": {"page-secret-77"}})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				hooks := h.webhooks(p.ID)
				Expect(hooks).To(HaveLen(2))
				Expect(hooks[1].URL).To(Equal("http://127.0.0.1:9/ops"))
				Expect(hooks[1].Events).To(ConsistOf("partner.regressed", "uat.completed"))
				Expect(hooks[1].HasSecret).To(BeTrue())
				_, page = b.get("/partners/" + p.ID)
				Expect(page).NotTo(ContainSubstring("page-secret-77"))

				By("an event no webhook can hear of is refused, not stored")
				r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/webhooks", map[string]any{
					"url": "http://127.0.0.1:9/typo", "events": []string{"run.finshed"}})
				Expect(r.status).To(Equal(http.StatusBadRequest))
				Expect(string(r.body)).To(And(ContainSubstring("unknown event"), ContainSubstring("run.finshed")))
				Expect(h.webhooks(p.ID)).To(HaveLen(2))
			})

			It("go with their webhook: staff delete one over the API or the page; another partner's reads as missing", func() {
				h := startHub(backend, func(c *server.Config) { c.WebhookBackoff = []time.Duration{time.Hour} })
				p := h.partner("Churn Co", "collections")
				other := h.partner("Other Co", "collections")
				rcv := newReceiver("500")
				gone := h.webhook(p.ID, rcv.ts.URL, "delete-me-secret")
				kept := h.webhook(p.ID, "http://127.0.0.1:9/kept", "")
				foreign := h.webhook(other.ID, "http://127.0.0.1:9/other", "")
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				Eventually(func() string {
					for _, w := range h.webhooks(p.ID) {
						if w.ID == gone && len(w.Deliveries) == 1 {
							return w.Deliveries[0].State
						}
					}
					return ""
				}).WithTimeout(2*time.Minute).WithPolling(50*time.Millisecond).Should(Equal("pending"), "failed once, retried in an hour")

				By("a partner's user may not, and another partner's id reads as missing")
				_, devTok := h.partnerUser(p.ID, "dev@churn.example")
				Expect(h.api(devTok, "DELETE", "/partners/"+p.ID+"/webhooks/"+gone, nil).status).To(Equal(http.StatusForbidden))
				r := h.api(h.adminTok, "DELETE", "/partners/"+p.ID+"/webhooks/"+foreign, nil)
				Expect(r.status).To(Equal(http.StatusNotFound))
				Expect(h.api(h.adminTok, "DELETE", "/partners/"+p.ID+"/webhooks/no-such-hook", nil).status).To(Equal(http.StatusNotFound))
				Expect(h.webhooks(other.ID)).To(HaveLen(1))

				By("staff delete it over the API: its pending delivery goes with it")
				Expect(h.api(h.adminTok, "DELETE", "/partners/"+p.ID+"/webhooks/"+gone, nil).status).To(Equal(http.StatusNoContent))
				hooks := h.webhooks(p.ID)
				Expect(hooks).To(HaveLen(1))
				Expect(hooks[0].ID).To(Equal(kept))
				_, err := h.st.ListDeliveries(h.ctx, store.System(), gone, 10)
				Expect(err).To(MatchError(store.ErrNotFound))
				Expect(h.api(h.adminTok, "DELETE", "/partners/"+p.ID+"/webhooks/"+gone, nil).status).To(Equal(http.StatusNotFound))
				audit := h.api(h.adminTok, "GET", "/audit?partner="+p.ID, nil)
				Expect(string(audit.body)).To(And(ContainSubstring("webhook.delete"), ContainSubstring(gone)))
				Expect(string(audit.body)).NotTo(ContainSubstring("delete-me-secret"))

				By("and on the partner page, with the webhook's button")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				Expect(page).To(ContainSubstring("/webhooks/" + kept + "/delete"))
				resp := b.post("/partners/"+p.ID+"/webhooks/"+kept+"/delete", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(h.webhooks(p.ID)).To(BeEmpty())
				_, page = b.get("/partners/" + p.ID)
				Expect(page).To(ContainSubstring("No webhooks."))
			})

			It("are edited by staff, URL and events, over the API or the page, checked as new ones; another partner's reads as missing", func() {
				h := startHub(backend)
				p := h.partner("Edit Co", "collections")
				other := h.partner("Other Co", "collections")
				const secret = "edit-me-secret-41d2"
				hook := h.webhook(p.ID, "http://127.0.0.1:9/first", secret)
				foreign := h.webhook(other.ID, "http://127.0.0.1:9/other", "")
				patch := func(token, id string, body any) apiResp {
					return h.api(token, "PATCH", "/partners/"+p.ID+"/webhooks/"+id, body)
				}
				only := func() server.WebhookWithDeliveries {
					GinkgoHelper()
					hooks := h.webhooks(p.ID)
					Expect(hooks).To(HaveLen(1))
					return hooks[0]
				}

				By("changing the URL alone, then the events alone: what the body leaves out stays")
				r := patch(h.adminTok, hook, map[string]any{"url": "http://127.0.0.1:9/second"})
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var w server.WebhookJSON
				r.json(&w)
				Expect(w.ID).To(Equal(hook))
				Expect(w.URL).To(Equal("http://127.0.0.1:9/second"))
				Expect(w.Events).To(Equal([]string{"run.finished"}))
				Expect(w.HasSecret).To(BeTrue(), "the secret stays")
				r = patch(h.adminTok, hook, map[string]any{"events": []string{"uat.completed", "partner.regressed"}})
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				got := only()
				Expect(got.URL).To(Equal("http://127.0.0.1:9/second"))
				Expect(got.Events).To(Equal([]string{"partner.regressed", "uat.completed"}))
				Expect(string(r.body)).NotTo(ContainSubstring(secret))

				By("refusing what a new webhook would be refused, in one line, changing nothing")
				for _, c := range []struct {
					body, want string
				}{
					{`{}`, "nothing to change"},
					{`{"url":"ftp://127.0.0.1/x"}`, "absolute http(s) URL"},
					{`{"url":"/relative"}`, "absolute http(s) URL"},
					{`{"url":"https://merchant:hunter2-password@127.0.0.1:9/x"}`, "must not carry a user or password"},
					{`{"events":[]}`, "at least one event"},
					{`{"events":["run.finshed"]}`, "unknown event"},
					{`{"url":"http://127.0.0.1:9/x","secret":"new"}`, "secret"},
					{`{"url":7}`, ""},
					{`not json`, ""},
				} {
					r = patch(h.adminTok, hook, c.body)
					Expect(r.status).To(Equal(http.StatusBadRequest), c.body+": "+string(r.body))
					var e server.APIError
					r.json(&e)
					Expect(e.Error).To(ContainSubstring(c.want))
					Expect(e.Error).NotTo(ContainSubstring("\n"))
					Expect(e.Error).NotTo(ContainSubstring("hunter2"), "a refused URL's password is not echoed")
				}
				Expect(only().URL).To(Equal("http://127.0.0.1:9/second"))

				By("refusing a partner's user, and answering another partner's webhook as missing")
				_, devTok := h.partnerUser(p.ID, "dev@edit.example")
				_, otherTok := h.partnerUser(other.ID, "dev@other.example")
				change := map[string]any{"url": "http://127.0.0.1:9/stolen"}
				Expect(patch(devTok, hook, change).status).To(Equal(http.StatusForbidden))
				Expect(h.api(otherTok, "PATCH", "/partners/"+p.ID+"/webhooks/"+hook, change).status).To(Equal(http.StatusNotFound))
				Expect(patch(h.adminTok, foreign, change).status).To(Equal(http.StatusNotFound))
				Expect(patch(h.adminTok, "no-such-hook", change).status).To(Equal(http.StatusNotFound))
				Expect(h.webhooks(other.ID)[0].URL).To(Equal("http://127.0.0.1:9/other"))
				Expect(only().URL).To(Equal("http://127.0.0.1:9/second"))

				By("editing on the partner page: the form shows the webhook as it is")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				action := "/partners/" + p.ID + "/webhooks/" + hook + "/edit"
				Expect(page).To(ContainSubstring(`action="` + action + `"`))
				Expect(page).To(ContainSubstring(`value="http://127.0.0.1:9/second"`))
				form := page[strings.Index(page, `action="`+action+`"`):]
				form = form[:strings.Index(form, "</form>")]
				Expect(form).To(ContainSubstring(`value="partner.regressed" checked`))
				Expect(form).To(ContainSubstring(`value="run.finished">`))
				resp := b.post(action, url.Values{"url": {"http://127.0.0.1:9/third"}})
				Expect(resp.StatusCode).To(Equal(http.StatusBadRequest), "no event ticked")
				rcv := newReceiver("ok")
				resp = b.post(action, url.Values{"url": {" " + rcv.ts.URL + " "}, "event": {"run.finished", "signoff.recorded"}})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(Equal("/partners/" + p.ID + "#webhooks"))
				got = only()
				Expect(got.URL).To(Equal(rcv.ts.URL))
				Expect(got.Events).To(Equal([]string{"run.finished", "signoff.recorded"}))
				Expect(got.HasSecret).To(BeTrue())

				By("delivering the next event to the new URL, signed with the same secret")
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				rcv.mu.Lock()
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write([]byte(rcv.bodies[0]))
				Expect(rcv.headers[0].Get(server.SignatureHeader)).To(Equal("sha256=" + hex.EncodeToString(mac.Sum(nil))))
				rcv.mu.Unlock()

				By("auditing every change, never the secret")
				r = h.api(h.adminTok, "GET", "/audit?partner="+p.ID, nil)
				var entries []server.AuditJSON
				r.json(&entries)
				changed := 0
				for _, e := range entries {
					if e.Action == "webhook.update" && e.Outcome == "ok" {
						changed++
						Expect(e.Subject).To(Equal("webhook " + hook))
					}
				}
				Expect(changed).To(Equal(3), "two over the API, one on the page")
				audit := string(r.body)
				Expect(audit).To(ContainSubstring(rcv.ts.URL))
				_, page = b.get("/partners/" + p.ID)
				for _, text := range []string{audit, page, h.log.String()} {
					Expect(text).NotTo(ContainSubstring(secret))
				}
			})

			It("survive a restart: a delivery written by a stopped hub is delivered by the next one", func() {
				h := startHub(backend, quickRetries)
				p := h.partner("Restart Co", "collections")
				rcv := newReceiver("ok")
				h.webhook(p.ID, rcv.ts.URL, "")
				h.srv.Stop()
				// The event happened just before the process stopped.
				n, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "run.finished",
					PartnerID: p.ID, Payload: []byte(`{"event":"run.finished"}`)})
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(1))
				h.restart()
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				Eventually(func() string { return h.webhooks(p.ID)[0].Deliveries[0].State }).
					WithTimeout(2 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal("delivered"))
			})

			It("never hold a run worker: a receiver that hangs does not stop the next run", func() {
				h := startHub(backend, func(c *server.Config) { c.Workers = 1 })
				p := h.partner("Slow Hook Co", "collections")
				rcv := newReceiver("hang")
				h.webhook(p.ID, rcv.ts.URL, "")
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				// The first delivery hangs in the receiver; the one worker is free.
				run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Expect(run.Certified()).To(BeTrue(), run.Failure)
				Expect(strings.Count(h.log.String(), "webhook not delivered")).To(BeZero())
			})
		})
	}
})
