package telegram_test

import (
	"context"
	"time"

	"github.com/golive-cert/golive/telegram"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("linking a chat", func() {
	var e *env
	BeforeEach(func() { e = startBot(nil) })

	It("gives an unlinked chat only instructions", func() {
		for _, cmd := range []string{"/help", "/status ORDACME001", "/token collections", "/start"} {
			Expect(e.say(alice, cmd)).To(ContainSubstring("not linked"), cmd)
		}
		Expect(e.say(alice, "hello?")).To(ContainSubstring("/start CODE"))
	})

	It("binds the chat to the code's partner, once", func() {
		e.hub.NewCode("ACME-7F3K", telegram.RolePartner, "acme", time.Hour)
		Expect(e.say(alice, "/start ACME-7F3K")).To(ContainSubstring("Linked: this chat now speaks for Acme Payments"))
		Expect(e.say(alice, "/status ORDACME001")).To(ContainSubstring("ORDACME001 (collections): PROCESSING"))

		Expect(e.say(bob, "/start ACME-7F3K")).To(ContainSubstring("not valid"))
		Expect(e.say(bob, "/status ORDACME001")).To(ContainSubstring("not linked"))
	})

	It("refuses an expired code and an unknown one", func() {
		e.hub.NewCode("OLD", telegram.RolePartner, "acme", time.Hour)
		e.clock.Advance(time.Hour)
		Expect(e.say(alice, "/start OLD")).To(ContainSubstring("expired"))
		Expect(e.say(alice, "/start NOSUCH")).To(ContainSubstring("not valid"))
		Expect(e.say(alice, "/help")).To(ContainSubstring("not linked"))
	})

	It("never writes a code to the audit log", func() {
		e.hub.NewCode("SECRET-CODE-1", telegram.RolePartner, "acme", time.Hour)
		e.say(alice, "/start SECRET-CODE-1")
		e.say(bob, "/start SECRET-CODE-1")
		Eventually(e.hub.Audit).Should(HaveLen(2))
		for _, a := range e.hub.Audit() {
			Expect(a.Action).To(Equal("/start"))
			Expect(a.Params).To(Equal(map[string]string{"code": "***"}))
			Expect(a.Detail).NotTo(ContainSubstring("SECRET"))
		}
		Expect(e.hub.Audit()[0].Outcome).To(Equal(telegram.AuditOK))
		Expect(e.hub.Audit()[1].Outcome).To(Equal(telegram.AuditRefused))
	})

	It("stops a revoked link at once", func() {
		e.link(alice, "acme")
		Expect(e.say(alice, "/apis")).To(ContainSubstring("collections, payouts"))
		Expect(e.hub.Revoke(context.Background(), telegram.ChatID(alice.ID))).To(Succeed())
		Expect(e.say(alice, "/apis")).To(ContainSubstring("not linked"))
	})

	It("lets a chat unlink itself", func() {
		e.link(alice, "acme")
		Expect(e.say(alice, "/unlink")).To(ContainSubstring("unlinked"))
		Expect(e.say(alice, "/apis")).To(ContainSubstring("not linked"))
	})

	It("links a staff chat with the staff role", func() {
		e.link(staff, "")
		Expect(e.say(staff, "/status ORDACME001")).To(ContainSubstring("linked to BAU staff"))
		help := e.say(staff, "/help")
		Expect(help).To(ContainSubstring("/faq"))
		Expect(help).NotTo(ContainSubstring("/token"))
	})
})
