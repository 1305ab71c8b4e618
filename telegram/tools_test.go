package telegram_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/tools"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("declarative tools as bot commands", func() {
	var (
		e    *env
		hits atomic.Int32
	)

	BeforeEach(func() {
		hits.Store(0)
		internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data":{"token":"ptk-123-secret","expiresAt":"2026-03-01T11:00:00Z"},"status":"PAID","amount":"1500.00"}`)
		}))
		DeferCleanup(internal.Close)
		data, err := os.ReadFile("tools/testdata/tools.yaml")
		Expect(err).NotTo(HaveOccurred())
		cat, err := tools.Parse("tools.yaml", []byte(strings.ReplaceAll(string(data), "http://127.0.0.1:9", internal.URL)))
		Expect(err).NotTo(HaveOccurred())
		e = startBot(func(c *telegram.Config) { c.Tools = cat })
		e.link(alice, "acme")
		e.link(bob, "globex")
	})

	It("lists the tools a partner may use in /help", func() {
		Expect(e.say(alice, "/help")).To(And(ContainSubstring("/payment_token amount=<integer> msisdn=<string>"), ContainSubstring("/order_lookup")))
		Expect(e.say(bob, "/help")).NotTo(ContainSubstring("/order_lookup"))
	})

	It("calls a tool and answers only the declared fields", func() {
		reply := e.say(alice, "/payment_token amount=1500 msisdn=255712345678")
		Expect(reply).To(Equal("/payment_token:\ntoken: ptk-123-secret\nexpires: 2026-03-01T11:00:00Z"))
		Expect(hits.Load()).To(BeEquivalentTo(1))
	})

	It("sends nothing for invalid parameters and says what is wrong", func() {
		reply := e.say(alice, "/payment_token amount=5 msisdn=12345")
		Expect(reply).To(HavePrefix("Not sent: amount: "))
		Expect(reply).To(ContainSubstring("msisdn: "))
		Expect(reply).To(HaveSuffix("Usage: /payment_token amount=<integer> msisdn=<string>"))
		Expect(e.say(alice, "/payment_token 1500")).To(Equal("Usage: /payment_token amount=<integer> msisdn=<string>"))
		Expect(hits.Load()).To(BeZero())
		Eventually(e.hub.Audit).Should(ContainElement(And(HaveField("Action", "/payment_token"), HaveField("Outcome", telegram.AuditInvalid))))
	})

	It("refuses a tool that returns a secret in a group chat", func() {
		e.link(acmeGroup, "acme")
		Expect(e.say(acmeGroup, "/payment_token amount=1500 msisdn=255712345678")).To(ContainSubstring("only in a private chat"))
		Expect(hits.Load()).To(BeZero())
	})

	It("treats a tool not allowed for the partner as unknown", func() {
		Expect(e.say(bob, "/order_lookup ref=ORD12345")).To(ContainSubstring("I don't know /order_lookup"))
		Expect(hits.Load()).To(BeZero())
	})

	It("applies the tool's own per-chat rate limit", func() {
		for range 3 {
			Expect(e.say(alice, "/payment_token amount=1500 msisdn=255712345678")).To(ContainSubstring("token:"))
		}
		Expect(e.say(alice, "/payment_token amount=1500 msisdn=255712345678")).To(ContainSubstring("limited to 3 per 1m0s"))
		Expect(hits.Load()).To(BeEquivalentTo(3))
	})

	It("lets another front end call a tool by name, audited", func() {
		res, err := e.bot.CallTool(context.Background(), tools.Caller{Role: "partner", Partner: "acme", Key: "web:s1", Private: true},
			"order_lookup", map[string]any{"ref": "ORD12345"})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Fields[0]).To(Equal(tools.Field{Name: "status", Value: "PAID"}))
		_, err = e.bot.CallTool(context.Background(), tools.Caller{Role: "partner", Partner: "acme", Key: "web:s1", Private: true},
			"order_lookup", map[string]any{"ref": "x"})
		var pe *tools.ParamError
		Expect(errors.As(err, &pe)).To(BeTrue())
		Expect(e.hub.Audit()).To(ContainElements(
			And(HaveField("Action", "tool:order_lookup"), HaveField("Outcome", telegram.AuditOK), HaveField("Caller", "web:s1")),
			And(HaveField("Action", "tool:order_lookup"), HaveField("Outcome", telegram.AuditInvalid)),
		))
		Expect(e.bot.Tools(telegram.RolePartner, "globex")).To(HaveLen(1))
	})
})

var _ = Describe("starting the bot", func() {
	It("refuses a tool named like a built-in command, at its line", func() {
		cat, err := tools.Parse("tools.yaml", []byte("tools:\n  - {name: status, description: d, method: GET, url: \"http://x/\"}\n"))
		Expect(err).NotTo(HaveOccurred())
		_, err = telegram.New(telegram.Config{Token: token, Tools: cat}, startHub().Services(newFAQ()))
		var le *tools.LoadError
		Expect(errors.As(err, &le)).To(BeTrue())
		Expect(err.Error()).To(Equal(`tools.yaml:2: tool "status" has the name of a built-in command`))
	})

	It("says what New would refuse before anything is made, with Check", func() {
		cat, err := tools.Parse("tools.yaml", []byte("tools:\n  - {name: start, description: d, method: GET, url: \"http://x/\"}\n"))
		Expect(err).NotTo(HaveOccurred())
		err = telegram.Check(telegram.Config{Token: token, Tools: cat})
		var le *tools.LoadError
		Expect(errors.As(err, &le)).To(BeTrue())
		Expect(err.Error()).To(Equal(`tools.yaml:2: tool "start" has the name of a built-in command`))
		var ce *telegram.ConfigError
		Expect(errors.As(telegram.Check(telegram.Config{Token: token, APIURL: "notaurl"}), &ce)).To(BeTrue())
		Expect(telegram.Check(telegram.Config{Token: token})).To(Succeed())
	})

	DescribeTable("refuses a bad configuration with the field",
		func(cfg telegram.Config, field string) {
			_, err := telegram.New(cfg, startHub().Services(newFAQ()))
			var ce *telegram.ConfigError
			Expect(errors.As(err, &ce)).To(BeTrue(), "%v", err)
			Expect(ce.Field).To(Equal(field))
		},
		Entry("no token", telegram.Config{}, "Token"),
		Entry("a bad API URL", telegram.Config{Token: token, APIURL: "ftp://x"}, "APIURL"),
		Entry("an unknown mode", telegram.Config{Token: token, Mode: "push"}, "Mode"),
		Entry("webhook without URL", telegram.Config{Token: token, Mode: telegram.ModeWebhook, WebhookSecret: "s"}, "WebhookURL"),
		Entry("webhook without secret", telegram.Config{Token: token, Mode: telegram.ModeWebhook, WebhookURL: "https://hub.example/tg"}, "WebhookSecret"),
	)

	It("refuses missing services", func() {
		_, err := telegram.New(telegram.Config{Token: token}, telegram.Services{})
		var ce *telegram.ConfigError
		Expect(errors.As(err, &ce)).To(BeTrue())
		Expect(ce.Field).To(Equal("Services"))
	})
})
