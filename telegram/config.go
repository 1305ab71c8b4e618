package telegram

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/golive-cert/golive/telegram/ratelimit"
	"github.com/golive-cert/golive/telegram/tools"
)

// Mode is how updates reach the bot.
type Mode string

const (
	// ModePolling asks the Bot API for updates (getUpdates long polling): it
	// works from a laptop behind NAT with no public address. The default.
	ModePolling Mode = "polling"
	// ModeWebhook has the Bot API push updates to Bot.WebhookHandler, which
	// the hub mounts at WebhookURL's path.
	ModeWebhook Mode = "webhook"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config configures a Bot. Token is required; the rest has defaults.
type Config struct {
	Token  string // GOLIVE_TELEGRAM_TOKEN; a secret: never logged
	APIURL string // Bot API base URL; DefaultAPIURL, or a local server in tests
	Mode   Mode

	// WebhookURL is the public URL the Bot API posts updates to, and
	// WebhookSecret the X-Telegram-Bot-Api-Secret-Token it sends with each
	// (1-256 of A-Z a-z 0-9 _ -); both required in webhook mode.
	WebhookURL    string
	WebhookSecret string

	// Workers handle updates concurrently (default 8); Queue bounds the
	// updates waiting for a worker (default 256). When the queue is full,
	// polling waits (the updates stay with Telegram) and the webhook answers
	// 503 (Telegram delivers again later).
	Workers int
	Queue   int
	// PollTimeout is how long one getUpdates may wait (default 50s).
	PollTimeout time.Duration
	// CommandLimit is each chat's command rate (default 20 per minute).
	CommandLimit ratelimit.Limit
	// CallTimeout bounds each call to the hub's services (default 60s).
	CallTimeout time.Duration
	// SendAttempts and MaxBackoff bound retries of a message the Bot API did
	// not take (429, 5xx, unreachable): default 6 attempts, backoff from
	// 200ms doubling up to 30s; a 429's retry_after is honoured up to
	// MaxRetryAfter (default 5m), beyond which the message is given up.
	SendAttempts  int
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration

	// Tools are the declarative internal tools (tools.yaml); nil for none.
	Tools *tools.Catalog
	// ToolClient calls the internal services (default: http.Client{}).
	ToolClient *http.Client

	// HTTPClient talks to the Bot API (default: a client whose timeout
	// covers a long poll).
	HTTPClient *http.Client
	Logger     *slog.Logger // default: slog.Default()
	// Now and Sleep are the clock (rate limits, audit times) and the wait
	// between retries; tests replace them to run without waiting.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c Config) withDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Mode == "" {
		c.Mode = ModePolling
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.Queue <= 0 {
		c.Queue = 256
	}
	if c.PollTimeout <= 0 {
		c.PollTimeout = 50 * time.Second
	}
	if c.CommandLimit.Zero() {
		c.CommandLimit = ratelimit.Limit{Calls: 20, Per: time.Minute}
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = time.Minute
	}
	if c.SendAttempts <= 0 {
		c.SendAttempts = 6
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.MaxRetryAfter <= 0 {
		c.MaxRetryAfter = 5 * time.Minute
	}
	if c.HTTPClient == nil {
		// Every worker sends; with net/http's default of 2 idle connections
		// per host the rest would dial Telegram anew for each message.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = c.Workers + 2
		c.HTTPClient = &http.Client{Timeout: c.PollTimeout + 10*time.Second, Transport: tr}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	return c
}

func (c Config) validate() error {
	if c.Token == "" {
		return &ConfigError{Field: "Token", Msg: "empty: set GOLIVE_TELEGRAM_TOKEN"}
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{Field: "APIURL", Msg: "not an http(s) URL"}
	}
	switch c.Mode {
	case ModePolling:
	case ModeWebhook:
		if u, err := url.Parse(c.WebhookURL); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
			return &ConfigError{Field: "WebhookURL", Msg: "webhook mode needs the public http(s) URL Telegram posts to"}
		}
		if !validSecret(c.WebhookSecret) {
			return &ConfigError{Field: "WebhookSecret", Msg: "webhook mode needs a secret of 1-256 characters A-Z a-z 0-9 _ -"}
		}
	default:
		return &ConfigError{Field: "Mode", Msg: `want "polling" or "webhook"`}
	}
	return nil
}

func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
