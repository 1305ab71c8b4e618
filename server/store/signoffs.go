package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Decision of a go-live sign-off.
type Decision string

const (
	DecisionGo   Decision = "go"
	DecisionNoGo Decision = "no-go"
)

// SignOff is a BAU lead's recorded go-live decision on a certified run.
type SignOff struct {
	ID             string
	RunID          int64
	PartnerID      string
	UserID         string
	UserEmail      string
	Decision       Decision
	Note           string
	EvidenceSHA256 string // hash of the evidence pack the decision was made on
	DecidedAt      time.Time
}

// SignOffInput is the input of RecordSignOff.
type SignOffInput struct {
	RunID          int64
	Decision       Decision
	Note           string
	EvidenceSHA256 string
}

// sha256Hex reports whether s is 64 lower-case hex digits.
func sha256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// RecordSignOff records a decision on a run. Staff only (admin or BAU, not
// the hub itself: a decision has a person behind it), and only on a
// finished run whose verdict is CERTIFIED or CERTIFIED WITH OBSERVATIONS:
// anything else is ErrNotCertified.
func (s *Store) RecordSignOff(ctx context.Context, p Principal, in SignOffInput) (SignOff, error) {
	r, err := s.GetRun(ctx, p, in.RunID)
	if err != nil {
		return SignOff{}, err
	}
	if err := p.canManage(r.PartnerID); err != nil {
		return SignOff{}, err
	}
	if p.UserID == "" {
		return SignOff{}, fmt.Errorf("store: a sign-off needs a signed-in user: %w", ErrForbidden)
	}
	if in.Decision != DecisionGo && in.Decision != DecisionNoGo {
		return SignOff{}, fmt.Errorf("store: decision must be go or no-go: %w", ErrInvalid)
	}
	ev := strings.ToLower(strings.TrimSpace(in.EvidenceSHA256))
	if !sha256Hex(ev) {
		return SignOff{}, fmt.Errorf("store: evidence hash must be a hex SHA-256: %w", ErrInvalid)
	}
	so := SignOff{ID: newID(), RunID: r.ID, PartnerID: r.PartnerID, UserID: p.UserID, Decision: in.Decision,
		Note: strings.TrimSpace(in.Note), EvidenceSHA256: ev, DecidedAt: fromTS(ts(s.now()))}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		// Re-read inside the transaction: the verdict checked is the one the
		// sign-off is written against.
		cur, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, r.ID))
		if err != nil {
			return notFound("run", s.wrap("sign-off", err))
		}
		if !cur.Certified() {
			return fmt.Errorf("store: sign-off on run %d (%s %s): %w", cur.ID, cur.State, cur.Verdict, ErrNotCertified)
		}
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, p.UserID).Scan(&so.UserEmail); err != nil {
			return notFound("user", s.wrap("sign-off", err))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO signoffs (id, run_id, partner_id, user_id, user_email, decision, note,
			evidence_sha256, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			so.ID, so.RunID, so.PartnerID, so.UserID, so.UserEmail, string(so.Decision), so.Note, so.EvidenceSHA256,
			ts(so.DecidedAt))
		return s.wrap("sign-off", err)
	})
	if err != nil {
		return SignOff{}, err
	}
	return so, nil
}

const signOffCols = `id, run_id, partner_id, user_id, user_email, decision, note, evidence_sha256, decided_at`

// ListSignOffs lists a partner's sign-offs, newest first.
func (s *Store) ListSignOffs(ctx context.Context, p Principal, partnerID string) ([]SignOff, error) {
	if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+signOffCols+` FROM signoffs WHERE partner_id = $1
		ORDER BY decided_at DESC, id`, partnerID)
	if err != nil {
		return nil, s.wrap("list sign-offs", err)
	}
	defer rows.Close()
	out := []SignOff{}
	for rows.Next() {
		var so SignOff
		var at int64
		if err := rows.Scan(&so.ID, &so.RunID, &so.PartnerID, &so.UserID, &so.UserEmail, &so.Decision, &so.Note,
			&so.EvidenceSHA256, &at); err != nil {
			return nil, s.wrap("list sign-offs", err)
		}
		so.DecidedAt = fromTS(at)
		out = append(out, so)
	}
	return out, s.wrap("list sign-offs", rows.Err())
}
