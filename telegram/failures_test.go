package telegram_test

import (
	"time"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the Bot API failing", func() {
	var e *env
	BeforeEach(func() {
		e = startBot(func(c *telegram.Config) { c.SendAttempts = 4 })
		e.link(alice, "acme")
	})

	It("waits retry_after on 429 and delivers", func() {
		e.srv.FailNext(2, botapitest.Fault{Kind: botapitest.TooManyRequests, RetryAfter: 3, Method: "sendMessage"})
		Expect(e.say(alice, "/progress")).To(ContainSubstring("Checklist progress"))
		Expect(e.sleeps.All()).To(Equal([]time.Duration{3 * time.Second, 3 * time.Second}))
	})

	It("backs off on 5xx (JSON or a proxy's HTML page) and delivers", func() {
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 500, Method: "sendMessage"})
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 502, Method: "sendMessage"})
		Expect(e.say(alice, "/progress")).To(ContainSubstring("Checklist progress"))
		waits := e.sleeps.All()
		Expect(waits).To(HaveLen(2))
		Expect(waits[0]).To(BeNumerically("<=", 200*time.Millisecond))
		Expect(waits[1]).To(BeNumerically("<=", 400*time.Millisecond))
		Expect(waits[1]).To(BeNumerically(">=", 200*time.Millisecond))
	})

	It("retries when the connection drops, and delivers", func() {
		e.srv.FailNext(2, botapitest.Fault{Kind: botapitest.Unreachable, Method: "sendMessage"})
		Expect(e.say(alice, "/progress")).To(ContainSubstring("Checklist progress"))
		Expect(e.sleeps.All()).To(HaveLen(2))
	})

	It("gives a message up after its attempts and goes on serving", func() {
		e.srv.FailNext(4, botapitest.Fault{Kind: botapitest.ServerError, Status: 503, Method: "sendMessage"})
		before := e.srv.Calls("sendMessage")
		e.srv.Text(alice, "/progress")
		Eventually(func() int { return e.srv.Calls("sendMessage") }).Should(Equal(before + 4))
		Expect(e.say(alice, "/apis")).To(ContainSubstring("collections"))
		Expect(texts(e.srv.SentTo(alice.ID))).NotTo(ContainElement(ContainSubstring("Checklist progress")))
	})

	It("gives up at once on a 429 asking for longer than MaxRetryAfter", func() {
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.TooManyRequests, RetryAfter: 3600, Method: "sendMessage"})
		before := e.srv.Calls("sendMessage")
		e.srv.Text(alice, "/progress")
		Eventually(func() int { return e.srv.Calls("sendMessage") }).Should(Equal(before + 1))
		Expect(e.say(alice, "/apis")).To(ContainSubstring("collections"))
		Expect(e.sleeps.All()).To(BeEmpty())
	})

	It("keeps polling through getUpdates failures", func() {
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.TooManyRequests, RetryAfter: 1, Method: "getUpdates"})
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 502, Method: "getUpdates"})
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.Unreachable, Method: "getUpdates"})
		calls := e.srv.Calls("getUpdates")
		// The poll in flight ends at its timeout; the next three fail.
		Eventually(func() int { return e.srv.Calls("getUpdates") }, 20*time.Second).Should(BeNumerically(">=", calls+4))
		Expect(e.say(alice, "/apis")).To(ContainSubstring("collections"))
	})
})

var _ = Describe("the Bot API unreachable at start", func() {
	It("retries until it answers, then serves", func() {
		e := startBotWith(func(s *botapitest.Server) {
			s.FailNext(3, botapitest.Fault{Kind: botapitest.Unreachable, Method: "deleteWebhook"})
		}, nil)
		e.link(alice, "acme")
		Expect(e.srv.Calls("deleteWebhook")).To(Equal(4))
	})
})
