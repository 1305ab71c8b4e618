// Package server is the hub (`golive server`): partners, runs, sign-offs,
// schedules and the audit log over server/store, as server-rendered pages
// for people and a JSON API under /api/v1 for pipelines. Runs go through
// certify exactly as the CLI's do; the hub stores results, never re-derives
// them.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/uat"
)

// Config configures a Server. Store is required; the rest has defaults.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger

	// Workers bound the runs carried out at once (default 4); queued runs
	// wait in the store's queue, so a burst of requests never starts more.
	Workers int
	// WorkerName identifies this process in the queue. At start-up the
	// runs it had claimed are marked interrupted; "" (a single server)
	// marks every running run interrupted.
	WorkerName string
	// ClaimInterval is how often idle workers look for runs queued by
	// another replica (default 2s); runs queued here wake them at once.
	ClaimInterval time.Duration

	// AdvertiseURL is where the other replicas reach this one (e.g.
	// http://10.0.0.5:8080), so that they forward a live UAT session's
	// traffic here; "" for a single server.
	AdvertiseURL string

	// PublicURL is the hub's address as people reach it, for links in
	// notifications (default: none).
	PublicURL string
	// InsecureCookies drops the Secure attribute, for a hub served over
	// plain HTTP on a host other than loopback (not recommended).
	InsecureCookies bool
	// SessionTTL is how long a browser session lasts (default 12h).
	SessionTTL time.Duration
	// StreamRecheck is how often a live event stream (run or UAT progress)
	// re-reads its caller's session or token in the store, ending when it
	// no longer holds (default 15s; tests shorten it).
	StreamRecheck time.Duration

	// ScratchDir is where a run's reports are rendered before they are
	// stored (default: the system temporary directory).
	ScratchDir string
	// Version is golive's version, recorded in results.json.
	Version string
	// Tune adjusts every certification request before Build (tests cut
	// timeouts with it); nil leaves requests as they are.
	Tune func(*certify.Request)

	// KeepArtifacts is how long the report files of finished runs are kept
	// (0: forever). The hourly housekeeping prunes older ones, never those
	// of a signed-off run or of a partner's last good run (store.PruneArtifacts).
	KeepArtifacts time.Duration
	// HousekeepingInterval is how often housekeeping runs (default 1h):
	// expired sessions and link codes, artifact retention. One replica
	// does each round (store.ClaimTick).
	HousekeepingInterval time.Duration

	// WebhookClient sends outgoing notifications (default: 10s timeout).
	WebhookClient *http.Client
	// WebhookBackoff are the waits before each retry of a failed webhook
	// delivery, jittered ±20% (default DefaultWebhookBackoff); after
	// len+1 failed attempts a delivery is failed. Tests shorten them.
	WebhookBackoff []time.Duration
	// WebhookSenders bound the webhook deliveries posted at once (default
	// 4); a slow receiver holds one of them, never a run worker.
	WebhookSenders int

	// Telegram, when non-nil, runs the bot inside the server; FAQ answers
	// its /faq (telegram/faq over docs/faq; nil answers nothing).
	Telegram *telegram.Config
	FAQ      telegram.FAQ
	// TelegramBackoff are the waits before each retry of a chat message the
	// Bot API did not take (a 5xx, a dropped connection; a 429 waits at
	// least its retry_after), jittered ±20% (default
	// DefaultTelegramBackoff); after len+1 failed attempts, or a refusal a
	// retry will not change (the user blocked the bot), it is failed.
	TelegramBackoff []time.Duration
	// TelegramLease is how long a claimed chat message stays with the
	// replica that claimed it (default 3m): past it, a replica that died
	// mid-send leaves it to be sent again. Tests shorten it.
	TelegramLease time.Duration
	// TelegramSenders bound the chat messages sent at once (default 4);
	// a chat's own messages go one at a time, in order.
	TelegramSenders int
	// SandboxOptions configure each partner's in-process sandbox (the
	// one the bot's /token, /status, /callback and /outcome act on).
	SandboxOptions []sandbox.Option

	// UATTiming is the scripted timing of UAT sessions (zero:
	// uat.DefaultTiming; tests shorten it).
	UATTiming uat.Timing
	// UATCallbacksLoopbackOnly keeps UAT callback deliveries on this
	// machine (tests); a live hub delivers to the partner's receiver.
	UATCallbacksLoopbackOnly bool
	// UATMaxHAR bounds an uploaded HAR recording (default 32 MiB).
	UATMaxHAR int64
	// UATDefaultDeadline ends a UAT session opened without a deadline
	// (default 24h; at most 7 days).
	UATDefaultDeadline time.Duration
	// UATMaxOpen caps a partner's open UAT sessions (default 5).
	UATMaxOpen int

	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.ClaimInterval <= 0 {
		c.ClaimInterval = 2 * time.Second
	}
	if c.HousekeepingInterval <= 0 {
		c.HousekeepingInterval = time.Hour
	}
	if c.UATDefaultDeadline <= 0 || c.UATDefaultDeadline > maxUATDeadline {
		c.UATDefaultDeadline = defaultUATDeadline
	}
	if c.UATMaxOpen <= 0 {
		c.UATMaxOpen = maxOpenUAT
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.StreamRecheck <= 0 {
		c.StreamRecheck = defaultStreamRecheck
	}
	if c.ScratchDir == "" {
		c.ScratchDir = os.TempDir()
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.WebhookClient == nil {
		c.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.WebhookBackoff == nil {
		c.WebhookBackoff = DefaultWebhookBackoff()
	}
	if c.WebhookSenders <= 0 {
		c.WebhookSenders = 4
	}
	if c.TelegramBackoff == nil {
		c.TelegramBackoff = DefaultTelegramBackoff()
	}
	if c.TelegramLease <= 0 {
		c.TelegramLease = 3 * time.Minute
	}
	if c.TelegramSenders <= 0 {
		c.TelegramSenders = 4
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the hub. Make it with New, start its background work with
// Start, serve Handler, and Stop it.
type Server struct {
	cfg      Config
	store    *store.Store
	log      *slog.Logger
	events   *broker[int64, Event]
	pool     *pool
	sched    *scheduler
	notifier *notifier
	outbox   *outbox
	chats    *chatOutbox
	pages    *pages
	routes   []Route
	handler  http.Handler
	bot      *telegram.Bot
	sandbox  *sandboxes
	uat      *uatHub
	replica  *http.Client // replica calls (replica_call.go)
	// checklists holds each built-in API's checklist item ids.
	checklists map[string][]string

	mu      sync.Mutex
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// New prepares the hub: it marks runs cut off by a previous stop as
// interrupted (before any worker claims anything), loads the pages and
// builds the routes. Nothing runs until Start.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("server: no store")
	}
	cfg = cfg.withDefaults()
	n, err := cfg.Store.InterruptRunning(ctx, store.System(), cfg.WorkerName)
	if err != nil {
		return nil, fmt.Errorf("server: recover interrupted runs: %w", err)
	}
	if n > 0 {
		cfg.Logger.Warn("runs cut off by the last stop marked interrupted", "runs", n)
	}
	if n, err := cfg.Store.InterruptOpenUATSessions(ctx, store.System(), cfg.WorkerName); err != nil {
		return nil, fmt.Errorf("server: recover interrupted UAT sessions: %w", err)
	} else if n > 0 {
		cfg.Logger.Warn("UAT sessions cut off by the last stop marked interrupted", "sessions", n)
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	checklists, err := checklistsOf()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, events: runBroker(), pages: pg, checklists: checklists,
		sandbox: newSandboxes(cfg.SandboxOptions), uat: newUATHub(), replica: newReplicaClient()}
	s.notifier = &notifier{s: s}
	s.outbox = newOutbox(s)
	s.chats = newChatOutbox(s)
	s.pool = newPool(s)
	s.sched = newScheduler(s)
	if cfg.Telegram != nil {
		bot, err := telegram.New(*cfg.Telegram, s.telegramServices())
		if err != nil {
			return nil, fmt.Errorf("server: telegram: %w", err)
		}
		s.bot = bot
	}
	s.routes = s.buildRoutes()
	s.handler = s.mount(s.routes)
	return s, nil
}

// Handler serves the pages and the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes lists every route (tests enumerate them).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Start runs the workers, the scheduler and the bot until Stop.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("server: already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.pool.start(ctx, &s.running)
	s.outbox.start(ctx, &s.running)
	if err := s.sched.start(ctx); err != nil {
		cancel()
		return err
	}
	if s.bot != nil {
		// Only the replica that runs the bot sends the chats' messages,
		// whichever replica queued them.
		s.chats.start(ctx, &s.running)
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			if err := s.bot.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("telegram bot stopped", "err", err)
			}
		}()
	}
	return nil
}

// Stop ends the background work and waits for it: runs in progress end
// early, are stored as interrupted (never as passed), and the queue keeps
// what was not started.
func (s *Server) Stop() {
	s.shutdownUAT() // live UAT sessions end interrupted, with their results stored
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	s.sched.stop()
	s.running.Wait()
	s.sandbox.closeAll()
}

// SubscribeRun streams a run's progress events until the returned cancel
// is called; the channel closes after the run's final event.
func (s *Server) SubscribeRun(runID int64) (<-chan Event, func()) { return s.events.subscribe(runID) }
