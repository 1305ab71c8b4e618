package telegram_test

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/telegram/faq"
	"github.com/golive-cert/golive/telegram/hubfake"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestTelegram(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Telegram bot")
}

const token = "123456:TEST-token-do-not-log"

// clock is the bot's and the hub's time, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sleeps records the waits the bot asked for between retries and returns
// at once, so retry tests assert the wait without spending it.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration{}, s.ds...)
}

// env is a bot running against the local Bot API server and a fake hub.
type env struct {
	srv    *botapitest.Server
	hub    *hubfake.Hub
	bot    *telegram.Bot
	clock  *clock
	sleeps *sleeps
	done   chan error
}

var (
	alice     = botapitest.PrivateChat(1001) // acme's developer
	bob       = botapitest.PrivateChat(2002) // globex's developer
	acmeGroup = botapitest.GroupChat(-3003, "acme x BAU")
	staff     = botapitest.PrivateChat(4004)
)

func newFAQ() telegram.FAQ {
	idx, err := faq.New(os.DirFS("../docs/faq"), "https://hub.example/faq")
	Expect(err).NotTo(HaveOccurred())
	return idx
}

// startBot runs a bot; tweak changes its config first. It stops when the
// spec ends.
func startBot(tweak func(*telegram.Config)) *env { return startBotWith(nil, tweak) }

// startBotWith lets prep set up the Bot API server (faults) before the bot
// makes its first call.
func startBotWith(prep func(*botapitest.Server), tweak func(*telegram.Config)) *env {
	srv, err := botapitest.New(token)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(srv.Close)
	if prep != nil {
		prep(srv)
	}
	e := &env{srv: srv, clock: &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, sleeps: &sleeps{}, done: make(chan error, 1)}
	e.hub = hubfake.New(e.clock.Now)
	e.hub.AddPartner(telegram.Partner{ID: "acme", Name: "Acme Payments", APIs: []string{"collections", "payouts"}, Endpoint: "https://staging.acme.example"})
	e.hub.AddPartner(telegram.Partner{ID: "globex", Name: "Globex", APIs: []string{"collections"}})
	e.hub.AddTransaction("acme", telegram.Transaction{Ref: "ORDACME001", API: "collections", Status: "PROCESSING", Amount: "1500.00", Currency: "TZS",
		History: []telegram.TxEvent{{At: e.clock.Now(), Status: "PROCESSING", Note: "initiated"}}})
	e.hub.AddTransaction("globex", telegram.Transaction{Ref: "ORDGLOBEX01", API: "collections", Status: "SUCCESS"})
	cfg := telegram.Config{
		Token:       token,
		APIURL:      srv.URL(),
		PollTimeout: 2 * time.Second,
		Now:         e.clock.Now,
		Sleep:       e.sleeps.Sleep,
		Logger:      slog.New(slog.NewTextHandler(GinkgoWriter, nil)),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e.bot, err = telegram.New(cfg, e.hub.Services(newFAQ()))
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	go func() { e.done <- e.bot.Run(ctx) }()
	DeferCleanup(func() {
		cancel()
		Eventually(e.done, 10*time.Second).Should(Receive(BeNil()))
	})
	return e
}

// say sends text from chat and returns the text of the next message the bot
// sends to that chat.
// notify sends an event's messages as the hub's outbox does: Messages
// chat by chat, each sent with Deliver.
func (e *env) notify(ev telegram.Event) error {
	ctx := context.Background()
	msgs, err := telegram.Messages(ctx, e.hub, ev)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := e.bot.Deliver(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (e *env) say(chat botapitest.Chat, text string) string {
	before := len(e.srv.SentTo(chat.ID))
	e.srv.Text(chat, text)
	var got []botapitest.Sent
	Eventually(func() int {
		got = e.srv.SentTo(chat.ID)
		return len(got)
	}, 10*time.Second).Should(BeNumerically(">", before), "no reply to %q", text)
	return got[before].Text
}

// link links chat to partner (or staff when partner is "") with a fresh code.
func (e *env) link(chat botapitest.Chat, partner string) {
	role := telegram.RolePartner
	if partner == "" {
		role = telegram.RoleStaff
	}
	code := "code-" + partner + "-" + chatName(chat)
	e.hub.NewCode(code, role, partner, time.Hour)
	Expect(e.say(chat, "/start "+code)).To(HavePrefix("Linked"))
}

func chatName(c botapitest.Chat) string { return strconv.FormatInt(c.ID, 10) }

func startHub() *hubfake.Hub { return hubfake.New(nil) }
