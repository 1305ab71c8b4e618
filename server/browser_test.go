package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// Every page a person reads, in real headless Chromium: signed in through
// the form, no script error or CSP violation, the facts on the page, and a
// screenshot kept under GOLIVE_ARTIFACTS.
var _ = Describe("the pages in Chromium", Ordered, func() {
	var h *hub
	var b *chromium
	var t *tab
	var p server.PartnerJSON
	var good, bad int64

	BeforeAll(func() {
		bin := requireTool("chromium", "apt-get install chromium")
		h = startHub("sqlite", withUAT)
		p = h.partner("Acme Pay")
		good = h.waitRun(h.startRun(h.adminTok, p.ID, nil)).ID
		h.endpoint(p.ID, "staging", sandboxTarget("amount-changed"))
		h.endpoint(p.ID, "production", h.sandbox) // a schedule is for a registered environment
		bad = h.waitRun(h.startRun(h.adminTok, p.ID, nil)).ID
		h.partner("Bravo Bank")
		b = startChromium(bin)
		DeferCleanup(b.Close)
		t = b.NewTab(1280, 900)
	})

	check := func(name string) {
		GinkgoHelper()
		Expect(t.Problems()).To(BeEmpty())
		saveArtifact("hub-"+name+".png", t.Screenshot(4000))
	}
	text := func() string {
		GinkgoHelper()
		var s string
		t.Eval(`document.body.innerText`, &s)
		return s
	}

	It("signs in through the form", func() {
		t.Visit(h.url + "/")
		Expect(text()).To(ContainSubstring("Sign in"))
		check("login")
		mark := b.EventCount()
		t.Eval(`(() => { document.querySelector("[name=email]").value = "admin@bau.example";
			document.querySelector("[name=password]").value = "`+adminPassword+`";
			document.querySelector("form[action='/login']").submit(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)
		Expect(text()).To(ContainSubstring("Partners"))
	})

	It("shows the partners overview with a status per API", func() {
		t.Visit(h.url + "/")
		s := text()
		Expect(s).To(ContainSubstring("Acme Pay"))
		Expect(s).To(ContainSubstring("Bravo Bank"))
		Expect(s).To(ContainSubstring("in SIT"))
		Expect(s).To(ContainSubstring("not started"))
		check("overview")
	})

	It("shows a partner page: progress, history with its trend chart, sign-offs, schedules", func() {
		t.Visit(h.url + "/partners/" + p.ID)
		s := text()
		Expect(s).To(ContainSubstring("items ever passed"))
		Expect(s).To(ContainSubstring("failing now"))
		var dots int
		t.Eval(`document.querySelectorAll("figure.trend circle").length`, &dots)
		Expect(dots).To(Equal(2))
		Expect(s).NotTo(ContainSubstring(plantedSecret))
		check("partner")
	})

	It("lists the partner's Telegram chats for staff, and revokes one with its button", func() {
		code, _, err := server.PartnerLinkCode(h.ctx, h.st, p.ID)
		Expect(err).NotTo(HaveOccurred())
		_, err = h.st.RedeemLinkCode(h.ctx, code, 777001)
		Expect(err).NotTo(HaveOccurred())
		t.Visit(h.url + "/partners/" + p.ID)
		Expect(text()).To(ContainSubstring("777001"))
		Expect(text()).NotTo(ContainSubstring("golive.invalid"), "the hub's own Telegram user is not listed as a user")
		check("partner-chats")
		mark := b.EventCount()
		t.Eval(`(() => { document.querySelector("form[action$='/chats/777001/revoke'] button").click(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)
		Expect(text()).NotTo(ContainSubstring("777001"))
		_, err = h.st.ChatUser(h.ctx, 777001)
		Expect(err).To(HaveOccurred(), "the chat is no longer linked")
	})

	// submit clicks a control that sends a form, and waits for the page it loads.
	submit := func(selector string) {
		GinkgoHelper()
		mark := b.EventCount()
		t.Eval(`(() => { document.querySelector("`+selector+`").click(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)
	}

	It("lets an admin disable and enable a partner's user with the buttons of the partner page's user list", func() {
		r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/users", map[string]any{"email": "dev@acme.example",
			"name": "Dev", "password": "partner user passphrase"})
		Expect(r.status).To(Equal(201), string(r.body))
		var dev server.UserJSON
		r.json(&dev)
		state := func() string {
			GinkgoHelper()
			var s string
			t.Eval(`document.getElementById("users").innerText`, &s)
			return s
		}
		disabled := func() bool {
			GinkgoHelper()
			u, err := h.st.GetUser(h.ctx, store.System(), dev.ID)
			Expect(err).NotTo(HaveOccurred())
			return u.Disabled
		}

		t.Visit(h.url + "/partners/" + p.ID)
		Expect(state()).To(And(ContainSubstring("dev@acme.example"), ContainSubstring("active")))
		submit(`form[action$='/users/` + dev.ID + `/disable'] button`)
		Expect(state()).To(ContainSubstring("disabled"))
		Expect(disabled()).To(BeTrue())
		check("partner-user-disabled")
		submit(`form[action$='/users/` + dev.ID + `/enable'] button`)
		Expect(state()).To(ContainSubstring("active"))
		Expect(disabled()).To(BeFalse())
	})

	It("edits a webhook's URL and events with the form its summary opens", func() {
		hook := h.webhook(p.ID, "http://127.0.0.1:9/before", "")
		t.Visit(h.url + "/partners/" + p.ID)
		form := `form[action$='/webhooks/` + hook + `/edit']`
		var visible bool
		t.Eval(`document.querySelector("`+form+` [name=url]").checkVisibility()`, &visible)
		Expect(visible).To(BeFalse(), "the edit form is folded away")
		t.Eval(`(() => { const f = document.querySelector("`+form+`");
			f.closest("details").querySelector("summary").click();
			f.querySelector("[name=url]").value = "http://127.0.0.1:9/after";
			f.querySelector("[name=event][value='run.finished']").checked = false;
			f.querySelector("[name=event][value='signoff.recorded']").checked = true;
			return true })()`, nil)
		t.Eval(`document.querySelector("`+form+` [name=url]").checkVisibility()`, &visible)
		Expect(visible).To(BeTrue(), "the summary opens the edit form")
		check("partner-webhook-edit")
		submit(form + ` button`)
		Expect(text()).To(ContainSubstring("http://127.0.0.1:9/after"))
		Expect(text()).NotTo(ContainSubstring("http://127.0.0.1:9/before"))
		hooks := h.webhooks(p.ID)
		Expect(hooks).To(HaveLen(1))
		Expect(hooks[0].URL).To(Equal("http://127.0.0.1:9/after"))
		Expect(hooks[0].Events).To(Equal([]string{"signoff.recorded"}))
	})

	It("rotates a webhook's secret with its button, showing it once, and redelivers a delivery with its row's button", func() {
		rcv := newReceiver("ok")
		hook := h.webhook(p.ID, rcv.ts.URL, "browser-old-secret-3f1c")
		_, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "run.finished", PartnerID: p.ID,
			Payload: []byte(`{"event":"run.finished","runId":1}`)})
		Expect(err).NotTo(HaveOccurred())
		Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(1)))
		var delivered int64
		Eventually(func() string {
			ds := h.deliveries(p.ID, hook)
			if len(ds) == 0 {
				return ""
			}
			delivered = ds[0].ID
			return ds[0].State
		}).WithTimeout(2 * time.Minute).WithPolling(50 * time.Millisecond).Should(Equal("delivered"))

		t.Visit(h.url + "/partners/" + p.ID)
		var present bool
		t.Eval(`document.getElementById("webhook-secret-value") !== null`, &present)
		Expect(present).To(BeFalse())
		submit(`form[action$='/webhooks/` + hook + `/rotate-secret'] button`)
		var secret string
		t.Eval(`document.getElementById("webhook-secret-value").innerText`, &secret)
		Expect(secret).To(HavePrefix("glvwh_"))
		stored, err := h.st.WebhookSecret(h.ctx, store.System(), hook)
		Expect(err).NotTo(HaveOccurred())
		Expect(secret).To(Equal(stored))
		check("partner-webhook-secret")

		t.Visit(h.url + "/partners/" + p.ID)
		Expect(text()).NotTo(ContainSubstring(secret), "shown once")
		t.Eval(`document.getElementById("webhook-secret-value") !== null`, &present)
		Expect(present).To(BeFalse())
		submit(`form[action$='/webhooks/` + hook + `/deliveries/` + strconv.FormatInt(delivered, 10) + `/redeliver'] button`)
		Eventually(rcv.got).WithTimeout(2 * time.Minute).Should(Receive(Equal(2)))
		body, hd := rcv.attempt(2)
		Expect(hd.Get(server.SignatureHeader)).To(Equal(signature(secret, body)), "signed with the new secret")
		Expect(hd.Get(server.RedeliveryHeader)).To(Equal(strconv.FormatInt(delivered, 10)))
		Expect(text()).To(ContainSubstring("redelivers " + strconv.FormatInt(delivered, 10)))
		Expect(text()).NotTo(ContainSubstring(secret))
		check("partner-webhook-redelivered")
	})

	It("lists a failed Telegram message on the Deliveries page, linked from the navigation, and queues it again with Retry", func() {
		// A message a sender gave up on (this hub runs no bot: nothing else claims it).
		_, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "run.finished", PartnerID: p.ID,
			Payload: []byte(`{"event":"run.finished"}`), Chats: []store.ChatMessage{{ChatID: 778001, Text: "Run finished"}}})
		Expect(err).NotTo(HaveOccurred())
		claimed, err := h.st.ClaimChatMessages(h.ctx, store.System(), 10, time.Hour)
		Expect(err).NotTo(HaveOccurred())
		Expect(claimed).To(HaveLen(1))
		id := claimed[0].ID
		Expect(h.st.RecordChatMessage(h.ctx, store.System(), id, store.DeliveryOutcome{Err: "sendMessage: Bad Request: chat not found"})).To(Succeed())

		t.Visit(h.url + "/")
		submit(`nav a[href='/deliveries']`)
		s := text()
		Expect(s).To(And(ContainSubstring("Deliveries"), ContainSubstring("Telegram chat 778001"), ContainSubstring("Acme Pay"),
			ContainSubstring("chat not found"), ContainSubstring("failed")))
		check("deliveries")
		submit(`#telegram-` + strconv.FormatInt(id, 10) + ` form[action$='/retry'] button`)
		Expect(text()).To(ContainSubstring("Telegram message " + strconv.FormatInt(id, 10) + " is queued again"))
		var retryButtons int
		t.Eval(`document.querySelectorAll("#telegram-`+strconv.FormatInt(id, 10)+` form").length`, &retryButtons)
		Expect(retryButtons).To(BeZero(), "no longer failed: not on the failed list")
		msgs, err := h.st.ListChatMessages(h.ctx, store.System(), 10)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(ConsistOf(And(HaveField("ID", id), HaveField("State", store.ChatMessagePending), HaveField("Attempts", 0))))
		check("deliveries-retried")
	})

	It("shows a run with its verdict, files and the sign-off form only when certified", func() {
		t.Visit(h.url + "/runs/" + strconv.FormatInt(good, 10))
		s := text()
		Expect(s).To(ContainSubstring("Verdict: CERTIFIED"))
		Expect(s).To(ContainSubstring("Evidence pack hash"))
		check("run-certified")
		t.Visit(h.url + "/runs/" + strconv.FormatInt(bad, 10))
		s = text()
		Expect(s).To(ContainSubstring("NOT CERTIFIED"))
		Expect(s).To(ContainSubstring("only on a certified run"))
		check("run-not-certified")
	})

	It("shows the diff between two runs", func() {
		t.Visit(h.url + "/runs/" + strconv.FormatInt(bad, 10) + "/diff?against=" + strconv.FormatInt(good, 10))
		Expect(text()).To(ContainSubstring("regressed"))
		check("diff")
	})

	It("shows the report sandboxed, the audit log, the schedules and the account", func() {
		t.Visit(h.url + "/runs/" + strconv.FormatInt(good, 10) + "/report")
		Expect(text()).To(ContainSubstring("CERTIFIED"))
		check("report")
		for _, page := range []string{"audit", "schedules", "account"} {
			t.Visit(h.url + "/" + page)
			Expect(strings.ToLower(text())).To(ContainSubstring(page[:5]))
			check(page)
		}
	})

	It("shows the team to an admin, with the form to add a member and a Disable button per other member", func() {
		r := h.api(h.adminTok, "POST", "/users", map[string]any{"email": "bea@bau.example", "name": "Bea",
			"role": "bau", "password": "bau member passphrase"})
		Expect(r.status).To(Equal(201), string(r.body))
		t.Visit(h.url + "/team")
		s := text()
		Expect(s).To(ContainSubstring("admin@bau.example"))
		Expect(s).To(ContainSubstring("bea@bau.example"))
		Expect(s).To(ContainSubstring("Disable"))
		Expect(s).To(ContainSubstring("Add a team member"))
		check("team")
	})

	It("shows a UAT session: base URL, cases, live progress streamed into the page, the close button", func() {
		o := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}, "deadline": "1h"})
		t.Visit(h.url + "/partners/" + p.ID + "/uat-sessions/" + o.Session.ID)
		s := text()
		Expect(s).To(ContainSubstring(o.Session.BaseURL))
		Expect(s).To(ContainSubstring("Cases to play"))
		Expect(s).To(ContainSubstring("collections.maintenance"))
		Expect(s).To(ContainSubstring("Close and grade"))
		Expect(s).NotTo(ContainSubstring(o.Credentials.APIKey))
		var shown string
		// The partner's client calls the sandbox; the page shows the
		// exchange when its event arrives (events, not time).
		Expect(tokenCall(o.Session.BaseURL, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(200))
		t.Eval(`new Promise((resolve) => {
			const el = document.getElementById("uat-count");
			const done = () => /[1-9][0-9]* exchanges/.test(el.textContent);
			if (done()) { resolve(el.textContent); return; }
			new MutationObserver(() => { if (done()) resolve(el.textContent); }).observe(el, {childList: true, characterData: true, subtree: true});
		})`, &shown)
		Expect(shown).To(MatchRegexp(`cases played, \d+ problems, [1-9]\d* exchanges`))
		check("uat-live")

		t.Visit(h.url + "/partners/" + p.ID)
		s = text()
		Expect(s).To(ContainSubstring("UAT sessions"))
		Expect(s).To(ContainSubstring("in UAT (session open)"))
		check("partner-uat")

		mark := b.EventCount()
		t.Visit(h.url + "/partners/" + p.ID + "/uat-sessions/" + o.Session.ID)
		mark = b.EventCount()
		t.Eval(`(() => { document.querySelector("#close-uat").submit(); return true })()`, nil)
		b.WaitEvent(t.Session(), "Page.loadEventFired", mark)
		s = text()
		Expect(s).To(ContainSubstring("Verdict: NOT CERTIFIED"))
		Expect(s).To(ContainSubstring("recording.har"))
		check("uat-closed")
	})

	It("streams a run's progress into the page while it runs", func() {
		h.endpoint(p.ID, "staging", sandboxTarget("never-final"))
		id := h.startRun(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
		t.Visit(h.url + "/runs/" + strconv.FormatInt(id, 10))
		var shown string
		// Resolves on the first item the page shows (events, not time).
		t.Eval(`new Promise((resolve) => {
			const el = document.getElementById("live-count");
			const done = () => /items done|Finished/.test(el.textContent);
			if (done()) { resolve(el.textContent); return; }
			new MutationObserver(() => { if (done()) resolve(el.textContent); }).observe(el, {childList: true, characterData: true, subtree: true});
		})`, &shown)
		Expect(shown).To(MatchRegexp(`items done|Finished`))
		check("run-live")
	})
	It("pages the run history and the audit log with their Older links", func() {
		res := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(good, 10)+"/results", nil)
		Expect(res.status).To(Equal(http.StatusOK), string(res.body))
		for range 50 {
			_, err := h.st.PublishRun(h.ctx, store.System(), store.Publication{PartnerID: p.ID, Results: res.body})
			Expect(err).NotTo(HaveOccurred())
		}
		runLinks := func() string {
			GinkgoHelper()
			var s string
			t.Eval(`[...document.querySelectorAll("#runs tbody a[href^='/runs/']")].map(a => a.textContent).join(" ")`, &s)
			return s
		}
		t.Visit(h.url + "/partners/" + p.ID)
		Expect(strings.Fields(runLinks())).NotTo(ContainElement(strconv.FormatInt(good, 10)))
		submit("#runs-older")
		Expect(strings.Fields(runLinks())).To(ContainElement(strconv.FormatInt(good, 10)))
		check("partner-older-runs")
		t.Visit(h.url + "/audit?limit=2")
		var first, second string
		t.Eval(`document.querySelector("#audit tbody").innerText`, &first)
		submit("#audit-older")
		t.Eval(`document.querySelector("#audit tbody").innerText`, &second)
		Expect(second).NotTo(BeEmpty())
		Expect(second).NotTo(Equal(first))
		check("audit-older")
	})
})
