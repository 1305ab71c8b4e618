package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one line of the audit log: who did what to which subject,
// with which parameters (secrets masked) and how it ended.
type AuditEntry struct {
	ID        int64
	At        time.Time
	Actor     string // user id, or "system"
	Role      Role
	PartnerID string // the partner concerned, if any
	Action    string // e.g. run.start, signoff.record, telegram.tool.token
	Subject   string // e.g. "run 42", "partner acme"
	Params    map[string]string
	Outcome   string // ok, denied, error: ...
}

// Mask is what a secret parameter is replaced with in the audit log.
const Mask = "***"

// secretParam reports whether a parameter name suggests a secret; its value
// is then never stored.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "key", "authorization", "credential",
		"cookie", "session", "signature", "otp", "pin", "code"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// MaskParams returns params with secret-looking values replaced by Mask.
func MaskParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		if secretParam(k) {
			v = Mask
		}
		out[k] = v
	}
	return out
}

// Audit appends an entry, acting as p. Params are masked here, whatever the
// caller did, so the log never holds a secret named as one.
func (s *Store) Audit(ctx context.Context, p Principal, e AuditEntry) error {
	if strings.TrimSpace(e.Action) == "" || strings.TrimSpace(e.Outcome) == "" {
		return fmt.Errorf("store: audit entry needs an action and an outcome: %w", ErrInvalid)
	}
	params, err := json.Marshal(MaskParams(e.Params))
	if err != nil {
		return fmt.Errorf("store: audit params: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor, role, partner_id, action, subject, params, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, ts(s.now()), actor(p), string(p.Role), nullString(e.PartnerID),
		e.Action, e.Subject, string(params), e.Outcome)
	return s.wrap("audit", err)
}

// AuditFilter selects audit entries: one partner's ("" = all, staff only),
// newest first, ids below Before (0 = newest), at most Limit (default 100).
type AuditFilter struct {
	PartnerID string
	Before    int64
	Limit     int
}

// ListAudit reads the audit log. Staff read everything; a partner's user
// reads the entries about its own partner.
func (s *Store) ListAudit(ctx context.Context, p Principal, f AuditFilter) ([]AuditEntry, error) {
	if f.PartnerID == "" {
		if err := p.staffOnly(); err != nil {
			return nil, err
		}
	} else if err := p.canRead(f.PartnerID); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	q := `SELECT id, at, actor, role, COALESCE(partner_id, ''), action, subject, params, outcome FROM audit_log
		WHERE id < $1 AND ($2 = '' OR partner_id = $2) ORDER BY id DESC LIMIT $3`
	rows, err := s.db.QueryContext(ctx, q, before, f.PartnerID, limit)
	if err != nil {
		return nil, s.wrap("list audit", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		var params string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Role, &e.PartnerID, &e.Action, &e.Subject, &params, &e.Outcome); err != nil {
			return nil, s.wrap("list audit", err)
		}
		e.At = fromTS(at)
		if err := json.Unmarshal([]byte(params), &e.Params); err != nil {
			return nil, fmt.Errorf("store: audit params of entry %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, s.wrap("list audit", rows.Err())
}
