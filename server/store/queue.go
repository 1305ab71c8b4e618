package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/golive-cert/golive/exitcode"
)

// Job is a claimed run: the run and the payload it was queued with.
type Job struct {
	Run     Run
	Payload json.RawMessage
	Attempt int
}

// ClaimRun takes the oldest queued run for worker and marks it running, in
// one transaction. ok is false when the queue is empty.
//
// On PostgreSQL the candidate row is selected FOR UPDATE SKIP LOCKED: two
// replicas claiming at once lock different rows instead of waiting on, or
// both taking, the same one. On SQLite the transaction is IMMEDIATE (one
// writer at a time), which gives the same guarantee in one process.
func (s *Store) ClaimRun(ctx context.Context, p Principal, worker string) (job Job, ok bool, err error) {
	if err := p.staffOnly(); err != nil {
		return Job{}, false, err
	}
	now := ts(s.now())
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var runID int64
		var payload []byte
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET state = 'claimed', worker = $1, claimed_at = $2,
				attempts = attempts + 1
			WHERE run_id = (SELECT run_id FROM jobs WHERE state = 'queued' ORDER BY run_id LIMIT 1`+
			s.dialect.forUpdateSkipLocked+`)
			RETURNING run_id, payload, attempts`, worker, now).Scan(&runID, &payload, &job.Attempt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return s.wrap("claim run", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = 'running', started_at = $1 WHERE id = $2`, now, runID); err != nil {
			return s.wrap("claim run", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE run_apis SET state = 'running' WHERE run_id = $1`, runID); err != nil {
			return s.wrap("claim run", err)
		}
		job.Run, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runCols+` FROM runs WHERE id = $1`, runID))
		if err != nil {
			return s.wrap("claim run", err)
		}
		job.Payload, ok = payload, true
		return nil
	})
	if err != nil || !ok {
		return Job{}, false, err
	}
	return job, true, nil
}

// FailRun ends a queued or running run that the hub could not carry out
// (bad environment, credentials that do not decrypt, a full disk). reason is
// shown to users: it must hold no secret. exitCode is what the CLI would
// have exited with (exitcode.InvalidInput for the partner's input,
// exitcode.Internal for the hub's own fault); it must not be 0, which says
// certified.
func (s *Store) FailRun(ctx context.Context, p Principal, runID int64, exitCode exitcode.Code, reason string) error {
	if exitCode <= 0 || exitCode > 255 {
		return fmt.Errorf("store: a failed run's exit code must be 1 to 255: %w", ErrInvalid)
	}
	r, err := s.GetRun(ctx, p, runID)
	if err != nil {
		return err
	}
	if err := p.canManage(r.PartnerID); err != nil {
		return err
	}
	return s.endRuns(ctx, `id = $3 AND state IN ('queued', 'running')`, RunFailed, exitCode, reason, runID)
}

// InterruptRunning marks running runs interrupted; the server calls it at
// start-up, before its workers claim anything, so that a run cut off by a
// restart never looks passed (or forever running). With worker set, only
// that worker's runs are touched (replicas sharing PostgreSQL each recover
// their own, under a stable worker name such as the host name); with worker
// "", every running run is (a single server). Queued runs stay queued.
func (s *Store) InterruptRunning(ctx context.Context, p Principal, worker string) (int64, error) {
	if err := p.staffOnly(); err != nil {
		return 0, err
	}
	if worker == "" {
		return s.endRunsCount(ctx, `state = 'running'`, RunInterrupted, exitcode.Interrupted, "interrupted by a server restart")
	}
	return s.endRunsCount(ctx, `state = 'running' AND id IN (SELECT run_id FROM jobs WHERE worker = $3)`,
		RunInterrupted, exitcode.Interrupted, "interrupted by a server restart", worker)
}

func (s *Store) endRuns(ctx context.Context, where string, state RunState, code exitcode.Code, reason string, args ...any) error {
	n, err := s.endRunsCount(ctx, where, state, code, reason, args...)
	if err == nil && n == 0 {
		return fmt.Errorf("store: run is not queued or running: %w", ErrConflict)
	}
	return err
}

// endRunsCount moves the runs matching where ($1 and $2 are taken by state
// and time; extra args start at $3) to a final state without results, with
// the exit code the CLI would have given, with their run_apis rows and
// jobs, in one transaction.
func (s *Store) endRunsCount(ctx context.Context, where string, state RunState, code exitcode.Code, reason string, args ...any) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		all := append([]any{string(state), ts(s.now())}, args...)
		ids, err := s.queryIDs(ctx, tx, "end runs", fmt.Sprintf(`UPDATE runs SET state = $1, finished_at = $2, failure = $%d,
			exit_code = $%d WHERE `, len(all)+1, len(all)+2)+where+` RETURNING id`, append(all, reason, int(code))...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE run_apis SET state = $1 WHERE run_id = $2`, string(state), id); err != nil {
				return s.wrap("end runs", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = 'finished' WHERE run_id = $1`, id); err != nil {
				return s.wrap("end runs", err)
			}
		}
		n = int64(len(ids))
		return nil
	})
	return n, err
}

// QueueDepth counts queued runs (for the scheduler's back-pressure and the
// status page).
func (s *Store) QueueDepth(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = 'queued'`).Scan(&n)
	return n, s.wrap("queue depth", err)
}
