package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// RunBrief is the part of a run an overview shows.
type RunBrief struct {
	ID         int64
	State      RunState
	Verdict    results.VerdictStatus
	CreatedAt  time.Time
	FinishedAt time.Time
}

// APIStatus is one API of a partner in the overview: its latest run of any
// state (to show "running") and its latest finished run (the verdict that
// counts). Either is nil when there is none.
type APIStatus struct {
	API        string
	Latest     *RunBrief
	LatestDone *RunBrief
}

// PartnerOverview is one row of the partners overview.
type PartnerOverview struct {
	Partner     Partner
	APIs        []APIStatus // the partner's registered APIs, by name
	LastSignOff *SignOff
	// OpenUAT lists the APIs an open UAT session of the partner covers.
	OpenUAT []string
}

// PartnersOverview lists every partner the principal may see with, per
// registered API, its latest run and latest finished run, and the partner's
// latest sign-off. The latest run ids are columns of partner_apis, kept by
// the run transactions (bumpLatest), so the cost grows with the number of
// partners and APIs, not with run history, and takes no index probe per
// row beyond the runs' primary keys.
func (s *Store) PartnersOverview(ctx context.Context, p Principal) ([]PartnerOverview, error) {
	where, args := "", []any{}
	if !p.Staff() {
		if p.Role != RolePartner || p.PartnerID == "" {
			return nil, fmt.Errorf("store: overview: %w", ErrForbidden)
		}
		where, args = "WHERE p.id = $1", []any{p.PartnerID}
	}
	// Two statements: the partners with their APIs' latest run ids (columns
	// of partner_apis) and latest sign-off (a scalar sub-select per partner,
	// joined by primary key; a correlated sub-select inside a JOIN's ON
	// clause made PostgreSQL filter every row for every row), then those
	// runs by primary key. Joining runs in the first statement made
	// PostgreSQL hash-join two full scans of runs, whose cost grows with
	// history; a list of ids is index lookups on both databases.
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.name, p.contacts, p.status, p.created_at, p.updated_at,
			COALESCE(l.api, ''), l.latest_run_id, l.done_run_id,
			so.id, so.run_id, so.user_id, so.user_email, so.decision, so.note, so.evidence_sha256, so.decided_at
		FROM (SELECT p.id, p.name, p.name_key, p.contacts, p.status, p.created_at, p.updated_at,
				(SELECT y.id FROM signoffs y WHERE y.partner_id = p.id
					ORDER BY y.decided_at DESC, y.id LIMIT 1) AS signoff_id
			FROM partners p `+where+`) p
		LEFT JOIN partner_apis l ON l.partner_id = p.id
		LEFT JOIN signoffs so ON so.id = p.signoff_id
		ORDER BY p.name_key, p.id, l.api`, args...)
	if err != nil {
		return nil, s.wrap("overview", err)
	}
	defer rows.Close()
	type pending struct {
		partner, api   int
		latest, isDone bool
		id             int64
	}
	out := []PartnerOverview{}
	var want []pending
	for rows.Next() {
		var (
			pt                 Partner
			contacts, api      string
			pc, pu             int64
			latest, done       sql.NullInt64
			soID, soUser       sql.NullString
			soEmail, soDec     sql.NullString
			soNote, soEvidence sql.NullString
			soRun, soAt        sql.NullInt64
		)
		if err := rows.Scan(&pt.ID, &pt.Name, &contacts, &pt.Status, &pc, &pu, &api, &latest, &done,
			&soID, &soRun, &soUser, &soEmail, &soDec, &soNote, &soEvidence, &soAt); err != nil {
			return nil, s.wrap("overview", err)
		}
		if n := len(out); n == 0 || out[n-1].Partner.ID != pt.ID {
			pt.CreatedAt, pt.UpdatedAt = fromTS(pc), fromTS(pu)
			if err := json.Unmarshal([]byte(contacts), &pt.Contacts); err != nil {
				return nil, fmt.Errorf("store: contacts of partner %s: %w", pt.ID, err)
			}
			po := PartnerOverview{Partner: pt, APIs: []APIStatus{}}
			if soID.Valid {
				po.LastSignOff = &SignOff{ID: soID.String, RunID: soRun.Int64, PartnerID: pt.ID, UserID: soUser.String,
					UserEmail: soEmail.String, Decision: Decision(soDec.String), Note: soNote.String,
					EvidenceSHA256: soEvidence.String, DecidedAt: fromTS(soAt.Int64)}
			}
			out = append(out, po)
		}
		if api != "" {
			pi := len(out) - 1
			out[pi].APIs = append(out[pi].APIs, APIStatus{API: api})
			ai := len(out[pi].APIs) - 1
			if latest.Valid {
				want = append(want, pending{partner: pi, api: ai, latest: true, id: latest.Int64})
			}
			if done.Valid {
				want = append(want, pending{partner: pi, api: ai, isDone: true, id: done.Int64})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("overview", err)
	}
	rows.Close()
	ids := make([]int64, 0, len(want))
	for _, w := range want {
		ids = append(ids, w.id)
	}
	briefs, err := s.runBriefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		b, ok := briefs[w.id]
		if !ok {
			continue
		}
		st, c := &out[w.partner].APIs[w.api], *b
		if w.latest {
			st.Latest = &c
		} else {
			st.LatestDone = &c
		}
	}
	open, err := s.OpenUATAPIs(ctx, p)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].OpenUAT = open[out[i].Partner.ID]
	}
	return out, nil
}

// runBriefs reads runs by primary key, 500 ids a statement.
func (s *Store) runBriefs(ctx context.Context, ids []int64) (map[int64]*RunBrief, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[int64]*RunBrief, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(500, len(ids))]
		ids = ids[len(chunk):]
		var q strings.Builder
		args := make([]any, len(chunk))
		q.WriteString(`SELECT id, state, verdict, created_at, finished_at FROM runs WHERE id IN (`)
		for i, id := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(i+1))
			args[i] = id
		}
		q.WriteString(")")
		rows, err := s.db.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, s.wrap("overview runs", err)
		}
		for rows.Next() {
			var b briefCols
			if err := rows.Scan(&b.id, &b.state, &b.verdict, &b.created, &b.finished); err != nil {
				rows.Close()
				return nil, s.wrap("overview runs", err)
			}
			out[b.id.Int64] = b.brief()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, s.wrap("overview runs", err)
		}
	}
	return out, nil
}

type briefCols struct {
	id, created, finished sql.NullInt64
	state, verdict        sql.NullString
}

func (b briefCols) brief() *RunBrief {
	if !b.id.Valid {
		return nil
	}
	return &RunBrief{ID: b.id.Int64, State: RunState(b.state.String), Verdict: results.VerdictStatus(b.verdict.String),
		CreatedAt: fromTS(b.created.Int64), FinishedAt: fromNullTS(b.finished)}
}

// ItemProgress is one checklist item of a partner's API across its runs.
type ItemProgress struct {
	ItemID     string
	EverPassed bool
	// Latest is the item's status in the latest finished run ("" when the
	// item was not in it), with that run's severity and category.
	Latest   results.Status
	Severity results.Severity
	Category results.Category
	// NotRun: a checklist item no run or session reached yet (the hub
	// adds these; the store lists only what ran).
	NotRun bool
}

// Progress is a partner's checklist progress for one API.
type Progress struct {
	API          string
	LatestRunID  int64 // latest finished run covering the API; 0 if none
	Items        []ItemProgress
	Passed       int // items that ever passed
	FailingNow   int // items failed or errored in the latest finished run
	TotalEverRun int
	// NotRun is how many items of the API's checklist no run or session
	// has reached yet; the hub fills it in (the store knows no checklist),
	// listing them in Items too.
	NotRun int
	// LatestUATSessionID is the latest closed UAT session covering the API
	// ("" if none): its client checklist items count like a run's.
	LatestUATSessionID string
}

// ChecklistProgress answers "which items of API has this partner ever
// passed, and which fail now" from item_results (no document parsing).
func (s *Store) ChecklistProgress(ctx context.Context, p Principal, partnerID, api string) (Progress, error) {
	if err := p.canRead(partnerID); err != nil {
		return Progress{}, err
	}
	pr := Progress{API: api, Items: []ItemProgress{}}
	var latest sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(run_id) FROM run_apis WHERE partner_id = $1 AND api = $2
		AND state = 'done'`, partnerID, api).Scan(&latest); err != nil {
		return Progress{}, s.wrap("checklist progress", err)
	}
	pr.LatestRunID = latest.Int64
	// UAT sessions' client checklist items count like runs' items.
	var latestUAT sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT u.id FROM uat_sessions u WHERE u.partner_id = $1 AND u.state = 'closed'
		AND EXISTS (SELECT 1 FROM uat_item_results x WHERE x.session_id = u.id AND x.api = $2)
		ORDER BY u.ended_at DESC, u.id LIMIT 1`, partnerID, api).Scan(&latestUAT); err != nil && err != sql.ErrNoRows {
		return Progress{}, s.wrap("checklist progress", err)
	}
	pr.LatestUATSessionID = latestUAT.String
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, MAX(passed) FROM (
			SELECT item_id, CASE WHEN status = 'pass' THEN 1 ELSE 0 END AS passed
			FROM item_results WHERE partner_id = $1 AND api = $2
			UNION ALL
			SELECT item_id, CASE WHEN status = 'pass' THEN 1 ELSE 0 END AS passed
			FROM uat_item_results WHERE partner_id = $1 AND api = $2) x
		GROUP BY item_id ORDER BY item_id`, partnerID, api)
	if err != nil {
		return Progress{}, s.wrap("checklist progress", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var it ItemProgress
		var passed int
		if err := rows.Scan(&it.ItemID, &passed); err != nil {
			rows.Close()
			return Progress{}, s.wrap("checklist progress", err)
		}
		it.EverPassed = passed == 1
		index[it.ItemID] = len(pr.Items)
		pr.Items = append(pr.Items, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Progress{}, s.wrap("checklist progress", err)
	}
	latestOf := func(query string, arg any) error {
		rows, err := s.db.QueryContext(ctx, query, arg, api)
		if err != nil {
			return s.wrap("checklist progress", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var st results.Status
			var sev results.Severity
			var cat results.Category
			if err := rows.Scan(&id, &st, &sev, &cat); err != nil {
				return s.wrap("checklist progress", err)
			}
			if i, ok := index[id]; ok {
				pr.Items[i].Latest, pr.Items[i].Severity, pr.Items[i].Category = st, sev, cat
			}
		}
		return s.wrap("checklist progress", rows.Err())
	}
	if latest.Valid {
		if err := latestOf(`SELECT item_id, status, severity, category FROM item_results
			WHERE run_id = $1 AND api = $2`, latest.Int64); err != nil {
			return Progress{}, err
		}
	}
	if latestUAT.Valid {
		if err := latestOf(`SELECT item_id, status, severity, category FROM uat_item_results
			WHERE session_id = $1 AND api = $2`, latestUAT.String); err != nil {
			return Progress{}, err
		}
	}
	for _, it := range pr.Items {
		if it.EverPassed {
			pr.Passed++
		}
		if it.Latest == results.Fail || it.Latest == results.Error {
			pr.FailingNow++
		}
	}
	pr.TotalEverRun = len(pr.Items)
	return pr, nil
}
