package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
)

// DefaultTelegramBackoff is the wait before each retry of a chat message
// the Bot API did not take: the first retry 5 s after the first attempt,
// ..., the last an hour after the one before (about 1 h 43 min in all).
// A message whose every attempt failed (one more than the waits) is
// failed.
func DefaultTelegramBackoff() []time.Duration {
	return []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
}

// chatOutboxKeep is how long housekeeping keeps the Telegram outbox's rows
// left over: failed messages, and pending ones no replica sent (no replica
// runs the bot). A sent message's row is deleted when it is sent.
const chatOutboxKeep = 7 * 24 * time.Hour

// chatOutbox sends the chat messages the store's Telegram outbox holds,
// whichever replica queued them; only a replica that runs the bot starts
// it. Messages are claimed a few at a time (SKIP LOCKED on PostgreSQL, so
// each attempt is one replica's; a chat's messages one at a time, in
// order), each sent once per attempt with the bot's Deliver, and retried
// here with the configured backoff.
type chatOutbox struct {
	s    *Server
	wake waker
}

func newChatOutbox(s *Server) *chatOutbox { return &chatOutbox{s: s, wake: newWaker()} }

// notify wakes the loop: messages were queued here, or a sender is free.
// Messages queued on another replica are found at the next ClaimInterval.
func (o *chatOutbox) notify() { o.wake.notify() }

func (o *chatOutbox) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		o.loop(ctx, wg)
	}()
}

func (o *chatOutbox) loop(ctx context.Context, wg *sync.WaitGroup) {
	sendLoop(ctx, wg, o.s, o.wake, o.s.cfg.TelegramSenders, "telegram messages",
		func(ctx context.Context, n int) ([]store.QueuedChatMessage, error) {
			return o.s.store.ClaimChatMessages(ctx, store.System(), n, o.s.cfg.TelegramLease)
		}, o.attempt)
}

// errReportGone: the report a queued document names is no longer stored
// (pruned, or its run's files were never written); a retry will not bring
// it back.
var errReportGone = errors.New("the report is no longer stored")

// attempt sends one claimed message and records the outcome.
func (o *chatOutbox) attempt(ctx context.Context, m store.QueuedChatMessage) {
	s := o.s
	err := o.deliver(ctx, m)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	out := store.DeliveryOutcome{}
	if err != nil {
		// The library's errors never hold the token; mask it anyway, as
		// the bot does, since the text is stored and logged.
		out.Err = strings.ReplaceAll(err.Error(), s.cfg.Telegram.Token, "***")
		minWait, again := telegram.Retryable(err)
		switch {
		case ctx.Err() != nil:
			out.RetryAt = s.cfg.Now() // cut off by a shutdown: the next start retries
		case errors.Is(err, errReportGone) || !again:
		default:
			if wait, ok := jittered(s.cfg.TelegramBackoff, m.Attempts); ok {
				out.RetryAt = s.cfg.Now().Add(max(wait, minWait))
			}
		}
		s.log.Warn("telegram message not sent", "message", m.ID, "chat", m.ChatID, "event", m.Event,
			"attempt", m.Attempts, "retry", !out.RetryAt.IsZero(), "err", out.Err)
	} else {
		s.log.Debug("telegram message sent", "message", m.ID, "chat", m.ChatID, "event", m.Event, "attempt", m.Attempts)
	}
	if rerr := s.store.RecordChatMessage(rctx, store.System(), m.ID, out); rerr != nil {
		s.log.Error("record telegram message", "message", m.ID, "err", rerr)
	}
}

// deliver reads a document's report from the store and sends the message
// once.
func (o *chatOutbox) deliver(ctx context.Context, m store.QueuedChatMessage) error {
	s := o.s
	msg := telegram.Message{Chat: telegram.ChatID(m.ChatID), Text: m.Text}
	if d := m.Doc; d != nil {
		var data []byte
		var err error
		if d.RunID != 0 {
			_, data, err = s.store.GetArtifact(ctx, store.System(), d.RunID, d.File)
		} else {
			_, data, err = s.store.GetUATArtifact(ctx, store.System(), d.UATSessionID, d.File)
		}
		switch {
		case errors.Is(err, store.ErrNotFound), err == nil && data == nil:
			return errReportGone
		case err != nil:
			return err // the database: retried
		}
		msg.Document = &telegram.Document{Name: d.Name, Data: data}
	}
	return s.bot.Deliver(ctx, msg)
}
