package telegram

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Telegram's limits on one message.
const (
	maxText    = 4096
	maxCaption = 1024
	firstWait  = 200 * time.Millisecond
)

// retry calls fn until it succeeds, the Bot API refuses for good, attempts
// run out (0: until ctx ends, for start-up calls) or ctx ends. A 429 waits
// retry_after; 5xx, a dropped connection or an answer that is not the Bot
// API's JSON back off exponentially with jitter up to MaxBackoff.
func (b *Bot) retry(ctx context.Context, method string, chat ChatID, attempts int, fn func(context.Context) error) error {
	wait := firstWait
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		d, again := b.nextWait(err, wait)
		if !again || (attempts > 0 && attempt >= attempts) || ctx.Err() != nil {
			return &SendError{Method: method, Chat: chat, Attempts: attempt, Err: err}
		}
		b.log.Warn("telegram call failed, retrying", "method", method, "attempt", attempt, "wait", d,
			"error", strings.ReplaceAll(err.Error(), b.cfg.Token, "***"))
		if err := b.cfg.Sleep(ctx, d); err != nil {
			return &SendError{Method: method, Chat: chat, Attempts: attempt, Err: err}
		}
		wait = min(wait*2, b.cfg.MaxBackoff)
	}
}

// nextWait says how long to wait before trying again, and whether to.
func (b *Bot) nextWait(err error, backoff time.Duration) (time.Duration, bool) {
	var tooMany *tgbot.TooManyRequestsError
	var migrate *tgbot.MigrateError
	switch {
	case errors.As(err, &tooMany):
		d := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
		return d, d <= b.cfg.MaxRetryAfter
	case errors.As(err, &migrate),
		errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorForbidden),
		errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound),
		errors.Is(err, tgbot.ErrorConflict),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The Bot API said no for a reason a retry will not change (a chat
		// that blocked the bot, a bad token), or we are shutting down.
		return 0, false
	default:
		// 5xx, a dropped connection, a proxy's HTML page: worth another try.
		return backoff/2 + rand.N(backoff/2+1), true
	}
}

// sendText sends text to chat in as many messages as Telegram's length limit
// needs, split at line ends.
func (b *Bot) sendText(ctx context.Context, chat ChatID, text string, markup *models.InlineKeyboardMarkup) error {
	return b.sendTextN(ctx, chat, text, markup, b.cfg.SendAttempts)
}

func (b *Bot) sendTextN(ctx context.Context, chat ChatID, text string, markup *models.InlineKeyboardMarkup, attempts int) error {
	parts := split(text, maxText)
	for i, part := range parts {
		params := &tgbot.SendMessageParams{ChatID: int64(chat), Text: part,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()}}
		if markup != nil && i == len(parts)-1 {
			params.ReplyMarkup = markup
		}
		err := b.retry(ctx, "sendMessage", chat, attempts, func(ctx context.Context) error {
			_, err := b.api.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// sendDocument uploads a file; each attempt reads the data afresh.
func (b *Bot) sendDocument(ctx context.Context, chat ChatID, doc Document, caption string) error {
	return b.sendDocumentN(ctx, chat, doc, caption, b.cfg.SendAttempts)
}

func (b *Bot) sendDocumentN(ctx context.Context, chat ChatID, doc Document, caption string, attempts int) error {
	caption = split(caption, maxCaption)[0]
	return b.retry(ctx, "sendDocument", chat, attempts, func(ctx context.Context) error {
		_, err := b.api.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: int64(chat), Caption: caption,
			Document: &models.InputFileUpload{Filename: doc.Name, Data: bytes.NewReader(doc.Data)}})
		return err
	})
}

func (b *Bot) answerCallback(ctx context.Context, id string) {
	err := b.retry(ctx, "answerCallbackQuery", 0, b.cfg.SendAttempts, func(ctx context.Context) error {
		_, err := b.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: id})
		return err
	})
	if err != nil {
		b.log.Warn("telegram answerCallbackQuery", "error", err)
	}
}

// split cuts text into pieces of at most limit UTF-16 units (Telegram's
// measure), at line ends where it can.
func split(text string, limit int) []string {
	var parts []string
	for units(text) > limit {
		cut := cutAt(text, limit)
		parts = append(parts, strings.TrimRight(text[:cut], "\n"))
		text = strings.TrimLeft(text[cut:], "\n")
	}
	if text = strings.TrimRight(text, "\n"); text != "" || len(parts) == 0 {
		parts = append(parts, text)
	}
	return parts
}

func units(s string) int { return len(utf16.Encode([]rune(s))) }

// cutAt is the byte index of the last line end that keeps text[:i] within
// limit units, or the last rune boundary if no line end does.
func cutAt(text string, limit int) int {
	n, lastNL, lastRune := 0, -1, 0
	for i, r := range text {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > limit {
			break
		}
		n += w
		lastRune = i + len(string(r))
		if r == '\n' {
			lastNL = i + 1
		}
	}
	if lastNL > 0 {
		return lastNL
	}
	return lastRune
}
