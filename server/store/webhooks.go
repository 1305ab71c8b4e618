package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhook is an outgoing notification target: team-wide (PartnerID "") or
// for one partner. Its signing secret is sealed like credentials and only
// WebhookSecret returns it.
type Webhook struct {
	ID        string
	PartnerID string
	URL       string
	Events    []string // e.g. run.finished, partner.regressed, signoff.recorded
	HasSecret bool
	Enabled   bool
	CreatedAt time.Time
}

// WebhookInput creates a webhook.
type WebhookInput struct {
	PartnerID string
	URL       string
	Events    []string
	Secret    string
}

func webhookAAD(id string) string { return "golive/webhook-secret/" + id }

// CreateWebhook adds a webhook (staff only).
func (s *Store) CreateWebhook(ctx context.Context, p Principal, in WebhookInput) (Webhook, error) {
	if in.PartnerID == "" {
		if err := p.staffOnly(); err != nil {
			return Webhook{}, err
		}
	} else if err := p.canManage(in.PartnerID); err != nil {
		return Webhook{}, err
	}
	events, err := checkWebhook(in.URL, in.Events)
	if err != nil {
		return Webhook{}, err
	}
	w := Webhook{ID: newID(), PartnerID: in.PartnerID, URL: in.URL, Events: events, HasSecret: in.Secret != "",
		Enabled: true, CreatedAt: fromTS(ts(s.now()))}
	var sealed []byte
	var keyID string
	if in.Secret != "" {
		if sealed, keyID, err = s.keys.seal([]byte(in.Secret), webhookAAD(w.ID)); err != nil {
			return Webhook{}, err
		}
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO webhooks (id, partner_id, url, events, secret, secret_key, enabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7)`, w.ID, nullString(w.PartnerID), w.URL, strings.Join(events, ","),
		sealed, nullString(keyID), ts(w.CreatedAt))
	if err != nil {
		return Webhook{}, s.wrap("create webhook", err)
	}
	return w, nil
}

// checkWebhook checks a webhook's URL and events, as CreateWebhook and
// UpdateWebhook store them, and returns the events sorted and unique.
func checkWebhook(rawURL string, events []string) ([]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2000 ||
		!utf8.ValidString(rawURL) {
		return nil, fmt.Errorf("store: webhook URL must be an absolute http(s) URL: %w", ErrInvalid)
	}
	if u.User != nil {
		// A URL is shown on pages and in the audit log as typed: a password
		// in it would be too. The webhook's secret signs each delivery.
		return nil, fmt.Errorf("store: webhook URL must not carry a user or password (the webhook's secret signs each delivery): %w", ErrInvalid)
	}
	events = normalizeAPIs(events)
	if len(events) == 0 {
		return nil, fmt.Errorf("store: a webhook needs at least one event: %w", ErrInvalid)
	}
	for _, e := range events {
		if !validName(e) {
			return nil, fmt.Errorf("store: event name %q: %w", e, ErrInvalid)
		}
	}
	return events, nil
}

// WebhookChange is a webhook's new URL and events (UpdateWebhook); its
// partner and its secret stay as they are.
type WebhookChange struct {
	URL    string
	Events []string
}

// UpdateWebhook changes a webhook's URL and events (staff only), checked
// as CreateWebhook checks them, and returns it with the number of its
// pending deliveries it cancelled: those of the events it no longer
// subscribes to are never sent (state cancelled). Its other deliveries
// stay: pending ones go to the new URL.
func (s *Store) UpdateWebhook(ctx context.Context, p Principal, id string, in WebhookChange) (Webhook, int, error) {
	if err := s.webhookPartner(ctx, p, id); err != nil {
		return Webhook{}, 0, err
	}
	events, err := checkWebhook(in.URL, in.Events)
	if err != nil {
		return Webhook{}, 0, err
	}
	var w Webhook
	var cancelled int64
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// The update holds the webhook's row until commit: an event being
		// enqueued for it (EnqueueEvent reads it FOR SHARE) either committed
		// before, and its deliveries are cancelled below, or reads the new
		// events after.
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET url = $1, events = $2 WHERE id = $3`,
			in.URL, strings.Join(events, ","), id)
		if err := affectedOne(res, err, "webhook", s); err != nil {
			return err
		}
		args := []any{id}
		marks := make([]string, len(events))
		for i, e := range events {
			args = append(args, e)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		res, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'cancelled'
			WHERE webhook_id = $1 AND state = 'pending' AND event NOT IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return s.wrap("cancel deliveries", err)
		}
		if cancelled, err = res.RowsAffected(); err != nil {
			return s.wrap("cancel deliveries", err)
		}
		w, err = scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = $1`, id))
		return notFound("webhook", s.wrap("webhook", err))
	})
	if err != nil {
		return Webhook{}, 0, err
	}
	return w, int(cancelled), nil
}

// webhookSecretPrefix marks the secrets the hub makes (RotateWebhookSecret)
// so that secret scanners can find leaked ones.
const webhookSecretPrefix = "glvwh_"

// RotateWebhookSecret gives a webhook a new signing secret, 256 random
// bits made here, sealed like the one it replaces, and returns it in plain
// form: the caller shows it once, and only WebhookSecret reads it again.
// An unsigned webhook becomes signed. Every attempt from now on, pending
// deliveries' included, is signed with the new secret (staff only).
func (s *Store) RotateWebhookSecret(ctx context.Context, p Principal, id string) (string, Webhook, error) {
	if err := s.webhookPartner(ctx, p, id); err != nil {
		return "", Webhook{}, err
	}
	secret := randomSecret(webhookSecretPrefix)
	sealed, keyID, err := s.keys.seal([]byte(secret), webhookAAD(id))
	if err != nil {
		return "", Webhook{}, err
	}
	var w Webhook
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET secret = $1, secret_key = $2 WHERE id = $3`, sealed, keyID, id)
		if err := affectedOne(res, err, "webhook", s); err != nil {
			return err
		}
		w, err = scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = $1`, id))
		return notFound("webhook", s.wrap("webhook", err))
	})
	if err != nil {
		return "", Webhook{}, err
	}
	return secret, w, nil
}

const webhookCols = `id, COALESCE(partner_id, ''), url, events, secret IS NOT NULL, enabled, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	var created int64
	if err := row.Scan(&w.ID, &w.PartnerID, &w.URL, &events, &w.HasSecret, &w.Enabled, &created); err != nil {
		return Webhook{}, err
	}
	w.Events, w.CreatedAt = splitList(events), fromTS(created)
	return w, nil
}

// ListWebhooks lists webhooks: a partner's own, or with partnerID "" all of
// them (staff only; the notifier loads these).
func (s *Store) ListWebhooks(ctx context.Context, p Principal, partnerID string) ([]Webhook, error) {
	q, args := `SELECT `+webhookCols+` FROM webhooks WHERE partner_id = $1 ORDER BY created_at, id`, []any{partnerID}
	if partnerID == "" {
		if err := p.staffOnly(); err != nil {
			return nil, err
		}
		q, args = `SELECT `+webhookCols+` FROM webhooks ORDER BY created_at, id`, nil
	} else if err := p.canManage(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list webhooks", err)
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, s.wrap("list webhooks", err)
		}
		out = append(out, w)
	}
	return out, s.wrap("list webhooks", rows.Err())
}

func (s *Store) webhookPartner(ctx context.Context, p Principal, id string) error {
	var partnerID string
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(partner_id, '') FROM webhooks WHERE id = $1`, id).Scan(&partnerID)
	if err != nil {
		return notFound("webhook", s.wrap("webhook", err))
	}
	if partnerID == "" {
		return p.staffOnly()
	}
	return p.canManage(partnerID)
}

// DeleteWebhook removes a webhook (staff only).
func (s *Store) DeleteWebhook(ctx context.Context, p Principal, id string) error {
	if err := s.webhookPartner(ctx, p, id); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	return affectedOne(res, err, "webhook", s)
}

// WebhookSecret returns a webhook's signing secret in plain form, for the
// notifier (staff or system only).
func (s *Store) WebhookSecret(ctx context.Context, p Principal, id string) (string, error) {
	if err := s.webhookPartner(ctx, p, id); err != nil {
		return "", err
	}
	var sealed []byte
	var keyID sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT secret, secret_key FROM webhooks WHERE id = $1`, id).
		Scan(&sealed, &keyID); err != nil {
		return "", notFound("webhook", s.wrap("webhook secret", err))
	}
	if sealed == nil {
		return "", nil
	}
	plain, err := s.keys.open(sealed, keyID.String, webhookAAD(id))
	return string(plain), err
}

// RotateSecrets re-seals every stored secret (environment credentials,
// webhook secrets) that is not under the keyring's current key, and returns
// how many it re-sealed. Run it after making a new key current; once it
// returns, the previous keys can be dropped from the environment.
func (s *Store) RotateSecrets(ctx context.Context, p Principal) (int, error) {
	if err := p.adminOnly(); err != nil {
		return 0, err
	}
	if s.keys == nil {
		return 0, fmt.Errorf("store: rotate secrets: %w", ErrNoKey)
	}
	cur := s.keys.CurrentKeyID()
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		type sealedRow struct {
			a, b   string // key columns: (partner_id, name) or (id, "")
			sealed []byte
			keyID  string
		}
		load := func(q string) ([]sealedRow, error) {
			rows, err := tx.QueryContext(ctx, q, cur)
			if err != nil {
				return nil, s.wrap("rotate secrets", err)
			}
			defer rows.Close()
			var out []sealedRow
			for rows.Next() {
				var r sealedRow
				if err := rows.Scan(&r.a, &r.b, &r.sealed, &r.keyID); err != nil {
					return nil, s.wrap("rotate secrets", err)
				}
				out = append(out, r)
			}
			return out, s.wrap("rotate secrets", rows.Err())
		}
		envs, err := load(`SELECT partner_id, name, credentials, credentials_key FROM environments
			WHERE credentials IS NOT NULL AND credentials_key <> $1`)
		if err != nil {
			return err
		}
		for _, r := range envs {
			plain, err := s.keys.open(r.sealed, r.keyID, envAAD(r.a, r.b))
			if err != nil {
				return err
			}
			sealed, keyID, err := s.keys.seal(plain, envAAD(r.a, r.b))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE environments SET credentials = $1, credentials_key = $2
				WHERE partner_id = $3 AND name = $4`, sealed, keyID, r.a, r.b); err != nil {
				return s.wrap("rotate secrets", err)
			}
			n++
		}
		hooks, err := load(`SELECT id, '', secret, secret_key FROM webhooks WHERE secret IS NOT NULL AND secret_key <> $1`)
		if err != nil {
			return err
		}
		for _, r := range hooks {
			plain, err := s.keys.open(r.sealed, r.keyID, webhookAAD(r.a))
			if err != nil {
				return err
			}
			sealed, keyID, err := s.keys.seal(plain, webhookAAD(r.a))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET secret = $1, secret_key = $2 WHERE id = $3`,
				sealed, keyID, r.a); err != nil {
				return s.wrap("rotate secrets", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
