package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DeliveryState is where a webhook delivery stands.
type DeliveryState string

const (
	// DeliveryPending: not delivered yet; retried at NextAttemptAt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered: the receiver answered 2xx.
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed: every attempt failed; no more are made.
	DeliveryFailed DeliveryState = "failed"
	// DeliveryCancelled: an edit of its webhook stopped subscribing to its
	// event while it was pending (UpdateWebhook); it is never sent.
	DeliveryCancelled DeliveryState = "cancelled"
)

// Delivery is one event for one webhook in the outbox.
type Delivery struct {
	ID            int64
	WebhookID     string
	PartnerID     string // the event's partner ("" for none)
	Event         string
	Payload       []byte // the JSON body, exactly as sent on every attempt
	State         DeliveryState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
	// ResponseStatus is the receiver's HTTP status on the latest attempt (0:
	// no attempt yet, or no answer).
	ResponseStatus int
	// RedeliveryOf is the delivery this one redelivers (RedeliverDelivery),
	// or 0.
	RedeliveryOf int64
	// URL and HasSecret are the webhook's, as claimed (ClaimDeliveries).
	URL       string
	HasSecret bool
}

// OutboxEvent is something to tell the webhooks subscribed to Event, and
// the Telegram chats' messages about it.
type OutboxEvent struct {
	Event     string
	PartnerID string // team-wide webhooks and this partner's own receive it
	Payload   []byte
	// Chats are the event's Telegram messages, one per (chat, message), in
	// the order each chat gets them (EnqueueEvent).
	Chats []ChatMessage
}

// EnqueueEvent writes an event's webhook deliveries, one pending delivery
// per enabled webhook subscribed to it (the team-wide ones and the event
// partner's own), and its Telegram messages (ev.Chats), in one
// transaction, all due now, and returns how many of each (staff or system
// only).
func (s *Store) EnqueueEvent(ctx context.Context, p Principal, ev OutboxEvent) (webhooks, chats int, err error) {
	if err := p.staffOnly(); err != nil {
		return 0, 0, err
	}
	if !validName(ev.Event) || len(ev.Payload) == 0 {
		return 0, 0, fmt.Errorf("store: outbox event: %w", ErrInvalid)
	}
	for _, m := range ev.Chats {
		if err := m.check(); err != nil {
			return 0, 0, err
		}
	}
	now := ts(s.now())
	n := 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// FOR SHARE on PostgreSQL: an edit of a webhook (UpdateWebhook) that
		// stops subscribing to this event either commits first, and is read
		// here, or waits for this transaction and then cancels what it wrote.
		rows, err := tx.QueryContext(ctx, `SELECT id, events FROM webhooks
			WHERE enabled = TRUE AND (partner_id IS NULL OR partner_id = $1) ORDER BY id`+s.dialect.forShare, ev.PartnerID)
		if err != nil {
			return s.wrap("enqueue deliveries", err)
		}
		var ids []string
		for rows.Next() {
			var id, events string
			if err := rows.Scan(&id, &events); err != nil {
				rows.Close()
				return s.wrap("enqueue deliveries", err)
			}
			if slices.Contains(splitList(events), ev.Event) {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s.wrap("enqueue deliveries", err)
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, partner_id, event, payload,
				state, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)`,
				id, nullString(ev.PartnerID), ev.Event, ev.Payload, now); err != nil {
				return s.wrap("enqueue deliveries", err)
			}
		}
		n = len(ids)
		return s.enqueueChats(ctx, tx, ev, now)
	})
	if err != nil {
		return 0, 0, err
	}
	return n, len(ev.Chats), nil
}

const deliveryCols = `d.id, d.webhook_id, COALESCE(d.partner_id, ''), d.event, d.payload, d.state, d.attempts,
	d.next_attempt_at, d.last_error, d.created_at, d.delivered_at, COALESCE(d.response_status, 0),
	COALESCE(d.redelivery_of, 0), w.url, w.secret IS NOT NULL`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var next, created int64
	var delivered sql.NullInt64
	err := row.Scan(&d.ID, &d.WebhookID, &d.PartnerID, &d.Event, &d.Payload, &d.State, &d.Attempts, &next,
		&d.LastError, &created, &delivered, &d.ResponseStatus, &d.RedeliveryOf, &d.URL, &d.HasSecret)
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = fromTS(next), fromTS(created), fromNullTS(delivered)
	return d, err
}

// ClaimDeliveries takes up to limit pending deliveries that are due, counts
// an attempt on each and pushes its next attempt lease into the future, in
// one transaction: until the caller records the outcome (RecordDelivery),
// or the lease runs out because its process died, no replica takes it
// again. On PostgreSQL the rows are selected FOR UPDATE SKIP LOCKED, so
// replicas claiming at once take different deliveries.
func (s *Store) ClaimDeliveries(ctx context.Context, p Principal, limit int, lease time.Duration) ([]Delivery, error) {
	if err := p.staffOnly(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	now := s.now()
	var out []Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.queryIDs(ctx, tx, "claim deliveries", `SELECT id FROM webhook_deliveries
			WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2`+
			s.dialect.forUpdateSkipLocked, ts(now), limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1
				WHERE id = $2`, ts(now.Add(lease)), id); err != nil {
				return s.wrap("claim deliveries", err)
			}
			d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
				JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, id))
			if err != nil {
				return s.wrap("claim deliveries", err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// RedeliverDelivery queues a fresh pending delivery of one of the webhook's
// deliveries that is over (failed, or delivered: the receiver lost it),
// due now: the same event and payload, as a new delivery (a new id, which
// receivers deduplicate on) that names the one it repeats. It goes to the
// webhook's URL as it is when attempted, signed with its secret as it is
// then. A delivery still pending is ErrConflict (its next attempt is
// coming), as is a cancelled one, or one of an event the webhook no longer
// subscribes to; another webhook's delivery is ErrNotFound. Those who may
// edit the webhook may (staff).
func (s *Store) RedeliverDelivery(ctx context.Context, p Principal, webhookID string, deliveryID int64) (Delivery, error) {
	if err := s.webhookPartner(ctx, p, webhookID); err != nil {
		return Delivery{}, err
	}
	now := ts(s.now())
	var d Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// Read as EnqueueEvent reads it: an edit that unticks the event
		// either commits first, and is seen here, or cancels this one.
		var events string
		err := tx.QueryRowContext(ctx, `SELECT events FROM webhooks WHERE id = $1`+s.dialect.forShare, webhookID).Scan(&events)
		if err != nil {
			return notFound("webhook", s.wrap("redeliver", err))
		}
		var event string
		var state DeliveryState
		err = tx.QueryRowContext(ctx, `SELECT event, state FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`,
			deliveryID, webhookID).Scan(&event, &state)
		if err != nil {
			return notFound("delivery", s.wrap("redeliver", err))
		}
		switch {
		case state == DeliveryPending:
			return fmt.Errorf("store: redeliver: the delivery is still pending (its next attempt is scheduled): %w", ErrConflict)
		case state == DeliveryCancelled:
			return fmt.Errorf("store: redeliver: the delivery was cancelled (its webhook stopped subscribing to its event): %w", ErrConflict)
		case !slices.Contains(splitList(events), event):
			return fmt.Errorf("store: redeliver: the webhook no longer subscribes to the delivery's event: %w", ErrConflict)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, partner_id, event, payload, state,
			attempts, next_attempt_at, created_at, redelivery_of)
			SELECT webhook_id, partner_id, event, payload, 'pending', 0, $1, $1, id FROM webhook_deliveries WHERE id = $2
			RETURNING id`, now, deliveryID).Scan(&id)
		if err != nil {
			return s.wrap("redeliver", err)
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
			JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, id))
		return s.wrap("redeliver", err)
	})
	if err != nil {
		return Delivery{}, err
	}
	return d, nil
}

// DeliveryOutcome is how one attempt ended: Err empty for a 2xx answer;
// otherwise RetryAt is the next attempt, or zero when none is left.
type DeliveryOutcome struct {
	Err     string
	RetryAt time.Time
	// Status is the receiver's HTTP status, 0 when it did not answer (a
	// webhook delivery keeps it; a Telegram message does not).
	Status int
}

// RecordDelivery stores how a claimed delivery's attempt ended, with the
// receiver's status. The error text is kept (at most 500 characters) for
// staff to read; it must hold no secret, which the notifier's messages
// never do. A delivery cancelled while its attempt was out is no longer
// pending: ErrConflict, and it stays cancelled.
func (s *Store) RecordDelivery(ctx context.Context, p Principal, id int64, o DeliveryOutcome) error {
	if err := p.staffOnly(); err != nil {
		return err
	}
	status := sql.NullInt64{Int64: int64(o.Status), Valid: o.Status > 0}
	return s.recordOutcome(ctx, "record delivery", "webhook_deliveries", id, o,
		[]setColumn{{"response_status", status}},
		`UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $1, last_error = '', response_status = $2
			WHERE id = $3 AND state = 'pending'`,
		ts(s.now()), status, id)
}

// setColumn is one more column an outbox's recordOutcome sets on a retry
// or a failure; name is one of the store's own column names, never input.
type setColumn struct {
	name  string
	value any
}

// PruneDeliveries deletes the deliveries written before cutoff that are
// over (delivered, failed or cancelled), so the outbox does not grow with every event
// the hub ever sent; a pending one stays, whatever its age, until it is
// delivered or fails. It returns how many went (staff or system only).
func (s *Store) PruneDeliveries(ctx context.Context, p Principal, cutoff time.Time) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1`, ts(cutoff))
	if err != nil {
		return 0, s.wrap("prune deliveries", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("prune deliveries", err)
}

// recordOutcome stores how the attempt on a claimed row of an outbox table
// (webhook_deliveries, telegram_outbox) ended: done runs when it went
// through; otherwise the row is retried at o.RetryAt, or failed when that
// is zero, keeping the error (at most 500 characters) and setting the
// columns of also. A row no longer pending (another replica took it after
// the lease ran out and recorded first, or staff cancelled it) is
// ErrConflict. table is one of the store's own names, never input.
func (s *Store) recordOutcome(ctx context.Context, op, table string, id int64, o DeliveryOutcome, also []setColumn,
	done string, doneArgs ...any) error {
	var res sql.Result
	var err error
	if o.Err == "" {
		res, err = s.db.ExecContext(ctx, done, doneArgs...)
	} else {
		set, args := "state = 'failed', last_error = $1", []any{truncateText(o.Err, 500)}
		if !o.RetryAt.IsZero() {
			set, args = "next_attempt_at = $1, last_error = $2", []any{ts(o.RetryAt), truncateText(o.Err, 500)}
		}
		for _, c := range also {
			args = append(args, c.value)
			set += ", " + c.name + " = $" + strconv.Itoa(len(args))
		}
		args = append(args, id)
		res, err = s.db.ExecContext(ctx, `UPDATE `+table+` SET `+set+` WHERE id = $`+strconv.Itoa(len(args))+
			` AND state = 'pending'`, args...)
	}
	if err != nil {
		return s.wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: not pending: %w", op, ErrConflict)
	}
	return nil
}

// ListDeliveries lists a webhook's latest deliveries, newest first (those
// who manage the webhook: staff).
func (s *Store) ListDeliveries(ctx context.Context, p Principal, webhookID string, limit int) ([]Delivery, error) {
	if err := s.webhookPartner(ctx, p, webhookID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		JOIN webhooks w ON w.id = d.webhook_id WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, s.wrap("list deliveries", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, s.wrap("list deliveries", err)
		}
		out = append(out, d)
	}
	return out, s.wrap("list deliveries", rows.Err())
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..." // a cut UTF-8 sequence is dropped
}
