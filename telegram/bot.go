// Package telegram is golive's Telegram bot: partner self-service (tokens,
// sandbox outcomes, callbacks, doctor, runs, progress, client UAT
// sessions, FAQ) and the team's declarative internal tools, over small
// interfaces the hub implements (ports.go). It runs inside `golive
// server`; nothing here knows the hub.
package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/golive-cert/golive/telegram/ratelimit"
	"github.com/golive-cert/golive/telegram/tools"
)

// maxWebhookBody bounds one pushed update; real ones are a few kB.
const maxWebhookBody = 1 << 20

// allowedUpdates are the only updates the bot asks for: everything else
// (edits, reactions, members joining) it would ignore anyway.
func allowedUpdates() []string { return []string{"message", "callback_query"} }

// Bot is the Telegram bot. Make it with New, run it with Run.
type Bot struct {
	cfg      Config
	svc      Services
	api      *tgbot.Bot
	tools    *tools.Service
	limiter  *ratelimit.Limiter
	queue    *lanes
	log      *slog.Logger
	commands map[string]*command
	order    []*command // for /help
}

// New checks the configuration, the services and the tools (a tool named
// like a built-in command is a *tools.LoadError at its line) and prepares
// the bot. It makes no call to the Bot API: Run does, retrying, so a hub
// starts even while Telegram is unreachable.
func New(cfg Config, svc Services) (*Bot, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := svc.check(); err != nil {
		return nil, err
	}
	b := &Bot{
		cfg:     cfg,
		svc:     svc,
		tools:   tools.New(cfg.Tools, tools.Options{Client: cfg.ToolClient, Now: cfg.Now}),
		limiter: ratelimit.New(cfg.CommandLimit, cfg.Now, 0),
		queue:   newLanes(cfg.Queue),
		log:     cfg.Logger.With("component", "telegram"),
	}
	b.registerCommands()
	if err := b.checkToolNames(); err != nil {
		return nil, err
	}
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")),
		tgbot.WithSkipGetMe(),
		tgbot.WithHTTPClient(cfg.PollTimeout, cfg.HTTPClient),
		tgbot.WithAllowedUpdates(allowedUpdates()),
		// One library worker hands updates to our bounded pool; blocking
		// there is the back-pressure that keeps polling bounded.
		tgbot.WithWorkers(1),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithUpdatesChannelCap(1),
		tgbot.WithDefaultHandler(b.enqueue),
		tgbot.WithErrorsHandler(b.apiError),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	b.api = api
	return b, nil
}

func (s Services) check() error {
	missing := []string{}
	for name, v := range map[string]any{"Links": s.Links, "Directory": s.Directory, "Sandbox": s.Sandbox,
		"Doctor": s.Doctor, "Runs": s.Runs, "Progress": s.Progress, "UAT": s.UAT, "FAQ": s.FAQ, "Audit": s.Audit} {
		if v == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return &ConfigError{Field: "Services", Msg: "missing " + strings.Join(missing, ", ")}
	}
	return nil
}

// Check finds what New would refuse in cfg, without services and before
// anything starts: a bad field (*ConfigError) or a tool named like a
// built-in command (*tools.LoadError at its line). A front end calls it
// before it makes anything (golive server: before the database), so a
// refusal leaves nothing behind.
func Check(cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	b := &Bot{}
	b.registerCommands()
	return checkToolNames(b.commands, cfg.Tools)
}

// checkToolNames refuses a tool that would shadow a built-in command.
func (b *Bot) checkToolNames() error { return checkToolNames(b.commands, b.tools.Catalog()) }

func checkToolNames(commands map[string]*command, cat *tools.Catalog) error {
	if cat == nil {
		return nil
	}
	var ps []tools.Problem
	for _, t := range cat.Tools {
		if _, builtin := commands["/"+t.Name]; builtin {
			ps = append(ps, tools.Problem{File: cat.Source, Line: t.Line,
				Msg: fmt.Sprintf("tool %q has the name of a built-in command", t.Name)})
		}
	}
	if len(ps) > 0 {
		return &tools.LoadError{Problems: ps}
	}
	return nil
}

// Run serves until ctx ends: it clears or sets the webhook (retrying while
// the Bot API is unreachable), then long-polls (polling mode) or waits for
// WebhookHandler's updates, with Config.Workers handlers. It returns nil when
// ctx ends, or an error the Bot API gave for good (a bad token, a webhook URL
// it refuses).
func (b *Bot) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range b.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.work(ctx)
		}()
	}
	defer wg.Wait()
	if b.cfg.Mode == ModeWebhook {
		err := b.retry(ctx, "setWebhook", 0, 0, func(ctx context.Context) error {
			_, err := b.api.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: b.cfg.WebhookURL,
				SecretToken: b.cfg.WebhookSecret, AllowedUpdates: allowedUpdates()})
			return err
		})
		if err != nil && ctx.Err() == nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	// getUpdates fails with 409 while a webhook is set.
	err := b.retry(ctx, "deleteWebhook", 0, 0, func(ctx context.Context) error {
		_, err := b.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	})
	if err != nil && ctx.Err() == nil {
		return err
	}
	b.api.Start(ctx) // the library's getUpdates loop backs off 100ms..5s on errors
	return nil
}

// enqueue is the library's handler: it hands the update to the pool,
// waiting while the pool is full.
func (b *Bot) enqueue(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	b.queue.put(ctx, upd)
}

// work handles updates until ctx ends, one chat's at a time (lanes).
func (b *Bot) work(ctx context.Context) {
	for {
		chat, upd, ok := b.queue.take(ctx)
		if !ok {
			return
		}
		b.safeHandle(ctx, upd)
		b.queue.done(chat)
	}
}

// safeHandle keeps one bad update from taking the hub down.
func (b *Bot) safeHandle(ctx context.Context, upd *models.Update) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("telegram update handler panicked", "update", upd.ID, "panic", fmt.Sprint(r))
		}
	}()
	b.handle(ctx, upd)
}

// WebhookHandler is what the hub mounts at the webhook URL's path. It checks
// the secret-token header, reads one update and queues it: 401 for a wrong
// secret, 503 when the queue is full (Telegram delivers it again later).
func (b *Bot) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.cfg.WebhookSecret)) != 1 || b.cfg.WebhookSecret == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(body) > maxWebhookBody {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		var upd models.Update
		if err := json.Unmarshal(body, &upd); err != nil {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if !b.queue.tryPut(&upd) {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// apiError logs the library's errors (failed polls) without the token,
// which the library puts in request URLs.
func (b *Bot) apiError(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	b.log.Warn("telegram bot API", "error", strings.ReplaceAll(err.Error(), b.cfg.Token, "***"))
}
