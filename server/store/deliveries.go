package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The staff's view across both outboxes (the Deliveries page): the webhook
// deliveries and Telegram messages that failed or are still pending, every
// partner's, newest first, one page at a time; and the retry of a failed
// Telegram message (a failed webhook delivery is redelivered instead,
// RedeliverDelivery).

// OutboxKind names an outbox.
type OutboxKind string

const (
	OutboxWebhook  OutboxKind = "webhook"
	OutboxTelegram OutboxKind = "telegram"
)

// rank orders the outboxes among rows written at the same instant (one
// event writes its deliveries and messages with one timestamp): Telegram
// before webhooks, newest first.
func (k OutboxKind) rank() int {
	if k == OutboxTelegram {
		return 1
	}
	return 0
}

// OutboxItem is a webhook delivery or a Telegram message, as the
// Deliveries page lists it. It holds no payload, no message text, no
// secret: where it was going, what about, and how it stands.
type OutboxItem struct {
	Kind          OutboxKind
	ID            int64
	PartnerID     string // the event's partner ("" for none)
	PartnerName   string // "" when the partner is gone or there is none
	Event         string
	State         string // pending or failed
	Attempts      int
	LastError     string
	CreatedAt     time.Time
	NextAttemptAt time.Time // when it is pending
	// A webhook delivery's: its webhook, that webhook's partner ("" for a
	// team-wide webhook), the URL as stored, the receiver's latest status.
	WebhookID        string
	WebhookPartnerID string
	URL              string
	ResponseStatus   int
	// A Telegram message's: the chat, and the document's file name when it
	// carries a report.
	ChatID   int64
	Document string
}

// Cursor is the item a page ends with; the next page lists what is older.
func (i OutboxItem) Cursor() OutboxCursor {
	return OutboxCursor{CreatedAt: i.CreatedAt, Kind: i.Kind, ID: i.ID}
}

// OutboxCursor is a position in the newest-first order of OutboxItems:
// (created, outbox, id), descending.
type OutboxCursor struct {
	CreatedAt time.Time
	Kind      OutboxKind
	ID        int64
}

// String is the cursor as the API and the page pass it: t<micros>.<kind>.<id>
// with the kind's first letter (w, t).
func (c OutboxCursor) String() string {
	return fmt.Sprintf("%d.%c.%d", ts(c.CreatedAt), c.Kind[0], c.ID)
}

// ParseOutboxCursor reads a cursor made by String; anything else is
// ErrInvalid.
func ParseOutboxCursor(s string) (OutboxCursor, error) {
	bad := fmt.Errorf("store: outbox cursor: %w", ErrInvalid)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return OutboxCursor{}, bad
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || at < 0 || id <= 0 {
		return OutboxCursor{}, bad
	}
	c := OutboxCursor{CreatedAt: fromTS(at), ID: id}
	switch parts[1] {
	case "w":
		c.Kind = OutboxWebhook
	case "t":
		c.Kind = OutboxTelegram
	default:
		return OutboxCursor{}, bad
	}
	return c, nil
}

// OutboxFilter selects OutboxItems: State pending or failed ("" for both),
// at most Limit (1 to 1000), older than Before when it is set.
type OutboxFilter struct {
	State  string
	Limit  int
	Before *OutboxCursor
}

// ListOutbox lists the webhook deliveries and Telegram messages that are
// pending or failed (f.State), every partner's, newest first (staff only).
// more says whether older ones remain after this page.
func (s *Store) ListOutbox(ctx context.Context, p Principal, f OutboxFilter) (items []OutboxItem, more bool, err error) {
	if err := p.staffOnly(); err != nil {
		return nil, false, err
	}
	states := []string{"pending", "failed"}
	switch f.State {
	case "":
	case "pending", "failed":
		states = []string{f.State}
	default:
		return nil, false, fmt.Errorf("store: list outbox: state must be pending or failed: %w", ErrInvalid)
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return nil, false, fmt.Errorf("store: list outbox: limit must be from 1 to 1000: %w", ErrInvalid)
	}
	hooks, err := s.listOutboxTable(ctx, OutboxWebhook, states, f)
	if err != nil {
		return nil, false, err
	}
	chats, err := s.listOutboxTable(ctx, OutboxTelegram, states, f)
	if err != nil {
		return nil, false, err
	}
	all := append(hooks, chats...)
	sort.Slice(all, func(i, j int) bool { return newer(all[i].Cursor(), all[j].Cursor()) })
	if len(all) > f.Limit {
		return all[:f.Limit], true, nil
	}
	return all, false, nil
}

// newer: a comes before b in the newest-first order.
func newer(a, b OutboxCursor) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	if a.Kind.rank() != b.Kind.rank() {
		return a.Kind.rank() > b.Kind.rank()
	}
	return a.ID > b.ID
}

// listOutboxTable reads one outbox's rows of the page: at most f.Limit+1,
// newest first, after the cursor.
func (s *Store) listOutboxTable(ctx context.Context, kind OutboxKind, states []string, f OutboxFilter) ([]OutboxItem, error) {
	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	inStates := make([]string, len(states))
	for i, st := range states {
		inStates[i] = arg(st)
	}
	where := "t.state IN (" + strings.Join(inStates, ", ") + ")"
	if c := f.Before; c != nil {
		at := ts(c.CreatedAt)
		switch {
		case kind.rank() < c.Kind.rank(): // this outbox's rows at the cursor's instant come after it
			where += " AND t.created_at <= " + arg(at)
		case kind.rank() > c.Kind.rank():
			where += " AND t.created_at < " + arg(at)
		default:
			a := arg(at)
			where += " AND (t.created_at < " + a + " OR (t.created_at = " + a + " AND t.id < " + arg(c.ID) + "))"
		}
	}
	var q string
	if kind == OutboxWebhook {
		q = `SELECT t.id, COALESCE(t.partner_id, ''), COALESCE(pt.name, ''), t.event, t.state, t.attempts, t.last_error,
			t.created_at, t.next_attempt_at, t.webhook_id, COALESCE(w.partner_id, ''), w.url, COALESCE(t.response_status, 0),
			0, ''
			FROM webhook_deliveries t JOIN webhooks w ON w.id = t.webhook_id LEFT JOIN partners pt ON pt.id = t.partner_id`
	} else {
		q = `SELECT t.id, COALESCE(t.partner_id, ''), COALESCE(pt.name, ''), t.event, t.state, t.attempts, t.last_error,
			t.created_at, t.next_attempt_at, '', '', '', 0, t.chat_id, t.doc_name
			FROM telegram_outbox t LEFT JOIN partners pt ON pt.id = t.partner_id`
	}
	q += " WHERE " + where + " ORDER BY t.created_at DESC, t.id DESC LIMIT " + arg(f.Limit+1)
	op := "list outbox (" + string(kind) + ")"
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it := OutboxItem{Kind: kind}
		var created, next int64
		if err := rows.Scan(&it.ID, &it.PartnerID, &it.PartnerName, &it.Event, &it.State, &it.Attempts, &it.LastError,
			&created, &next, &it.WebhookID, &it.WebhookPartnerID, &it.URL, &it.ResponseStatus, &it.ChatID,
			&it.Document); err != nil {
			return nil, s.wrap(op, err)
		}
		it.CreatedAt = fromTS(created)
		if it.State == "pending" {
			it.NextAttemptAt = fromTS(next)
		}
		out = append(out, it)
	}
	return out, s.wrap(op, rows.Err())
}

// RetryChatMessage puts a failed Telegram message back in the outbox:
// pending, due now, its attempts reset and its error cleared, so the bot's
// replica sends it with the whole backoff again (staff only). It keeps its
// place among the chat's messages: it goes before the chat's later ones
// still pending. A message still pending is ErrConflict (its next attempt
// is coming); one that is not there (sent, pruned, never was) is
// ErrNotFound. It returns the message as it is now.
func (s *Store) RetryChatMessage(ctx context.Context, p Principal, id int64) (QueuedChatMessage, error) {
	if err := p.staffOnly(); err != nil {
		return QueuedChatMessage{}, err
	}
	now := ts(s.now())
	var m QueuedChatMessage
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanChatMessage(tx.QueryRowContext(ctx, `UPDATE telegram_outbox
			SET state = 'pending', attempts = 0, next_attempt_at = $1, last_error = ''
			WHERE id = $2 AND state = 'failed' RETURNING `+chatMessageCols, now, id))
		if !errors.Is(err, sql.ErrNoRows) {
			return s.wrap("retry chat message", err)
		}
		var state ChatMessageState
		err = tx.QueryRowContext(ctx, `SELECT state FROM telegram_outbox WHERE id = $1`, id).Scan(&state)
		if err != nil {
			return notFound("telegram message", s.wrap("retry chat message", err))
		}
		return fmt.Errorf("store: retry chat message: the message is still %s (its next attempt is scheduled): %w", state, ErrConflict)
	})
	if err != nil {
		return QueuedChatMessage{}, err
	}
	return m, nil
}
