package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
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
	// Source is live (the hub served the sandbox) or har (a graded upload).
	Source UATSource
	// BaseURL is where the partner's client was pointed (live sessions).
	BaseURL string
	// Deadline ends a live session (zero: none).
	Deadline time.Time
	// EndReason says why it ended (closed, deadline, every case played,
	// the hub restarted).
	EndReason string
	// Owner and OwnerURL: the replica serving a live session.
	Owner, OwnerURL string
}

// UATSource says where a session's traffic came from.
type UATSource string

const (
	UATLive UATSource = "live"
	UATHAR  UATSource = "har"
)

// NewUATSession is a session to open.
type NewUATSession struct {
	// ID names the session (empty: a new id). The hub names a session
	// before it opens it, since its sandbox's URL holds the id.
	ID        string
	PartnerID string
	APIs      []string
	BaseURL   string
	Deadline  time.Time
	// Owner is the worker name of the replica serving the session, and
	// OwnerURL where the other replicas reach it ("": they cannot).
	Owner, OwnerURL string
	// MaxOpen caps the partner's open sessions, this one included (0: no
	// cap); past it the open fails with ErrTooManyOpen.
	MaxOpen int
}

// ErrTooManyOpen: the partner already has NewUATSession.MaxOpen sessions
// open.
var ErrTooManyOpen = fmt.Errorf("too many open UAT sessions: %w", ErrConflict)

// UATCompletion is what a finished session stores, in one transaction:
// its results.json as given, its files, and why it ended.
type UATCompletion struct {
	Results   []byte
	Artifacts []Artifact
	EndReason string
}

// OpenUATSession starts a session for a partner (staff, or the partner's
// own user).
func (s *Store) OpenUATSession(ctx context.Context, p Principal, partnerID string, apis []string) (UATSession, error) {
	return s.OpenUATSessionWith(ctx, p, NewUATSession{PartnerID: partnerID, APIs: apis})
}

// OpenUATSessionWith starts a live session with its base URL and deadline.
func (s *Store) OpenUATSessionWith(ctx context.Context, p Principal, in NewUATSession) (UATSession, error) {
	if err := p.canAct(in.PartnerID); err != nil {
		return UATSession{}, err
	}
	apis, err := checkUATAPIs(in.APIs)
	if err != nil {
		return UATSession{}, err
	}
	id := in.ID
	if id == "" {
		id = newID()
	} else if !validName(id) {
		return UATSession{}, fmt.Errorf("store: UAT session id: %w", ErrInvalid)
	}
	u := UATSession{ID: id, PartnerID: in.PartnerID, APIs: apis, State: UATOpen, CreatedBy: actor(p),
		StartedAt: fromTS(ts(s.now())), Source: UATLive, BaseURL: in.BaseURL, Owner: in.Owner, OwnerURL: in.OwnerURL}
	if !in.Deadline.IsZero() {
		u.Deadline = fromTS(ts(in.Deadline))
	}
	// The partner's row is locked while its open sessions are counted, so
	// concurrent opens (on any replica) cannot pass MaxOpen together.
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if in.MaxOpen > 0 {
			if err := s.lockPartner(ctx, tx, in.PartnerID); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM uat_sessions WHERE partner_id = $1 AND state = $2`,
				in.PartnerID, string(UATOpen)).Scan(&n); err != nil {
				return s.wrap("count open UAT sessions", err)
			}
			if n >= in.MaxOpen {
				return ErrTooManyOpen
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO uat_sessions (id, partner_id, apis, state, created_by, started_at,
				source, base_url, deadline, owner, owner_url)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, u.ID, in.PartnerID, strings.Join(apis, ","), string(u.State),
			u.CreatedBy, ts(u.StartedAt), string(u.Source), u.BaseURL, nullTS(u.Deadline), u.Owner, u.OwnerURL)
		return s.wrap("open UAT session", err)
	})
	if err != nil {
		return UATSession{}, err
	}
	return u, nil
}

func checkUATAPIs(apis []string) ([]string, error) {
	apis = normalizeAPIs(apis)
	if len(apis) == 0 {
		return nil, fmt.Errorf("store: a UAT session needs at least one API: %w", ErrInvalid)
	}
	for _, a := range apis {
		if !validName(a) {
			return nil, fmt.Errorf("store: API name %q: %w", a, ErrInvalid)
		}
	}
	return apis, nil
}

const uatCols = `id, partner_id, apis, state, created_by, verdict, started_at, ended_at, source, base_url, deadline, end_reason, owner, owner_url`

func scanUAT(row interface{ Scan(...any) error }) (UATSession, error) {
	var u UATSession
	var apis string
	var started int64
	var ended, deadline sql.NullInt64
	if err := row.Scan(&u.ID, &u.PartnerID, &apis, &u.State, &u.CreatedBy, &u.Verdict, &started, &ended,
		&u.Source, &u.BaseURL, &deadline, &u.EndReason, &u.Owner, &u.OwnerURL); err != nil {
		return UATSession{}, err
	}
	u.APIs, u.StartedAt, u.EndedAt, u.Deadline = splitList(apis), fromTS(started), fromNullTS(ended), fromNullTS(deadline)
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
	return s.CompleteUATSession(ctx, p, id, UATCompletion{Results: resultsJSON})
}

// CompleteUATSession ends an open session with its graded results.json,
// its files and item outcomes, in one transaction: until it commits the
// session shows open; a session no longer open (interrupted at a restart,
// closed by someone else) is ErrConflict and nothing is written.
func (s *Store) CompleteUATSession(ctx context.Context, p Principal, id string, c UATCompletion) (UATSession, error) {
	u, err := s.GetUATSession(ctx, p, id)
	if err != nil {
		return UATSession{}, err
	}
	if err := p.canAct(u.PartnerID); err != nil {
		return UATSession{}, err
	}
	doc, err := parseResults(c.Results)
	if err != nil {
		return UATSession{}, err
	}
	if err := checkArtifacts(c.Artifacts); err != nil {
		return UATSession{}, err
	}
	state := UATClosed
	if doc.Interrupted {
		state = UATInterrupted
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE uat_sessions SET state = $1, verdict = $2, results = $3, ended_at = $4,
				end_reason = $5
			WHERE id = $6 AND state = 'open'`, string(state), string(doc.Verdict.Status), c.Results, ts(s.now()),
			c.EndReason, id)
		if err != nil {
			return s.wrap("close UAT session", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return s.wrap("close UAT session", err)
		} else if n == 0 {
			return fmt.Errorf("store: UAT session is not open: %w", ErrConflict)
		}
		return s.insertUATOutcome(ctx, tx, u, doc, c.Artifacts)
	})
	if err != nil {
		return UATSession{}, err
	}
	return s.GetUATSession(ctx, p, id)
}

// RecordUATGrade stores a graded recording (a HAR upload) as a closed
// session of source har, with its files and item outcomes, in one
// transaction.
func (s *Store) RecordUATGrade(ctx context.Context, p Principal, partnerID string, c UATCompletion) (UATSession, error) {
	if err := p.canAct(partnerID); err != nil {
		return UATSession{}, err
	}
	doc, err := parseResults(c.Results)
	if err != nil {
		return UATSession{}, err
	}
	if err := checkArtifacts(c.Artifacts); err != nil {
		return UATSession{}, err
	}
	var apis []string
	for _, a := range doc.APIs {
		apis = append(apis, a.Name)
	}
	if apis, err = checkUATAPIs(apis); err != nil {
		return UATSession{}, err
	}
	now := fromTS(ts(s.now()))
	u := UATSession{ID: newID(), PartnerID: partnerID, APIs: apis, State: UATClosed, CreatedBy: actor(p),
		Verdict: doc.Verdict.Status, StartedAt: now, EndedAt: now, Source: UATHAR, EndReason: c.EndReason}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO uat_sessions (id, partner_id, apis, state, created_by, verdict,
				results, started_at, ended_at, source, end_reason)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, u.ID, partnerID, strings.Join(apis, ","),
			string(u.State), u.CreatedBy, string(u.Verdict), c.Results, ts(now), ts(now), string(u.Source),
			u.EndReason); err != nil {
			return s.wrap("record UAT grade", err)
		}
		return s.insertUATOutcome(ctx, tx, u, doc, c.Artifacts)
	})
	if err != nil {
		return UATSession{}, err
	}
	return u, nil
}

// insertUATOutcome writes a finished session's files and item outcomes.
func (s *Store) insertUATOutcome(ctx context.Context, tx *sql.Tx, u UATSession, doc results.Run, arts []Artifact) error {
	for _, a := range arts {
		h := sha256.Sum256(a.Content)
		if _, err := tx.ExecContext(ctx, `INSERT INTO uat_artifacts (session_id, name, content_type, size, sha256, content)
			VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, a.Name, a.ContentType, len(a.Content), hex.EncodeToString(h[:]),
			nonNil(a.Content)); err != nil {
			return s.wrap("store UAT artifact", err)
		}
	}
	for _, it := range doc.Items {
		if _, err := tx.ExecContext(ctx, `INSERT INTO uat_item_results (session_id, partner_id, api, item_id, status,
				severity, category) VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.PartnerID, it.API, it.ID,
			string(it.Status), string(it.Severity), string(it.Category)); err != nil {
			return s.wrap("store UAT item results", err)
		}
	}
	return nil
}

// ListUATArtifacts lists a session's files (without content).
func (s *Store) ListUATArtifacts(ctx context.Context, p Principal, id string) ([]ArtifactInfo, error) {
	if _, err := s.GetUATSession(ctx, p, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, content_type, size, sha256, content IS NULL
		FROM uat_artifacts WHERE session_id = $1 ORDER BY name`, id)
	if err != nil {
		return nil, s.wrap("list UAT artifacts", err)
	}
	defer rows.Close()
	out := []ArtifactInfo{}
	for rows.Next() {
		var a ArtifactInfo
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Pruned); err != nil {
			return nil, s.wrap("list UAT artifacts", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("list UAT artifacts", rows.Err())
}

// GetUATArtifact returns one file of a session with its content.
func (s *Store) GetUATArtifact(ctx context.Context, p Principal, id, name string) (ArtifactInfo, []byte, error) {
	if _, err := s.GetUATSession(ctx, p, id); err != nil {
		return ArtifactInfo{}, nil, err
	}
	var a ArtifactInfo
	var content []byte
	err := s.db.QueryRowContext(ctx, `SELECT name, content_type, size, sha256, content
		FROM uat_artifacts WHERE session_id = $1 AND name = $2`, id, name).
		Scan(&a.Name, &a.ContentType, &a.Size, &a.SHA256, &content)
	if err != nil {
		return ArtifactInfo{}, nil, notFound("UAT artifact", s.wrap("get UAT artifact", err))
	}
	a.Pruned = content == nil
	return a, content, nil
}

// OpenUATAPIs maps each partner the principal may see that has open
// sessions to the APIs they cover (the overview shows them "in UAT").
func (s *Store) OpenUATAPIs(ctx context.Context, p Principal) (map[string][]string, error) {
	where, args := "", []any{}
	if !p.Staff() {
		if p.Role != RolePartner || p.PartnerID == "" {
			return nil, fmt.Errorf("store: open UAT sessions: %w", ErrForbidden)
		}
		where, args = " AND partner_id = $1", []any{p.PartnerID}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT partner_id, apis FROM uat_sessions WHERE state = 'open'`+where, args...)
	if err != nil {
		return nil, s.wrap("open UAT sessions", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var id, apis string
		if err := rows.Scan(&id, &apis); err != nil {
			return nil, s.wrap("open UAT sessions", err)
		}
		out[id] = normalizeAPIs(append(out[id], splitList(apis)...))
	}
	return out, s.wrap("open UAT sessions", rows.Err())
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

// InterruptOpenUATSessions marks open sessions interrupted at start-up
// (the sandbox they were served by is gone). With owner set, only the
// sessions that replica served are touched (the others' live on); with
// owner "", every open session is (a single server).
func (s *Store) InterruptOpenUATSessions(ctx context.Context, p Principal, owner string) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE uat_sessions SET state = 'interrupted', ended_at = $1,
		end_reason = 'the hub restarted while the session was open' WHERE state = 'open' AND ($2 = '' OR owner = $2)`,
		ts(s.now()), owner)
	if err != nil {
		return 0, s.wrap("interrupt UAT sessions", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("interrupt UAT sessions", err)
}
