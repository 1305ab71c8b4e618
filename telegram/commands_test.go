package telegram_test

import (
	"context"
	"strings"
	"time"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("partner commands", func() {
	var e *env
	BeforeEach(func() {
		e = startBot(nil)
		e.link(alice, "acme")
		e.link(bob, "globex")
	})

	It("/help lists the commands", func() {
		help := e.say(alice, "/help")
		for _, c := range []string{"/apis", "/token API", "/status REF", "/callback REF", "/outcome REF success|failed", "/doctor", "/run API", "/progress", "/faq WORDS"} {
			Expect(help).To(ContainSubstring(c))
		}
	})

	It("/apis shows the APIs, the endpoint and buttons", func() {
		Expect(e.say(alice, "/apis")).To(And(ContainSubstring("collections, payouts"), ContainSubstring("https://staging.acme.example")))
		markup := e.srv.SentTo(alice.ID)[len(e.srv.SentTo(alice.ID))-1].ReplyMarkup
		Expect(markup).To(ContainSubstring(`"callback_data":"/token collections"`))
	})

	It("runs a button's command and answers the button", func() {
		e.srv.Press(alice, botapitest.User{ID: alice.ID}, "/progress")
		Eventually(func() []botapitest.Sent { return e.srv.SentTo(alice.ID) }).Should(ContainElement(HaveField("Text", ContainSubstring("Checklist progress"))))
		Eventually(e.srv.Sent).Should(ContainElement(HaveField("Method", "answerCallbackQuery")))
	})

	It("/token gives a sandbox token in a private chat, and never audits it", func() {
		reply := e.say(alice, "/token collections")
		Expect(reply).To(ContainSubstring("sbx-acme-collections-"))
		Eventually(e.hub.Audit).Should(ContainElement(And(HaveField("Action", "/token"), HaveField("Outcome", telegram.AuditOK))))
		for _, a := range e.hub.Audit() {
			for _, v := range a.Params {
				Expect(v).NotTo(ContainSubstring("sbx-"))
			}
			Expect(a.Detail).NotTo(ContainSubstring("sbx-"))
		}
	})

	It("/token refuses a group chat: secrets never go to groups", func() {
		e.link(acmeGroup, "acme")
		Expect(e.say(acmeGroup, "/token collections")).To(ContainSubstring("only in a private chat"))
		Expect(e.say(acmeGroup, "/token@golive_test_bot collections")).To(ContainSubstring("only in a private chat"))
		for _, m := range e.srv.SentTo(acmeGroup.ID) {
			Expect(m.Text).NotTo(ContainSubstring("sbx-"))
			Expect(m.ReplyMarkup).NotTo(ContainSubstring("/token"))
		}
	})

	It("/token refuses an API the partner does not have", func() {
		Expect(e.say(bob, "/token payouts")).To(ContainSubstring("not one of your APIs"))
	})

	It("/status shows state and history", func() {
		Expect(e.say(alice, "/status ORDACME001")).To(And(ContainSubstring("PROCESSING"), ContainSubstring("1500.00 TZS"), ContainSubstring("initiated")))
	})

	It("answers another partner's reference exactly like a missing one", func() {
		foreign := e.say(alice, "/status ORDGLOBEX01")
		missing := e.say(alice, "/status ORDNOSUCH01")
		Expect(foreign).To(ContainSubstring("No sandbox transaction"))
		Expect(strings.ReplaceAll(foreign, "ORDGLOBEX01", "REF")).To(Equal(strings.ReplaceAll(missing, "ORDNOSUCH01", "REF")))
		for _, cmd := range []string{"/callback ORDGLOBEX01", "/outcome ORDGLOBEX01 failed"} {
			Expect(e.say(alice, cmd)).To(ContainSubstring("No sandbox transaction ORDGLOBEX01"))
		}
		tx, err := e.hub.Transaction(context.Background(), "globex", "ORDGLOBEX01")
		Expect(err).NotTo(HaveOccurred())
		Expect(tx.Status).To(Equal("SUCCESS"), "another partner's transaction was changed")
	})

	It("/callback resends the callback of a final transaction", func() {
		Expect(e.say(alice, "/callback ORDACME001")).To(ContainSubstring("still PROCESSING, so it has no callback yet"))
		Expect(e.hub.Resent("ORDACME001")).To(BeZero())
		Expect(e.say(alice, "/outcome ORDACME001 success")).To(ContainSubstring("forced to success"))
		Expect(e.say(alice, "/callback ORDACME001")).To(ContainSubstring("your endpoint answered 200"))
		Expect(e.hub.Resent("ORDACME001")).To(Equal(1))
	})

	It("/outcome forces the outcome once; a final transaction gets a clear answer", func() {
		Expect(e.say(alice, "/outcome ORDACME001 failed")).To(ContainSubstring("forced to failed"))
		Expect(e.say(alice, "/status ORDACME001")).To(ContainSubstring(": FAILED"))
		Expect(e.say(alice, "/outcome ORDACME001 success")).To(Equal(
			"ORDACME001 is already FAILED: only a PROCESSING transaction's outcome can be forced. Start a new order to test the other outcome."))
		Expect(e.say(alice, "/status ORDACME001")).To(ContainSubstring(": FAILED"))
	})

	DescribeTable("bad arguments get the one-line usage",
		func(cmd, want string) {
			reply := e.say(alice, cmd)
			Expect(reply).To(Equal("Usage: " + want))
		},
		Entry(nil, "/status", "/status REF"),
		Entry(nil, "/status a b", "/status REF"),
		Entry(nil, "/status ../../etc", "/status REF"),
		Entry(nil, "/outcome ORDACME001 maybe", "/outcome REF success|failed"),
		Entry(nil, "/outcome ORDACME001", "/outcome REF success|failed"),
		Entry(nil, "/token", "/token API"),
		Entry(nil, "/run", "/run API"),
		Entry(nil, "/faq", "/faq WORDS"),
		Entry(nil, "/callback", "/callback REF"),
	)

	It("answers an unknown command with a pointer to /help", func() {
		Expect(e.say(alice, "/frobnicate")).To(ContainSubstring("/help"))
	})

	It("/doctor shows the layers and the commands to run", func() {
		reply := e.say(alice, "/doctor")
		Expect(reply).To(And(ContainSubstring("NOT REACHABLE"), ContainSubstring("TCP"), ContainSubstring("telnet staging.example 443")))
		Expect(e.say(bob, "/doctor")).To(ContainSubstring("No staging endpoint is registered"))
	})

	It("/run starts a certification and delivers the verdict and the report when done", func() {
		Expect(e.say(alice, "/run collections")).To(ContainSubstring("Run run-1 started"))
		Expect(e.hub.Runs()).To(Equal([]telegram.RunRequest{{Partner: "acme", API: "collections", Chat: telegram.ChatID(alice.ID)}}))
		e.link(staff, "")
		before := len(e.srv.SentTo(alice.ID))
		err := e.notify(telegram.Event{Kind: telegram.EventRunFinished, Partner: "acme", API: "collections",
			RunID: "run-1", Verdict: "NOT CERTIFIED", ReplyTo: telegram.ChatID(alice.ID),
			Failing: []telegram.FailingItem{{ID: "COL-007", Title: "The payment flow reaches a final state", Severity: "critical", Category: "integration", FAQ: "https://hub.example/faq/collections.md#status-flow"}},
			Report:  &telegram.Document{Name: "report.html", Data: []byte("<html>report</html>")}})
		Expect(err).NotTo(HaveOccurred())
		sent := e.srv.SentTo(alice.ID)[before:]
		Expect(sent).To(HaveLen(2))
		Expect(sent[0].Text).To(And(ContainSubstring("NOT CERTIFIED"), ContainSubstring("COL-007")))
		Expect(sent[1].Document.Name).To(Equal("report.html"))
		Expect(string(sent[1].Document.Data)).To(Equal("<html>report</html>"))
		staffMsgs := e.srv.SentTo(staff.ID)
		Expect(staffMsgs[len(staffMsgs)-1].Text).To(HavePrefix("[acme] Run run-1 (collections) finished: NOT CERTIFIED"))
		Expect(e.srv.SentTo(bob.ID)).NotTo(ContainElement(HaveField("Text", ContainSubstring("run-1"))))
	})

	It("/run refuses an API the partner does not have", func() {
		Expect(e.say(alice, "/run webhooks")).To(ContainSubstring("not one of your APIs"))
		Expect(e.hub.Runs()).To(BeEmpty())
	})

	It("/progress shows each API", func() {
		Expect(e.say(alice, "/progress")).To(And(ContainSubstring("collections: 18/22 passed (SIT)"), ContainSubstring("payouts")))
	})

	It("/faq finds answers for the partner's APIs, with links", func() {
		reply := e.say(alice, "/faq connection refused firewall")
		Expect(reply).To(ContainSubstring("https://hub.example/faq/collections.md#connection-issues"))
		Expect(e.say(bob, "/faq payout fee preview")).NotTo(ContainSubstring("payouts.md"))
	})

	It("sends UAT completions, sign-offs and regressions to the partner and BAU", func() {
		e.link(staff, "")
		for _, ev := range []telegram.Event{
			{Kind: telegram.EventUATCompleted, Partner: "acme", API: "collections", RunID: "uat-3", Verdict: "CERTIFIED"},
			{Kind: telegram.EventSignedOff, Partner: "acme", API: "collections", Summary: "signed off by Neema"},
			{Kind: telegram.EventRegression, Partner: "acme", API: "payouts", Verdict: "NOT CERTIFIED"},
		} {
			Expect(e.notify(ev)).To(Succeed())
		}
		Expect(texts(e.srv.SentTo(alice.ID))).To(ContainElements(
			ContainSubstring("UAT session uat-3"), ContainSubstring("Go-live signed off"), ContainSubstring("Regression after go-live on payouts")))
		Expect(texts(e.srv.SentTo(staff.ID))).To(ContainElement(ContainSubstring("[acme] Regression")))
		Expect(texts(e.srv.SentTo(bob.ID))).NotTo(ContainElement(ContainSubstring("Regression")))
	})

	It("tells the partner when a hub service is down", func() {
		e.hub.SetFailing(context.DeadlineExceeded)
		Expect(e.say(alice, "/apis")).To(ContainSubstring("not answering"))
		e.hub.SetFailing(nil)
		Expect(e.say(alice, "/apis")).To(ContainSubstring("collections"))
	})
})

var _ = Describe("per-chat rate limits", func() {
	It("answers a flood once and keeps other chats served", func() {
		e := startBot(func(c *telegram.Config) {
			c.CommandLimit.Calls, c.CommandLimit.Per = 3, time.Minute
			c.Workers = 1 // one worker: updates are handled in order
		})
		e.link(alice, "acme") // 1 of 3
		e.say(alice, "/help")
		e.say(alice, "/help")
		Expect(e.say(alice, "/help")).To(HavePrefix("Too many commands. Try again in 20s"))
		e.srv.Text(alice, "/help") // refused silently: already told
		e.link(bob, "globex")      // handled after it, so the refusal is done
		Expect(e.srv.SentTo(alice.ID)).To(HaveLen(4))
		Expect(e.hub.Audit()).To(ContainElement(HaveField("Outcome", telegram.AuditRateLimited)))
		e.clock.Advance(20 * time.Second)
		Expect(e.say(alice, "/help")).To(HavePrefix("Commands:"))
	})
})

func texts(sent []botapitest.Sent) []string {
	var out []string
	for _, s := range sent {
		out = append(out, s.Text)
	}
	return out
}
