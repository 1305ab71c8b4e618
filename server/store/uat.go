package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// UATState of a client UAT session.
type UATState string

const (
	UATOpen        UATState = "open"
	UATClosed      UATState = "closed"
	UATInterrupted UATState = "interrupted"
)

// UATSession is a client-side certification session (the partner calls the
// sandbox; golive grades its traffic).
type UATSession struct {
	ID        string
	PartnerID string
	APIs      []string
	State     UATState
	CreatedBy string
	Verdict   results.VerdictStatus
	StartedAt time.Time
	EndedAt   time.Time
}

// OpenUATSession starts a session for a partner (staff, or the partner's
// own user).
func (s *Store) OpenUATSession(ctx context.Context, p Principal, partnerID string, apis []string) (UATSession, error) {
	if err := p.canAct(partnerID); err != nil {
		return UATSession{}, err
	}
	apis = normalizeAPIs(apis)
	if len(apis) == 0 {
		return UATSession{}, fmt.Errorf("store: a UAT session needs at least one API: %w", ErrInvalid)
	}
	for _, a := range apis {
		if !validName(a) {
			return UATSession{}, fmt.Errorf("store: API name %q: %w", a, ErrInvalid)
		}
	}
	u := UATSession{ID: newID(), PartnerID: partnerID, APIs: apis, State: UATOpen, CreatedBy: actor(p),
		StartedAt: fromTS(ts(s.now()))}
	_, err := s.db.ExecContext(ctx, `INSERT INTO uat_sessions (id, partner_id, apis, state, created_by, started_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, partnerID, strings.Join(apis, ","), string(u.State), u.CreatedBy,
		ts(u.StartedAt))
	if err != nil {
		return UATSession{}, s.wrap("open UAT session", err)
	}
	return u, nil
}

const uatCols = `id, partner_id, apis, state, created_by, verdict, started_at, ended_at`

func scanUAT(row interface{ Scan(...any) error }) (UATSession, error) {
	var u UATSession
	var apis string
	var started int64
	var ended sql.NullInt64
	if err := row.Scan(&u.ID, &u.PartnerID, &apis, &u.State, &u.CreatedBy, &u.Verdict, &started, &ended); err != nil {
		return UATSession{}, err
	}
	u.APIs, u.StartedAt, u.EndedAt = splitList(apis), fromTS(started), fromNullTS(ended)
	return u, nil
}

// GetUATSession returns a session the principal may see.
func (s *Store) GetUATSession(ctx context.Context, p Principal, id string) (UATSession, error) {
	u, err := scanUAT(s.db.QueryRowContext(ctx, `SELECT `+uatCols+` FROM uat_sessions WHERE id = $1`, id))
	if err != nil {
		return UATSession{}, notFound("UAT session", s.wrap("get UAT session", err))
	}
	if p.canRead(u.PartnerID) != nil {
		return UATSession{}, fmt.Errorf("store: UAT session: %w", ErrNotFound)
	}
	return u, nil
}

// ListUATSessions lists a partner's sessions, newest first.
func (s *Store) ListUATSessions(ctx context.Context, p Principal, partnerID string) ([]UATSession, error) {
	if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+uatCols+` FROM uat_sessions WHERE partner_id = $1
		ORDER BY started_at DESC, id LIMIT 500`, partnerID)
	if err != nil {
		return nil, s.wrap("list UAT sessions", err)
	}
	defer rows.Close()
	out := []UATSession{}
	for rows.Next() {
		u, err := scanUAT(rows)
		if err != nil {
			return nil, s.wrap("list UAT sessions", err)
		}
		out = append(out, u)
	}
	return out, s.wrap("list UAT sessions", rows.Err())
}

// CloseUATSession ends an open session with its graded results.json
// (verdict taken from it). Closing twice is ErrConflict.
func (s *Store) CloseUATSession(ctx context.Context, p Principal, id string, resultsJSON []byte) (UATSession, error) {
	u, err := s.GetUATSession(ctx, p, id)
	if err != nil {
		return UATSession{}, err
	}
	if err := p.canAct(u.PartnerID); err != nil {
		return UATSession{}, err
	}
	doc, err := parseResults(resultsJSON)
	if err != nil {
		return UATSession{}, err
	}
	state := UATClosed
	if doc.Interrupted {
		state = UATInterrupted
	}
	res, err := s.db.ExecContext(ctx, `UPDATE uat_sessions SET state = $1, verdict = $2, results = $3, ended_at = $4
		WHERE id = $5 AND state = 'open'`, string(state), string(doc.Verdict.Status), resultsJSON, ts(s.now()), id)
	if err != nil {
		return UATSession{}, s.wrap("close UAT session", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return UATSession{}, fmt.Errorf("store: UAT session is not open: %w", ErrConflict)
	}
	return s.GetUATSession(ctx, p, id)
}

// UATResults returns a closed session's results.json as stored.
func (s *Store) UATResults(ctx context.Context, p Principal, id string) ([]byte, error) {
	if _, err := s.GetUATSession(ctx, p, id); err != nil {
		return nil, err
	}
	var doc []byte
	if err := s.db.QueryRowContext(ctx, `SELECT results FROM uat_sessions WHERE id = $1`, id).Scan(&doc); err != nil {
		return nil, s.wrap("UAT results", err)
	}
	if doc == nil {
		return nil, fmt.Errorf("store: UAT session has no results yet: %w", ErrNotFound)
	}
	return doc, nil
}

// InterruptOpenUATSessions marks open sessions interrupted at start-up (the
// sandbox that served them is gone).
func (s *Store) InterruptOpenUATSessions(ctx context.Context, p Principal) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE uat_sessions SET state = 'interrupted', ended_at = $1 WHERE state = 'open'`,
		ts(s.now()))
	if err != nil {
		return 0, s.wrap("interrupt UAT sessions", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("interrupt UAT sessions", err)
}
