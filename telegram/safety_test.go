package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/golive-cert/golive/internal/testlog"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/telegram/tools"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("safety", func() {
	It("never logs the bot token, a link code or a sandbox token", func() {
		logs := &testlog.Buffer{}
		e := startBot(func(c *telegram.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		e.hub.NewCode("LINK-CODE-XYZ", telegram.RolePartner, "acme", time.Hour)
		e.say(alice, "/start LINK-CODE-XYZ")
		Expect(e.say(alice, "/token collections")).To(ContainSubstring("sbx-"))
		e.srv.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 500, Method: "sendMessage"})
		e.say(alice, "/token payouts")
		Expect(logs.String()).To(ContainSubstring("telegram command"))
		Expect(logs.String()).NotTo(Or(ContainSubstring(token), ContainSubstring("LINK-CODE-XYZ"), ContainSubstring("sbx-")))
	})

	It("never shows, logs or audits a secret tool parameter, even a bad one", func() {
		logs := &testlog.Buffer{}
		cat, err := tools.Parse("tools.yaml", []byte(`tools:
  - name: reset_pin
    description: Reset a test wallet's PIN
    method: POST
    url: http://127.0.0.1:9/pins
    params:
      - {name: pin, required: true, secret: true, schema: {type: string, pattern: "^[0-9]{4}$"}}
`))
		Expect(err).NotTo(HaveOccurred())
		e := startBot(func(c *telegram.Config) {
			c.Tools = cat
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		e.link(alice, "acme")
		reply := e.say(alice, "/reset_pin pin=73915")
		Expect(reply).To(HavePrefix("Not sent: pin: does not match pattern"))
		_, err = e.bot.CallTool(context.Background(), tools.Caller{Role: "partner", Partner: "acme", Key: "web:u1", Private: true},
			"reset_pin", map[string]any{"pin": "88x1"})
		var pe *tools.ParamError
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(pe.Error()).NotTo(ContainSubstring("88x1"))
		Expect(reply).NotTo(ContainSubstring("73915"))
		audit := fmt.Sprint(e.hub.Audit())
		Expect(audit).To(ContainSubstring("tool:reset_pin"))
		Expect(audit).NotTo(Or(ContainSubstring("73915"), ContainSubstring("88x1")))
		Expect(logs.String()).NotTo(Or(ContainSubstring("73915"), ContainSubstring("88x1")))
	})

	It("serves other chats while one chat floods", func() {
		e := startBot(func(c *telegram.Config) {
			c.CommandLimit.Calls, c.CommandLimit.Per = 5, time.Minute
		})
		e.link(alice, "acme")
		for range 300 {
			e.srv.Text(alice, "/help")
		}
		e.link(bob, "globex")
		Expect(e.say(bob, "/apis")).To(ContainSubstring("Globex"))
		Eventually(e.srv.Pending, 10*time.Second).Should(BeZero())
		// 1 link reply, 4 help answers, 1 "too many": the flood cost no more.
		Eventually(func() int { return len(e.srv.SentTo(alice.ID)) }).Should(Equal(6))
		Consistently(func() int { return len(e.srv.SentTo(alice.ID)) }, 200*time.Millisecond).Should(Equal(6))
	})
})
