package telegram_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/golive-cert/golive/telegram"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("webhook mode", func() {
	const secret = "hook-Secret_42"
	var (
		e    *env
		hook *httptest.Server
	)

	BeforeEach(func() {
		// The hub's HTTP server, mounting the bot's handler; until the bot
		// exists it answers 503 and the Bot API delivers again.
		var handler atomic.Pointer[http.Handler]
		hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := handler.Load()
			if h == nil {
				http.Error(w, "starting", http.StatusServiceUnavailable)
				return
			}
			(*h).ServeHTTP(w, r)
		}))
		DeferCleanup(hook.Close)
		e = startBot(func(c *telegram.Config) {
			c.Mode, c.WebhookURL, c.WebhookSecret = telegram.ModeWebhook, hook.URL+"/telegram", secret
		})
		h := e.bot.WebhookHandler()
		handler.Store(&h)
	})

	It("gets updates pushed with the secret and answers them", func() {
		e.link(alice, "acme")
		Expect(e.say(alice, "/progress")).To(ContainSubstring("Checklist progress"))
		Expect(e.srv.Calls("setWebhook")).To(Equal(1))
		Expect(e.srv.Calls("getUpdates")).To(BeZero())
	})

	It("refuses a request without the right secret", func() {
		for _, s := range []string{"", "wrong"} {
			req, _ := http.NewRequest(http.MethodPost, hook.URL+"/telegram", strings.NewReader(`{"update_id":1}`))
			if s != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", s)
			}
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		}
		resp, err := http.Get(hook.URL + "/telegram")
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))
	})
})
