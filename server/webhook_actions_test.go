package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// signature is the X-Golive-Signature of body under secret.
func signature(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// deliveries lists a webhook's deliveries over its own endpoint.
func (h *hub) deliveries(partnerID, hookID string) []server.DeliveryJSON {
	GinkgoHelper()
	r := h.api(h.adminTok, "GET", "/partners/"+partnerID+"/webhooks/"+hookID+"/deliveries", nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var out []server.DeliveryJSON
	r.json(&out)
	return out
}

// delivery waits until the webhook's delivery id is in state, and returns it.
func (h *hub) delivery(partnerID, hookID string, id int64, state string) server.DeliveryJSON {
	GinkgoHelper()
	var got server.DeliveryJSON
	Eventually(func() string {
		for _, d := range h.deliveries(partnerID, hookID) {
			if d.ID == id {
				got = d
				return d.State
			}
		}
		return ""
	}).WithTimeout(2*time.Minute).WithPolling(50*time.Millisecond).Should(Equal(state), "delivery %d", id)
	return got
}

// auditOf lists the partner's audit entries with the action.
func (h *hub) auditOf(partnerID, action string) ([]server.AuditJSON, string) {
	GinkgoHelper()
	r := h.api(h.adminTok, "GET", "/audit?partner="+partnerID, nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var all, out []server.AuditJSON
	r.json(&all)
	for _, e := range all {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out, string(r.body)
}

// expectOneLineError checks an API refusal: the status, and one line that
// says what is wrong.
func expectOneLineError(r apiResp, status int, want string) {
	GinkgoHelper()
	Expect(r.status).To(Equal(status), string(r.body))
	var e server.APIError
	r.json(&e)
	Expect(e.Error).To(ContainSubstring(want))
	Expect(e.Error).NotTo(ContainSubstring("\n"))
}

var _ = Describe("staff's actions on a partner's webhooks", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("redeliver a failed or delivered delivery as a new one, to the webhook's URL and secret as they are now, over the API or the page", func() {
				h := startHub(backend, quickRetries)
				p := h.partner("Redeliver Co", "collections")
				other := h.partner("Other Co", "collections")
				rcv := newReceiver("500", "500", "500", "ok")
				const secret = "redeliver-secret-5be1"
				hook := h.webhook(p.ID, rcv.ts.URL, secret)
				foreignHook := h.webhook(other.ID, "http://127.0.0.1:9/other", "")
				run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				base := "/partners/" + p.ID + "/webhooks/" + hook + "/deliveries"

				By("every attempt failing: failed, with the receiver's status")
				for want := 1; want <= 3; want++ {
					Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(want)))
				}
				var first server.DeliveryJSON
				Eventually(func() []server.DeliveryJSON { return h.deliveries(p.ID, hook) }).
					WithTimeout(2 * time.Minute).WithPolling(50 * time.Millisecond).Should(HaveLen(1))
				first = h.delivery(p.ID, hook, h.deliveries(p.ID, hook)[0].ID, "failed")
				Expect(first.Attempts).To(Equal(3))
				Expect(first.ResponseStatus).To(Equal(500))
				Expect(first.RunID).To(Equal(run.ID))
				Expect(first.RedeliveryOf).To(BeZero())

				By("redelivering it over the API: 202 with a new pending delivery that names it")
				r := h.api(h.adminTok, "POST", base+"/"+strconv.FormatInt(first.ID, 10)+"/redeliver", nil)
				Expect(r.status).To(Equal(http.StatusAccepted), string(r.body))
				var again server.DeliveryJSON
				r.json(&again)
				Expect(again.ID).To(BeNumerically(">", first.ID))
				Expect(again.RedeliveryOf).To(Equal(first.ID))
				Expect(again.Event).To(Equal("run.finished"))
				Expect(again.RunID).To(Equal(run.ID))
				Expect(again.Attempts).To(BeZero())
				Expect(again.ResponseStatus).To(BeZero())
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(4)))
				again = h.delivery(p.ID, hook, again.ID, "delivered")
				Expect(again.ResponseStatus).To(Equal(http.StatusNoContent))
				Expect(again.Attempts).To(Equal(1))
				firstBody, _ := rcv.attempt(1)
				body, hd := rcv.attempt(4)
				Expect(body).To(Equal(firstBody), "the same event payload")
				Expect(hd.Get(server.DeliveryHeader)).To(Equal(strconv.FormatInt(again.ID, 10)), "a delivery id of its own")
				Expect(hd.Get(server.RedeliveryHeader)).To(Equal(strconv.FormatInt(first.ID, 10)))
				Expect(hd.Get(server.SignatureHeader)).To(Equal(signature(secret, body)))
				Expect(hd.Get(server.EventHeader)).To(Equal("run.finished"))
				_, firstHeaders := rcv.attempt(1)
				Expect(firstHeaders.Get(server.RedeliveryHeader)).To(BeEmpty(), "only on a redelivery")
				ds := h.deliveries(p.ID, hook)
				Expect(ds).To(HaveLen(2))
				Expect(ds[0].ID).To(Equal(again.ID), "newest first")
				Expect(ds[1].State).To(Equal("failed"), "the original stays as it was")
				Expect(ds[1].Attempts).To(Equal(3))

				By("refusing, in one line and never with a 500, what cannot be redelivered")
				_, devTok := h.partnerUser(p.ID, "dev@redeliver.example")
				_, otherTok := h.partnerUser(other.ID, "dev@other.example")
				_, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "run.finished",
					PartnerID: other.ID, Payload: []byte(`{"event":"run.finished"}`)})
				Expect(err).NotTo(HaveOccurred())
				foreign, err := h.st.ListDeliveries(h.ctx, store.System(), foreignHook, 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(foreign).To(HaveLen(1))
				foreignID := strconv.FormatInt(foreign[0].ID, 10)
				firstID := strconv.FormatInt(first.ID, 10)
				for _, c := range []struct {
					token, path string
					body        any
					status      int
					want        string
				}{
					{h.adminTok, base + "/999999/redeliver", nil, 404, "no delivery 999999"},
					{h.adminTok, base + "/abc/redeliver", nil, 404, "not a delivery number"},
					{h.adminTok, base + "/-3/redeliver", nil, 404, "not a delivery number"},
					{h.adminTok, base + "/" + foreignID + "/redeliver", nil, 404, "no delivery"},
					{h.adminTok, "/partners/" + other.ID + "/webhooks/" + hook + "/deliveries/" + firstID + "/redeliver", nil, 404, "no webhook"},
					{h.adminTok, "/partners/" + p.ID + "/webhooks/" + foreignHook + "/deliveries/" + foreignID + "/redeliver", nil, 404, "no webhook"},
					{h.adminTok, "/partners/no-such-partner/webhooks/" + hook + "/deliveries/" + firstID + "/redeliver", nil, 404, ""},
					{devTok, base + "/" + firstID + "/redeliver", nil, 403, "staff only"},
					{otherTok, base + "/" + firstID + "/redeliver", nil, 404, ""},
					{h.adminTok, base + "/" + firstID + "/redeliver", `not json`, 400, "not valid JSON"},
					{h.adminTok, base + "/" + firstID + "/redeliver", `{"url":"http://127.0.0.1:9/elsewhere"}`, 400, "unknown field"},
					{h.adminTok, base + "?limit=0", nil, 400, "limit"},
					{h.adminTok, base + "?limit=many", nil, 400, "limit"},
					{devTok, base, nil, 403, "staff only"},
					{otherTok, base, nil, 404, ""},
					{h.adminTok, "/partners/" + p.ID + "/webhooks/" + foreignHook + "/deliveries", nil, 404, "no webhook"},
				} {
					method := "POST"
					if !strings.HasSuffix(c.path, "/redeliver") {
						method = "GET"
					}
					expectOneLineError(h.api(c.token, method, c.path, c.body), c.status, c.want)
				}
				Expect(h.deliveries(p.ID, hook)).To(HaveLen(2), "nothing was queued")
				Expect(h.deliveries(other.ID, foreignHook)).To(HaveLen(1))
				r = h.api(h.adminTok, "GET", base+"?limit=1", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var one []server.DeliveryJSON
				r.json(&one)
				Expect(one).To(HaveLen(1))

				By("the webhook moves and gets a new secret; the page's button redelivers the delivered one there")
				moved := newReceiver("ok")
				r = h.api(h.adminTok, "PATCH", "/partners/"+p.ID+"/webhooks/"+hook, map[string]any{"url": moved.ts.URL})
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				r = h.api(h.adminTok, "POST", "/partners/"+p.ID+"/webhooks/"+hook+"/rotate-secret", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var rotated server.WebhookSecretJSON
				r.json(&rotated)
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				action := "/partners/" + p.ID + "/webhooks/" + hook + "/deliveries/" + strconv.FormatInt(again.ID, 10) + "/redeliver"
				Expect(page).To(ContainSubstring(`action="` + action + `"`))
				Expect(page).To(ContainSubstring(`action="/partners/` + p.ID + `/webhooks/` + hook + `/deliveries/` + firstID + `/redeliver"`))
				row := page[strings.Index(page, `id="delivery-`+firstID+`"`):]
				row = row[:strings.Index(row, "</tr>")]
				Expect(row).To(And(ContainSubstring(">failed<"), ContainSubstring("<td>500</td>")))
				resp := b.post(action, url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(Equal("/partners/" + p.ID + "#webhooks"))
				Eventually(moved.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				body, hd = moved.attempt(1)
				Expect(body).To(Equal(firstBody))
				Expect(hd.Get(server.SignatureHeader)).To(Equal(signature(rotated.Secret, body)), "signed with the secret as it is now")
				Expect(hd.Get(server.RedeliveryHeader)).To(Equal(strconv.FormatInt(again.ID, 10)))
				third := h.delivery(p.ID, hook, h.deliveries(p.ID, hook)[0].ID, "delivered")
				Expect(third.RedeliveryOf).To(Equal(again.ID))
				Expect(rcv.count()).To(Equal(4), "nothing more went to the old URL")
				_, page = b.get("/partners/" + p.ID)
				Expect(page).To(ContainSubstring("(redelivers " + strconv.FormatInt(again.ID, 10) + ")"))
				resp = b.post("/partners/"+p.ID+"/webhooks/"+hook+"/deliveries/999999/redeliver", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusNotFound))

				By("auditing each redelivery: who, which delivery, the new one")
				entries, audit := h.auditOf(p.ID, "webhook.redeliver")
				ok := 0
				for _, e := range entries {
					Expect(e.Subject).To(Equal("webhook " + hook))
					if e.Outcome == "ok" {
						ok++
						Expect(e.Params).To(HaveKey("redelivery"))
						Expect(e.Params).To(HaveKeyWithValue("event", "run.finished"))
					}
				}
				Expect(ok).To(Equal(2), "one over the API, one on the page")
				Expect(entries).To(ContainElement(And(HaveField("Params", HaveKeyWithValue("delivery", firstID)),
					HaveField("Params", HaveKeyWithValue("redelivery", strconv.FormatInt(again.ID, 10))))))
				for _, text := range []string{audit, page, h.log.String()} {
					Expect(text).NotTo(ContainSubstring(secret))
					Expect(text).NotTo(ContainSubstring(rotated.Secret))
				}
			})

			It("rotate a webhook's secret: shown once over the API or on the page, then never again, in no page, audit entry or log", func() {
				h := startHub(backend)
				p := h.partner("Rotate Co", "collections")
				other := h.partner("Other Co", "collections")
				const oldSecret = "rotate-me-secret-0d9a"
				rcv := newReceiver("ok")
				hook := h.webhook(p.ID, rcv.ts.URL, oldSecret)
				unsigned := h.webhook(p.ID, "http://127.0.0.1:9/unsigned", "")
				foreignHook := h.webhook(other.ID, "http://127.0.0.1:9/other", "")
				rotate := func(token, partnerID, hookID string, body any) apiResp {
					return h.api(token, "POST", "/partners/"+partnerID+"/webhooks/"+hookID+"/rotate-secret", body)
				}

				By("over the API: the new secret in the answer, this once")
				r := rotate(h.adminTok, p.ID, hook, nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var got server.WebhookSecretJSON
				r.json(&got)
				apiSecret := got.Secret
				Expect(apiSecret).To(HavePrefix("glvwh_"))
				Expect(got.ID).To(Equal(hook))
				Expect(got.URL).To(Equal(rcv.ts.URL))
				Expect(got.HasSecret).To(BeTrue())
				r = rotate(h.adminTok, p.ID, unsigned, `{}`)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				r.json(&got)
				unsignedSecret := got.Secret
				Expect(unsignedSecret).NotTo(Equal(apiSecret))

				By("the next delivery is signed with it")
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				body, hd := rcv.attempt(1)
				Expect(hd.Get(server.SignatureHeader)).To(Equal(signature(apiSecret, body)))

				By("refusing, in one line, a partner's user, another partner's webhook, a secret in the body, bad JSON")
				_, devTok := h.partnerUser(p.ID, "dev@rotate.example")
				_, otherTok := h.partnerUser(other.ID, "dev@other.example")
				expectOneLineError(rotate(devTok, p.ID, hook, nil), 403, "staff only")
				expectOneLineError(rotate(otherTok, p.ID, hook, nil), 404, "")
				expectOneLineError(rotate(h.adminTok, p.ID, foreignHook, nil), 404, "no webhook")
				expectOneLineError(rotate(h.adminTok, other.ID, hook, nil), 404, "no webhook")
				expectOneLineError(rotate(h.adminTok, p.ID, "no-such-hook", nil), 404, "no webhook")
				expectOneLineError(rotate(h.adminTok, p.ID, hook, `{"secret":"my-own-choice"}`), 400, "unknown field")
				expectOneLineError(rotate(h.adminTok, p.ID, hook, `{"secret":`), 400, "")
				expectOneLineError(rotate(h.adminTok, p.ID, hook, `[]`), 400, "")
				stored, err := h.st.WebhookSecret(h.ctx, store.System(), hook)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(apiSecret), "a refused rotation changed nothing")
				foreignSecret, err := h.st.WebhookSecret(h.ctx, store.System(), foreignHook)
				Expect(err).NotTo(HaveOccurred())
				Expect(foreignSecret).To(BeEmpty())

				By("on the page: the button answers with the page showing the new secret, once")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				action := "/partners/" + p.ID + "/webhooks/" + hook + "/rotate-secret"
				Expect(page).To(ContainSubstring(`action="` + action + `"`))
				Expect(page).NotTo(ContainSubstring("webhook-secret-value"))
				resp := b.do("POST", action, url.Values{"csrf": {b.csrf}})
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				Expect(err).NotTo(HaveOccurred())
				Expect(resp.StatusCode).To(Equal(http.StatusOK), string(raw))
				Expect(resp.Header.Get("Cache-Control")).To(Equal("no-store"))
				shown := string(raw)
				m := strings.Index(shown, `id="webhook-secret-value">`)
				Expect(m).To(BeNumerically(">", 0))
				pageSecret := shown[m+len(`id="webhook-secret-value">`):]
				pageSecret = pageSecret[:strings.Index(pageSecret, "<")]
				Expect(pageSecret).To(HavePrefix("glvwh_"))
				Expect(pageSecret).NotTo(Equal(apiSecret))
				stored, err = h.st.WebhookSecret(h.ctx, store.System(), hook)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(pageSecret))
				Expect(strings.Count(shown, pageSecret)).To(Equal(1), "shown once, beside its webhook")
				resp = b.post("/partners/"+other.ID+"/webhooks/"+hook+"/rotate-secret", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusNotFound))

				By("and never again: not on the page, in the API, the audit log or the hub's log")
				_, page = b.get("/partners/" + p.ID)
				Expect(page).NotTo(ContainSubstring("webhook-secret-value"))
				_, auditPage := b.get("/audit")
				r = h.api(h.adminTok, "GET", "/partners/"+p.ID+"/webhooks", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				listing := string(r.body)
				deliveries := string(h.api(h.adminTok, "GET", "/partners/"+p.ID+"/webhooks/"+hook+"/deliveries", nil).body)
				entries, audit := h.auditOf(p.ID, "webhook.rotate-secret")
				Expect(entries).To(HaveLen(3), "two over the API and one on the page")
				for _, e := range entries {
					Expect(e.Params).To(BeEmpty())
					Expect(e.Outcome).To(Equal("ok"))
					Expect(e.Subject).To(BeElementOf("webhook "+hook, "webhook "+unsigned))
				}
				Expect(auditPage).To(ContainSubstring("webhook.rotate-secret"))
				for _, text := range []string{page, auditPage, listing, deliveries, audit, h.log.String()} {
					for _, s := range []string{oldSecret, apiSecret, unsignedSecret, pageSecret} {
						Expect(text).NotTo(ContainSubstring(s))
					}
				}
			})

			It("cancel the pending deliveries of an event an edit unticks, even one whose attempt is out: never sent again", func() {
				h := startHub(backend, func(c *server.Config) { c.WebhookBackoff = []time.Duration{time.Hour} })
				p := h.partner("Untick Co", "collections")
				rcv := newReceiver("hang", "500")
				hook := h.webhook(p.ID, rcv.ts.URL, "")
				r := h.api(h.adminTok, "PATCH", "/partners/"+p.ID+"/webhooks/"+hook,
					map[string]any{"events": []string{"run.finished", "signoff.recorded"}})
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
				ds := h.deliveries(p.ID, hook)
				Expect(ds).To(HaveLen(1))
				Expect(ds[0].State).To(Equal("pending"), "its attempt is out, hanging")

				By("the edit unticks run.finished: the delivery is cancelled, audited with the count")
				r = h.api(h.adminTok, "PATCH", "/partners/"+p.ID+"/webhooks/"+hook,
					map[string]any{"events": []string{"signoff.recorded"}})
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				d := h.deliveries(p.ID, hook)[0]
				Expect(d.State).To(Equal("cancelled"))
				Expect(d.NextAttemptAt).To(BeNil())
				entries, _ := h.auditOf(p.ID, "webhook.update")
				Expect(entries).To(HaveLen(2))
				Expect(entries).To(ContainElement(HaveField("Params", HaveKeyWithValue("cancelledDeliveries", "1"))))

				By("the attempt that was out ends with a 200: the delivery stays cancelled, and is not retried")
				rcv.free()
				Eventually(h.log.String).WithTimeout(2 * time.Minute).WithPolling(20 * time.Millisecond).
					Should(ContainSubstring("webhook delivery no longer pending"))
				d = h.deliveries(p.ID, hook)[0]
				Expect(d.State).To(Equal("cancelled"))
				Expect(d.Attempts).To(Equal(1))
				Expect(rcv.count()).To(Equal(1))
				expectOneLineError(h.api(h.adminTok, "POST", "/partners/"+p.ID+"/webhooks/"+hook+"/deliveries/"+
					strconv.FormatInt(d.ID, 10)+"/redeliver", nil), http.StatusConflict, "cancelled")

				By("the page shows it cancelled, without a Redeliver button; the page's edit cancels too")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/partners/" + p.ID)
				id := strconv.FormatInt(d.ID, 10)
				row := page[strings.Index(page, `id="delivery-`+id+`"`):]
				row = row[:strings.Index(row, "</tr>")]
				Expect(row).To(ContainSubstring(`<span class="muted">cancelled</span>`))
				Expect(row).NotTo(ContainSubstring("redeliver"))

				_, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "signoff.recorded",
					PartnerID: p.ID, Payload: []byte(`{"event":"signoff.recorded"}`)})
				Expect(err).NotTo(HaveOccurred())
				Eventually(rcv.got).WithTimeout(2*time.Minute).Should(Receive(Equal(2)), "the ticked event is sent")
				resp := b.post("/partners/"+p.ID+"/webhooks/"+hook+"/edit", url.Values{"url": {rcv.ts.URL},
					"event": {"run.finished"}})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				var states []string
				for _, d := range h.deliveries(p.ID, hook) {
					states = append(states, d.Event+" "+d.State)
				}
				Expect(states).To(ConsistOf("run.finished cancelled", "signoff.recorded cancelled"),
					"its retry, an hour away (or its attempt, still out), is cancelled")
			})
		})
	}
})
