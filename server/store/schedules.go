package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Schedule is a partner's recurring production-safe run after go-live. The
// store keeps the cron expression; the scheduler parses it (and must reject
// a bad one before calling CreateSchedule).
type Schedule struct {
	ID          string
	PartnerID   string
	Cron        string
	API         string
	Environment string
	AllowWrites bool
	Enabled     bool
	LastRunID   int64 // 0: never ran
	LastRunAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ScheduleInput creates or updates a schedule.
type ScheduleInput struct {
	Cron        string
	API         string
	Environment string
	AllowWrites bool
	Enabled     bool
}

func (in ScheduleInput) check() error {
	if !cronShaped(in.Cron) {
		return fmt.Errorf("store: cron expression must have 5 or 6 fields, or be a descriptor such as @daily or @every 1h: %w", ErrInvalid)
	}
	if !validName(in.API) {
		return fmt.Errorf("store: API name %q: %w", in.API, ErrInvalid)
	}
	if in.Environment != Staging && in.Environment != Production {
		return fmt.Errorf("store: environment must be staging or production: %w", ErrInvalid)
	}
	return nil
}

// cronShaped is the shape of a cron expression the scheduler may take:
// five or six fields, or a descriptor (@daily; @every DURATION). The
// scheduler parses it.
func cronShaped(expr string) bool {
	f := strings.Fields(expr)
	if len(expr) > 200 || len(f) == 0 {
		return false
	}
	if strings.HasPrefix(f[0], "@") {
		return (len(f) == 2) == (f[0] == "@every") && len(f) <= 2
	}
	return len(f) == 5 || len(f) == 6
}

const scheduleCols = `id, partner_id, cron, api, environment, allow_writes, enabled, COALESCE(last_run_id, 0),
	last_run_at, created_at, updated_at`

func scanSchedule(row interface{ Scan(...any) error }) (Schedule, error) {
	var sc Schedule
	var last sql.NullInt64
	var created, updated int64
	err := row.Scan(&sc.ID, &sc.PartnerID, &sc.Cron, &sc.API, &sc.Environment, &sc.AllowWrites, &sc.Enabled,
		&sc.LastRunID, &last, &created, &updated)
	sc.LastRunAt, sc.CreatedAt, sc.UpdatedAt = fromNullTS(last), fromTS(created), fromTS(updated)
	return sc, err
}

// CreateSchedule adds a schedule (staff only).
func (s *Store) CreateSchedule(ctx context.Context, p Principal, partnerID string, in ScheduleInput) (Schedule, error) {
	if err := p.canManage(partnerID); err != nil {
		return Schedule{}, err
	}
	if err := in.check(); err != nil {
		return Schedule{}, err
	}
	now := fromTS(ts(s.now()))
	sc := Schedule{ID: newID(), PartnerID: partnerID, Cron: strings.TrimSpace(in.Cron), API: in.API,
		Environment: in.Environment, AllowWrites: in.AllowWrites, Enabled: in.Enabled, CreatedAt: now, UpdatedAt: now}
	_, err := s.db.ExecContext(ctx, `INSERT INTO schedules (id, partner_id, cron, api, environment, allow_writes, enabled,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		sc.ID, partnerID, sc.Cron, sc.API, sc.Environment, sc.AllowWrites, sc.Enabled, ts(now))
	if err != nil {
		return Schedule{}, s.wrap("create schedule", err)
	}
	return sc, nil
}

// GetSchedule returns a schedule the principal may see.
func (s *Store) GetSchedule(ctx context.Context, p Principal, id string) (Schedule, error) {
	sc, err := scanSchedule(s.db.QueryRowContext(ctx, `SELECT `+scheduleCols+` FROM schedules WHERE id = $1`, id))
	if err != nil {
		return Schedule{}, notFound("schedule", s.wrap("get schedule", err))
	}
	if p.canRead(sc.PartnerID) != nil {
		return Schedule{}, fmt.Errorf("store: schedule: %w", ErrNotFound)
	}
	return sc, nil
}

// UpdateSchedule replaces a schedule's settings (staff only).
func (s *Store) UpdateSchedule(ctx context.Context, p Principal, id string, in ScheduleInput) (Schedule, error) {
	sc, err := s.GetSchedule(ctx, p, id)
	if err != nil {
		return Schedule{}, err
	}
	if err := p.canManage(sc.PartnerID); err != nil {
		return Schedule{}, err
	}
	if err := in.check(); err != nil {
		return Schedule{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE schedules SET cron = $1, api = $2, environment = $3, allow_writes = $4,
		enabled = $5, updated_at = $6 WHERE id = $7`, strings.TrimSpace(in.Cron), in.API, in.Environment, in.AllowWrites,
		in.Enabled, ts(s.now()), id)
	if err := affectedOne(res, err, "schedule", s); err != nil {
		return Schedule{}, err
	}
	return s.GetSchedule(ctx, p, id)
}

// DeleteSchedule removes a schedule (staff only).
func (s *Store) DeleteSchedule(ctx context.Context, p Principal, id string) error {
	sc, err := s.GetSchedule(ctx, p, id)
	if err != nil {
		return err
	}
	if err := p.canManage(sc.PartnerID); err != nil {
		return err
	}
	// Its claim row (ClaimTick) goes too, so deleted schedules leave
	// nothing behind in hub_ticks.
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM schedules WHERE id = $1`, id)
		if err := affectedOne(res, err, "schedule", s); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM hub_ticks WHERE name = $1`, ScheduleTick(id))
		return s.wrap("delete schedule tick", err)
	})
}

// ListSchedules lists one partner's schedules, or with partnerID "" every
// schedule (staff only: the scheduler loads them at start).
func (s *Store) ListSchedules(ctx context.Context, p Principal, partnerID string) ([]Schedule, error) {
	q, args := `SELECT `+scheduleCols+` FROM schedules WHERE partner_id = $1 ORDER BY created_at, id`, []any{partnerID}
	if partnerID == "" {
		if err := p.staffOnly(); err != nil {
			return nil, err
		}
		q, args = `SELECT `+scheduleCols+` FROM schedules ORDER BY partner_id, created_at, id`, nil
	} else if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list schedules", err)
	}
	defer rows.Close()
	out := []Schedule{}
	for rows.Next() {
		sc, err := scanSchedule(rows)
		if err != nil {
			return nil, s.wrap("list schedules", err)
		}
		out = append(out, sc)
	}
	return out, s.wrap("list schedules", rows.Err())
}

// MarkScheduleRun records the run a schedule last started (scheduler only).
func (s *Store) MarkScheduleRun(ctx context.Context, p Principal, id string, runID int64) error {
	sc, err := s.GetSchedule(ctx, p, id)
	if err != nil {
		return err
	}
	if err := p.canManage(sc.PartnerID); err != nil {
		return err
	}
	var runPartner string
	if err := s.db.QueryRowContext(ctx, `SELECT partner_id FROM runs WHERE id = $1`, runID).Scan(&runPartner); err != nil {
		return notFound("run", s.wrap("mark schedule run", err))
	}
	if runPartner != sc.PartnerID {
		return fmt.Errorf("store: run belongs to another partner than the schedule: %w", ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE schedules SET last_run_id = $1, last_run_at = $2 WHERE id = $3`,
		runID, ts(s.now()), id)
	return affectedOne(res, err, "schedule", s)
}
