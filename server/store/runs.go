package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// RunSource says who started a run.
type RunSource string

const (
	SourceWeb        RunSource = "web"
	SourceAPI        RunSource = "api"
	SourceCLIPublish RunSource = "cli-publish"
	SourceSchedule   RunSource = "schedule"
	SourceTelegram   RunSource = "telegram"
)

func (s RunSource) valid() bool {
	switch s {
	case SourceWeb, SourceAPI, SourceCLIPublish, SourceSchedule, SourceTelegram:
		return true
	}
	return false
}

// RunState is a run's life cycle: queued -> running -> done, or failed (the
// hub could not run it: bad configuration, full disk) or interrupted (the
// server stopped mid-run, or the document says so). Only done runs carry a
// verdict that counts.
type RunState string

const (
	RunQueued      RunState = "queued"
	RunRunning     RunState = "running"
	RunDone        RunState = "done"
	RunInterrupted RunState = "interrupted"
	RunFailed      RunState = "failed"
)

// Counts are the item totals of a finished run.
type Counts struct {
	Total, Passed, Failed, Errored, Skipped int
}

// Run is a certification run's record. The results document is apart
// (RunResults), so listing runs never reads documents.
type Run struct {
	ID          int64
	PartnerID   string
	APIs        []string
	Environment string
	Source      RunSource
	State       RunState
	RequestedBy string // user id, or "system"
	AllowWrites bool
	// Verdict and ExitCode come from results.json; empty/0 until it is stored.
	// A run that ended without results has the exit code the CLI would
	// have given: FailRun's (2 or 4), or 130 when a restart cut it off.
	Verdict      results.VerdictStatus
	ExitCode     int
	Counts       Counts
	Failure      string // why the hub could not run it (state failed)
	ResultsRunID string // runId inside results.json
	CreatedAt    time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
}

// Certified reports whether the run may carry a go-live sign-off.
func (r Run) Certified() bool {
	return r.State == RunDone &&
		(r.Verdict == results.Certified || r.Verdict == results.CertifiedWithObservations)
}

const runCols = `id, partner_id, apis, environment, source, state, requested_by, allow_writes, verdict,
	COALESCE(exit_code, 0), total, passed, failed, errored, skipped, failure, results_run_id,
	created_at, started_at, finished_at`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var apis string
	var created int64
	var started, finished sql.NullInt64
	err := row.Scan(&r.ID, &r.PartnerID, &apis, &r.Environment, &r.Source, &r.State, &r.RequestedBy, &r.AllowWrites,
		&r.Verdict, &r.ExitCode, &r.Counts.Total, &r.Counts.Passed, &r.Counts.Failed, &r.Counts.Errored,
		&r.Counts.Skipped, &r.Failure, &r.ResultsRunID, &created, &started, &finished)
	if err != nil {
		return Run{}, err
	}
	r.APIs = splitList(apis)
	r.CreatedAt, r.StartedAt, r.FinishedAt = fromTS(created), fromNullTS(started), fromNullTS(finished)
	return r, nil
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// NewRun asks the hub to run a certification of a partner's registered
// environment.
type NewRun struct {
	PartnerID   string
	APIs        []string
	Environment string
	Source      RunSource // web, api, schedule, telegram
	AllowWrites bool
	// Payload is what the worker needs beyond the fields above (suite
	// selection, options), as JSON; the store keeps it opaque.
	Payload json.RawMessage
	// Tick, when set, claims a periodic job's tick (see ClaimTick) in the
	// run's own transaction: when another replica claimed it first, nothing
	// is queued and EnqueueRun returns ErrTickTaken. A schedule's fire is
	// thus queued exactly once across replicas.
	Tick   string
	TickAt time.Time
}

func actor(p Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return string(p.Role)
}

// EnqueueRun records a queued run and its job in one transaction. A partner's
// user may start runs of its own partner.
func (s *Store) EnqueueRun(ctx context.Context, p Principal, in NewRun) (Run, error) {
	if err := p.canAct(in.PartnerID); err != nil {
		return Run{}, err
	}
	if !in.Source.valid() || in.Source == SourceCLIPublish {
		return Run{}, fmt.Errorf("store: run source %q cannot be queued: %w", in.Source, ErrInvalid)
	}
	if in.Environment != Staging && in.Environment != Production {
		return Run{}, fmt.Errorf("store: environment must be staging or production: %w", ErrInvalid)
	}
	apis := normalizeAPIs(in.APIs)
	if len(apis) == 0 {
		return Run{}, fmt.Errorf("store: a run needs at least one API: %w", ErrInvalid)
	}
	for _, a := range apis {
		if !validName(a) {
			return Run{}, fmt.Errorf("store: API name %q: %w", a, ErrInvalid)
		}
	}
	payload := []byte(in.Payload)
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		return Run{}, fmt.Errorf("store: run payload is not JSON: %w", ErrInvalid)
	}
	now := fromTS(ts(s.now()))
	r := Run{PartnerID: in.PartnerID, APIs: apis, Environment: in.Environment, Source: in.Source,
		State: RunQueued, RequestedBy: actor(p), AllowWrites: in.AllowWrites, CreatedAt: now}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if in.Tick != "" {
			won, err := s.claimTick(ctx, tx, in.Tick, in.TickAt)
			if err != nil {
				return err
			}
			if !won {
				return fmt.Errorf("store: enqueue run: %s: %w", in.Tick, ErrTickTaken)
			}
		}
		if err := s.insertRun(ctx, tx, &r); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (run_id, state, payload, created_at) VALUES ($1, 'queued', $2, $3)`,
			r.ID, payload, ts(now))
		return s.wrap("enqueue run", err)
	})
	return r, err
}

// insertRun writes the runs row and its run_apis rows, setting r.ID.
func (s *Store) insertRun(ctx context.Context, tx *sql.Tx, r *Run) error {
	// The partner's row first (bumpLatest): taken after the runs insert's
	// foreign-key check, two transactions would each hold its KEY SHARE and
	// wait for the other's.
	if err := s.lockPartnerRuns(ctx, tx, r.PartnerID); err != nil {
		return err
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO runs (partner_id, apis, environment, source, state, requested_by,
			allow_writes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.PartnerID, strings.Join(r.APIs, ","), r.Environment, string(r.Source), string(r.State), r.RequestedBy,
		r.AllowWrites, ts(r.CreatedAt)).Scan(&r.ID)
	if err != nil {
		return s.wrap("insert run", err)
	}
	for _, a := range r.APIs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_apis (run_id, partner_id, api, state) VALUES ($1, $2, $3, $4)`,
			r.ID, r.PartnerID, a, string(r.State)); err != nil {
			return s.wrap("insert run", err)
		}
	}
	return s.bumpLatest(ctx, tx, r, "latest_run_id")
}

// lockPartnerRuns serialises the transactions that move a partner's latest
// run ids (runs starting and finishing, SetPartnerAPIs) on its row: FOR NO
// KEY UPDATE on PostgreSQL, which foreign-key checks of the partner's other
// rows do not wait for; SQLite's IMMEDIATE transaction holds the database.
func (s *Store) lockPartnerRuns(ctx context.Context, tx *sql.Tx, partnerID string) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM partners WHERE id = $1`+s.dialect.forNoKeyUpdate, partnerID).Scan(&id)
	if err != nil {
		return notFound("partner", s.wrap("lock partner", err))
	}
	return nil
}

// bumpLatest records r as its partner's latest run (column latest_run_id)
// or latest finished run (done_run_id) of each of its APIs on partner_apis,
// unless a later one is there already. The partner's row is locked first,
// so SetPartnerAPIs (which computes the columns of the rows it inserts)
// and this update run one after the other.
func (s *Store) bumpLatest(ctx context.Context, tx *sql.Tx, r *Run, column string) error {
	if err := s.lockPartnerRuns(ctx, tx, r.PartnerID); err != nil {
		return err
	}
	for _, a := range r.APIs {
		if _, err := tx.ExecContext(ctx, `UPDATE partner_apis SET `+column+` = $1
			WHERE partner_id = $2 AND api = $3 AND (`+column+` IS NULL OR `+column+` < $1)`,
			r.ID, r.PartnerID, a); err != nil {
			return s.wrap("latest run", err)
		}
	}
	return nil
}

// Artifact is a file a run produced (report.html, junit.xml, manifest),
// stored as a blob beside the run so that every replica can serve it and its
// write is part of the run's transaction.
type Artifact struct {
	Name        string
	ContentType string
	Content     []byte
}

// ArtifactInfo describes a stored artifact.
type ArtifactInfo struct {
	RunID       int64
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Pruned      bool // content removed by retention; the hash remains
}

// MaxArtifactSize bounds one artifact (a report.html with every exchange of
// a large suite stays well under it).
const MaxArtifactSize = 64 << 20

// Publication is a run made elsewhere (golive run --publish) and uploaded.
type Publication struct {
	PartnerID string
	Results   []byte // results.json exactly as produced
	Artifacts []Artifact
}

// PublishRun stores a finished run uploaded by the CLI: the run row, its
// document, item outcomes and artifacts appear together or not at all.
func (s *Store) PublishRun(ctx context.Context, p Principal, in Publication) (Run, error) {
	if err := p.canAct(in.PartnerID); err != nil {
		return Run{}, err
	}
	doc, err := parseResults(in.Results)
	if err != nil {
		return Run{}, err
	}
	if err := checkArtifacts(in.Artifacts); err != nil {
		return Run{}, err
	}
	apis := make([]string, 0, len(doc.APIs))
	for _, a := range doc.APIs {
		apis = append(apis, a.Name)
	}
	apis = normalizeAPIs(apis)
	env := doc.Target.Environment
	if env == "" {
		env = Staging
	}
	r := Run{PartnerID: in.PartnerID, APIs: apis, Environment: env, Source: SourceCLIPublish,
		State: RunRunning, RequestedBy: actor(p), CreatedAt: fromTS(ts(s.now()))}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertRun(ctx, tx, &r); err != nil {
			return err
		}
		return s.finishRun(ctx, tx, &r, in.Results, doc, in.Artifacts)
	})
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// Completion is what a worker stores when a queued run finishes.
type Completion struct {
	Results   []byte
	Artifacts []Artifact
}

// CompleteRun stores a running run's results.json, item outcomes and
// artifacts and marks it done (or interrupted, if the document says so), all
// in one transaction: until it commits, the run shows as running; if it
// fails (full disk, lost connection) nothing of it is visible. A run that is
// no longer running (marked interrupted at a restart) is ErrConflict.
func (s *Store) CompleteRun(ctx context.Context, p Principal, runID int64, c Completion) (Run, error) {
	r, err := s.GetRun(ctx, p, runID)
	if err != nil {
		return Run{}, err
	}
	if err := p.canManage(r.PartnerID); err != nil {
		return Run{}, err
	}
	doc, err := parseResults(c.Results)
	if err != nil {
		return Run{}, err
	}
	if err := checkArtifacts(c.Artifacts); err != nil {
		return Run{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error { return s.finishRun(ctx, tx, &r, c.Results, doc, c.Artifacts) })
	if err != nil {
		return Run{}, err
	}
	return r, nil
}

// finishRun writes everything a finished run has, inside tx. The state
// change is guarded by state = 'running', so a run interrupted meanwhile is
// not resurrected.
func (s *Store) finishRun(ctx context.Context, tx *sql.Tx, r *Run, raw []byte, doc results.Run, arts []Artifact) error {
	state := RunDone
	if doc.Interrupted {
		state = RunInterrupted
	}
	finished := doc.FinishedAt
	if finished.IsZero() {
		finished = s.now()
	}
	started := doc.StartedAt
	if started.IsZero() {
		started = r.StartedAt
	}
	sum := doc.Summary
	res, err := tx.ExecContext(ctx, `UPDATE runs SET state = $1, verdict = $2, exit_code = $3, total = $4, passed = $5,
			failed = $6, errored = $7, skipped = $8, results_run_id = $9, started_at = $10, finished_at = $11
		WHERE id = $12 AND state = 'running'`,
		string(state), string(doc.Verdict.Status), doc.Verdict.ExitCode, sum.Total, sum.Passed, sum.Failed,
		sum.Errored, sum.Skipped, doc.RunID, nullTS(started), ts(finished), r.ID)
	if err != nil {
		return s.wrap("finish run", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.wrap("finish run", err)
	} else if n == 0 {
		return fmt.Errorf("store: run %d is no longer running: %w", r.ID, ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE run_apis SET state = $1 WHERE run_id = $2`, string(state), r.ID); err != nil {
		return s.wrap("finish run", err)
	}
	if state == RunDone {
		if err := s.bumpLatest(ctx, tx, r, "done_run_id"); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'finished' WHERE run_id = $1`, r.ID); err != nil {
		return s.wrap("finish run", err)
	}
	sum256 := sha256.Sum256(raw)
	if _, err := tx.ExecContext(ctx, `INSERT INTO run_results (run_id, document, sha256) VALUES ($1, $2, $3)`,
		r.ID, raw, hex.EncodeToString(sum256[:])); err != nil {
		return s.wrap("store results", err)
	}
	for _, a := range arts {
		h := sha256.Sum256(a.Content)
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_artifacts (run_id, name, content_type, size, sha256, content)
			VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, a.Name, a.ContentType, len(a.Content), hex.EncodeToString(h[:]),
			nonNil(a.Content)); err != nil {
			return s.wrap("store artifact", err)
		}
	}
	if err := s.insertItems(ctx, tx, r, doc.Items); err != nil {
		return err
	}
	r.State, r.Verdict, r.ExitCode, r.ResultsRunID = state, doc.Verdict.Status, int(doc.Verdict.ExitCode), doc.RunID
	r.Counts = Counts{Total: sum.Total, Passed: sum.Passed, Failed: sum.Failed, Errored: sum.Errored, Skipped: sum.Skipped}
	r.StartedAt, r.FinishedAt = fromNullTS(nullTS(started)), fromTS(ts(finished))
	return nil
}

// nonNil keeps an empty artifact an empty blob rather than NULL (NULL
// means pruned).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// insertItems fills item_results with multi-row INSERTs (a suite has
// hundreds of items; one statement per item would dominate the write).
func (s *Store) insertItems(ctx context.Context, tx *sql.Tx, r *Run, items []results.Item) error {
	const perStmt = 100
	for start := 0; start < len(items); start += perStmt {
		chunk := items[start:min(start+perStmt, len(items))]
		var b strings.Builder
		b.WriteString(`INSERT INTO item_results (run_id, partner_id, api, item_id, status, severity, category) VALUES `)
		args := make([]any, 0, len(chunk)*7)
		for i, it := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := i * 7
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
			args = append(args, r.ID, r.PartnerID, it.API, it.ID, string(it.Status), string(it.Severity), string(it.Category))
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return s.wrap("store item results", err)
		}
	}
	return nil
}

// parseResults checks that doc is a golive.results/v1 document and decodes
// the fields the store indexes. The bytes themselves are stored unchanged.
func parseResults(raw []byte) (results.Run, error) {
	var doc results.Run
	if err := json.Unmarshal(raw, &doc); err != nil {
		return results.Run{}, fmt.Errorf("store: results.json does not parse: %w", ErrInvalid)
	}
	if doc.Schema != results.Schema {
		return results.Run{}, fmt.Errorf("store: results.json schema %q, want %q: %w", doc.Schema, results.Schema, ErrInvalid)
	}
	switch doc.Verdict.Status {
	case results.Certified, results.CertifiedWithObservations, results.NotCertified, results.NotTestable:
	default:
		return results.Run{}, fmt.Errorf("store: results.json verdict %q: %w", doc.Verdict.Status, ErrInvalid)
	}
	for _, it := range doc.Items {
		if it.ID == "" {
			return results.Run{}, fmt.Errorf("store: results.json has an item without id: %w", ErrInvalid)
		}
	}
	return doc, nil
}

func checkArtifacts(arts []Artifact) error {
	seen := map[string]bool{}
	for _, a := range arts {
		if !validName(a.Name) || strings.HasPrefix(a.Name, ".") {
			return fmt.Errorf("store: artifact name %q: %w", a.Name, ErrInvalid)
		}
		if seen[a.Name] {
			return fmt.Errorf("store: artifact %q given twice: %w", a.Name, ErrInvalid)
		}
		seen[a.Name] = true
		if len(a.Content) > MaxArtifactSize {
			return fmt.Errorf("store: artifact %q exceeds %d bytes: %w", a.Name, MaxArtifactSize, ErrInvalid)
		}
	}
	return nil
}

// GetRun returns a run the principal may see.
func (s *Store) GetRun(ctx context.Context, p Principal, id int64) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return Run{}, notFound("run", s.wrap("get run", err))
	}
	if err := p.canRead(r.PartnerID); err != nil {
		return Run{}, fmt.Errorf("store: run: %w", ErrNotFound)
	}
	return r, nil
}

// RunPage selects a page of run history, newest first: the runs with id
// below Before (0 = from the newest), at most Limit (default 50, max 500).
type RunPage struct {
	Before int64
	Limit  int
}

func (pg RunPage) limit() int {
	switch {
	case pg.Limit <= 0:
		return 50
	case pg.Limit > 500:
		return 500
	}
	return pg.Limit
}

// ListRuns pages a partner's run history by keyset (id), so page 1,000 is as
// fast as page 1.
func (s *Store) ListRuns(ctx context.Context, p Principal, partnerID string, pg RunPage) ([]Run, error) {
	if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	before := pg.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+runCols+` FROM runs WHERE partner_id = $1 AND id < $2
		ORDER BY id DESC LIMIT $3`, partnerID, before, pg.limit())
	if err != nil {
		return nil, s.wrap("list runs", err)
	}
	return collectRuns(rows, s)
}

func collectRuns(rows *sql.Rows, s *Store) ([]Run, error) {
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.wrap("list runs", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("list runs", rows.Err())
}

// RunResults returns the run's results.json exactly as it was stored.
func (s *Store) RunResults(ctx context.Context, p Principal, runID int64) ([]byte, error) {
	if _, err := s.GetRun(ctx, p, runID); err != nil {
		return nil, err
	}
	var doc []byte
	if err := s.db.QueryRowContext(ctx, `SELECT document FROM run_results WHERE run_id = $1`, runID).Scan(&doc); err != nil {
		return nil, notFound("results", s.wrap("run results", err))
	}
	return doc, nil
}

// ItemOutcome is one item's result in one run (diff input).
type ItemOutcome struct {
	API      string
	ItemID   string
	Status   results.Status
	Severity results.Severity
	Category results.Category
}

// RunItems lists a run's item outcomes, by API and item id.
func (s *Store) RunItems(ctx context.Context, p Principal, runID int64) ([]ItemOutcome, error) {
	if _, err := s.GetRun(ctx, p, runID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT api, item_id, status, severity, category FROM item_results
		WHERE run_id = $1 ORDER BY api, item_id`, runID)
	if err != nil {
		return nil, s.wrap("run items", err)
	}
	defer rows.Close()
	out := []ItemOutcome{}
	for rows.Next() {
		var o ItemOutcome
		if err := rows.Scan(&o.API, &o.ItemID, &o.Status, &o.Severity, &o.Category); err != nil {
			return nil, s.wrap("run items", err)
		}
		out = append(out, o)
	}
	return out, s.wrap("run items", rows.Err())
}

// ListArtifacts lists a run's artifacts (without content).
func (s *Store) ListArtifacts(ctx context.Context, p Principal, runID int64) ([]ArtifactInfo, error) {
	if _, err := s.GetRun(ctx, p, runID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, name, content_type, size, sha256, content IS NULL
		FROM run_artifacts WHERE run_id = $1 ORDER BY name`, runID)
	if err != nil {
		return nil, s.wrap("list artifacts", err)
	}
	defer rows.Close()
	out := []ArtifactInfo{}
	for rows.Next() {
		var a ArtifactInfo
		if err := rows.Scan(&a.RunID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Pruned); err != nil {
			return nil, s.wrap("list artifacts", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("list artifacts", rows.Err())
}

// GetArtifact returns one artifact with its content (nil when pruned).
func (s *Store) GetArtifact(ctx context.Context, p Principal, runID int64, name string) (ArtifactInfo, []byte, error) {
	if _, err := s.GetRun(ctx, p, runID); err != nil {
		return ArtifactInfo{}, nil, err
	}
	var a ArtifactInfo
	var content []byte
	err := s.db.QueryRowContext(ctx, `SELECT run_id, name, content_type, size, sha256, content
		FROM run_artifacts WHERE run_id = $1 AND name = $2`, runID, name).
		Scan(&a.RunID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &content)
	if err != nil {
		return ArtifactInfo{}, nil, notFound("artifact", s.wrap("get artifact", err))
	}
	a.Pruned = content == nil
	return a, content, nil
}

// PruneArtifacts drops the content of artifacts of runs finished before
// cutoff, keeping their names and hashes, results.json and item outcomes
// (retention: the documents are small and are the evidence; reports can be
// re-rendered from them). Runs that carry a sign-off keep everything, and
// so does each partner's last good run (the latest certified run in each
// environment: what a regression is compared with).
func (s *Store) PruneArtifacts(ctx context.Context, p Principal, cutoff time.Time) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE run_artifacts SET content = NULL
		WHERE content IS NOT NULL
		  AND run_id IN (SELECT id FROM runs WHERE finished_at < $1)
		  AND run_id NOT IN (SELECT run_id FROM signoffs)
		  AND run_id NOT IN (SELECT MAX(id) FROM runs WHERE state = 'done' AND verdict IN ($2, $3)
		                     GROUP BY partner_id, environment)`,
		ts(cutoff), string(results.Certified), string(results.CertifiedWithObservations))
	if err != nil {
		return 0, s.wrap("prune artifacts", err)
	}
	n, err := res.RowsAffected()
	return n, s.wrap("prune artifacts", err)
}
