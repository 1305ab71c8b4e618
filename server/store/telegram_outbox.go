package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode/utf8"
)

// The Telegram outbox (telegram_outbox): the chats' messages about hub
// events, written where the event happens (EnqueueEvent, with the event's
// webhook deliveries) and sent by whichever replica runs the bot. Claims
// work as the webhook outbox's do: a lease on next_attempt_at, SKIP LOCKED
// on PostgreSQL, an attempt counted at the claim. A sent message's row is
// deleted; a message whose attempts ran out stays failed until pruned.

// MaxChatText bounds a stored message (bytes): Telegram takes at most 4096
// UTF-16 units in a message, which is at most 4 bytes each; the notifier
// splits longer notifications into several messages.
const MaxChatText = 4 * 4096

// ChatMessage is one message to one chat: a text, or a document with Text
// as its caption.
type ChatMessage struct {
	ChatID int64
	Text   string
	Doc    *ChatDocument
}

// ChatDocument names a report the store keeps (a run's artifact, or a UAT
// session's): the outbox stores this reference, never the file, so a row's
// size does not grow with the report's; the sender reads the file then.
type ChatDocument struct {
	Name         string // the file name the chat sees
	RunID        int64  // the run whose artifact it is, or
	UATSessionID string // the UAT session whose artifact it is
	File         string // the artifact's name (report.html)
}

func (m ChatMessage) check() error {
	if m.ChatID == 0 || len(m.Text) > MaxChatText || !utf8.ValidString(m.Text) || (m.Text == "" && m.Doc == nil) {
		return fmt.Errorf("store: chat message: %w", ErrInvalid)
	}
	if d := m.Doc; d != nil && (d.Name == "" || d.File == "" || (d.RunID == 0) == (d.UATSessionID == "")) {
		return fmt.Errorf("store: chat message: document: %w", ErrInvalid)
	}
	return nil
}

// ChatMessageState is where a queued Telegram message stands (a sent one
// has no row).
type ChatMessageState string

const (
	ChatMessagePending ChatMessageState = "pending"
	ChatMessageFailed  ChatMessageState = "failed"
)

// QueuedChatMessage is a row of the Telegram outbox.
type QueuedChatMessage struct {
	ChatMessage
	ID            int64
	PartnerID     string
	Event         string
	State         ChatMessageState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
}

func (s *Store) enqueueChats(ctx context.Context, tx *sql.Tx, ev OutboxEvent, now int64) error {
	for _, m := range ev.Chats {
		var name, file string
		var run sql.NullInt64
		var sess sql.NullString
		if d := m.Doc; d != nil {
			name, file, sess = d.Name, d.File, nullString(d.UATSessionID)
			run = sql.NullInt64{Int64: d.RunID, Valid: d.RunID != 0}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO telegram_outbox (chat_id, partner_id, event, text, doc_name,
			doc_run_id, doc_uat_session, doc_file, state, attempts, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9)`,
			m.ChatID, nullString(ev.PartnerID), ev.Event, m.Text, name, run, sess, file, now); err != nil {
			return s.wrap("enqueue chat messages", err)
		}
	}
	return nil
}

const chatMessageCols = `id, chat_id, COALESCE(partner_id, ''), event, text, doc_name, doc_run_id, doc_uat_session,
	doc_file, state, attempts, next_attempt_at, last_error, created_at`

func scanChatMessage(row interface{ Scan(...any) error }) (QueuedChatMessage, error) {
	var m QueuedChatMessage
	var name, file string
	var run sql.NullInt64
	var sess sql.NullString
	var next, created int64
	err := row.Scan(&m.ID, &m.ChatID, &m.PartnerID, &m.Event, &m.Text, &name, &run, &sess, &file, &m.State,
		&m.Attempts, &next, &m.LastError, &created)
	if name != "" {
		m.Doc = &ChatDocument{Name: name, RunID: run.Int64, UATSessionID: sess.String, File: file}
	}
	m.NextAttemptAt, m.CreatedAt = fromTS(next), fromTS(created)
	return m, err
}

// ClaimChatMessages takes up to limit pending messages that are due, counts
// an attempt on each and pushes its next attempt lease into the future, in
// one transaction (as ClaimDeliveries): until the sender records the outcome
// (RecordChatMessage), or the lease runs out because its process died, no
// replica takes it again. A message is taken only when no earlier message
// to the same chat is still pending, so a chat gets its messages in order
// (a run's verdict before its report) and one at a time.
func (s *Store) ClaimChatMessages(ctx context.Context, p Principal, limit int, lease time.Duration) ([]QueuedChatMessage, error) {
	if err := p.staffOnly(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	now := s.now()
	var out []QueuedChatMessage
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.queryIDs(ctx, tx, "claim chat messages", `SELECT m.id FROM telegram_outbox m
			WHERE m.state = 'pending' AND m.next_attempt_at <= $1 AND NOT EXISTS (SELECT 1 FROM telegram_outbox e
				WHERE e.chat_id = m.chat_id AND e.state = 'pending' AND e.id < m.id)
			ORDER BY m.id LIMIT $2`+s.dialect.forUpdateSkipLocked, ts(now), limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			m, err := scanChatMessage(tx.QueryRowContext(ctx, `UPDATE telegram_outbox
				SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2 RETURNING `+chatMessageCols,
				ts(now.Add(lease)), id))
			if err != nil {
				return s.wrap("claim chat messages", err)
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// RecordChatMessage stores how a claimed message's attempt ended (as
// RecordDelivery): sent, its row is deleted; otherwise it is retried at
// o.RetryAt, or failed when that is zero, with the error kept (at most 500
// characters; the sender's errors name the chat and the Bot API method,
// never the token). A row no longer pending (a replica took it after the
// lease ran out and recorded first) is ErrConflict.
func (s *Store) RecordChatMessage(ctx context.Context, p Principal, id int64, o DeliveryOutcome) error {
	if err := p.staffOnly(); err != nil {
		return err
	}
	return s.recordOutcome(ctx, "record chat message", "telegram_outbox", id, o, nil,
		`DELETE FROM telegram_outbox WHERE id = $1 AND state = 'pending'`, id)
}

// ListChatMessages lists the outbox's messages still there (pending or
// failed), oldest first, at most limit (staff or system only).
func (s *Store) ListChatMessages(ctx context.Context, p Principal, limit int) ([]QueuedChatMessage, error) {
	if err := p.staffOnly(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+chatMessageCols+` FROM telegram_outbox ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, s.wrap("list chat messages", err)
	}
	defer rows.Close()
	out := []QueuedChatMessage{}
	for rows.Next() {
		m, err := scanChatMessage(rows)
		if err != nil {
			return nil, s.wrap("list chat messages", err)
		}
		out = append(out, m)
	}
	return out, s.wrap("list chat messages", rows.Err())
}

// PruneChatMessages deletes the outbox's rows written before cutoff:
// failed messages, and pending ones no replica sent (none runs the bot).
// Sent messages have no row left to prune.
func (s *Store) PruneChatMessages(ctx context.Context, p Principal, cutoff time.Time) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM telegram_outbox WHERE created_at < $1`, ts(cutoff))
	if err != nil {
		return 0, s.wrap("prune chat messages", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("prune chat messages", err)
}
