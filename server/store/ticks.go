package store

import (
	"context"
	"fmt"
	"time"
)

// ClaimTick claims one tick of a periodic job (a schedule's fire, the
// hourly housekeeping) for the calling replica: true when this call moved
// the job's last tick forward to at, false when this tick or a later one
// was already claimed. Replicas sharing the database each fire every
// schedule; only the one whose claim succeeds carries the tick out.
//
// The claim is one conditional upsert (hub_ticks), atomic on both
// databases: PostgreSQL serialises concurrent upserts of one row and
// re-checks the condition against the committed row; SQLite has one writer.
func (s *Store) ClaimTick(ctx context.Context, p Principal, name string, at time.Time) (bool, error) {
	if err := p.staffOnly(); err != nil {
		return false, err
	}
	return s.claimTick(ctx, s.db, name, at)
}

func (s *Store) claimTick(ctx context.Context, q querier, name string, at time.Time) (bool, error) {
	if name == "" || len(name) > 200 {
		return false, fmt.Errorf("store: tick name: %w", ErrInvalid)
	}
	res, err := q.ExecContext(ctx, `INSERT INTO hub_ticks (name, last_at) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET last_at = excluded.last_at WHERE hub_ticks.last_at < excluded.last_at`,
		name, ts(at))
	if err != nil {
		return false, s.wrap("claim tick", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrap("claim tick", err)
	}
	return n == 1, nil
}

// ScheduleTick names a schedule's fires in ClaimTick.
func ScheduleTick(scheduleID string) string { return "schedule/" + scheduleID }
