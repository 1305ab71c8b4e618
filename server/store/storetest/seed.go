// Package storetest seeds a hub database directly, around the store's
// methods, for benchmarks that need a history of 100,000 runs faster than
// the store writes it one run at a time.
package storetest

import (
	"context"
	"fmt"
	"strings"

	"github.com/golive-cert/golive/server/store"
)

// Insert writes rows (values in the order of cols) into table with
// multi-row INSERTs, in one transaction.
func Insert(ctx context.Context, st *store.Store, table, cols string, rows [][]any) error {
	ncol := len(strings.Split(cols, ","))
	per := 4000 / ncol // well under both databases' bound-parameter limits
	// SQLite looks numbered parameters ($N, ?N) up in a list while parsing,
	// quadratic in a statement's parameters; plain ? is not.
	plain := st.Dialect() == "sqlite"
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	defer tx.Rollback()
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
		args := make([]any, 0, len(chunk)*ncol)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(")
			for j := range ncol {
				if j > 0 {
					q.WriteString(",")
				}
				if plain {
					q.WriteString("?")
				} else {
					fmt.Fprintf(&q, "$%d", i*ncol+j+1)
				}
			}
			q.WriteString(")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("seed %s: %w", table, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed %s: %w", table, err)
	}
	return nil
}

// Finish brings up to date what Insert went around: partner_apis' latest
// run columns (what migration 00004 does once, and the run transactions
// keep), the runs' id sequence on PostgreSQL (rows came with explicit ids),
// and fresh statistics, with on PostgreSQL a visibility map, so that plans
// and index-only scans are what they are on a database autovacuum kept up
// with.
func Finish(ctx context.Context, st *store.Store) error {
	db := st.DB()
	if _, err := db.ExecContext(ctx, `UPDATE partner_apis SET
	latest_run_id = (SELECT MAX(x.run_id) FROM run_apis x
		WHERE x.partner_id = partner_apis.partner_id AND x.api = partner_apis.api),
	done_run_id = (SELECT MAX(x.run_id) FROM run_apis x
		WHERE x.partner_id = partner_apis.partner_id AND x.api = partner_apis.api AND x.state = 'done')`); err != nil {
		return fmt.Errorf("seed: latest runs: %w", err)
	}
	maint := `ANALYZE`
	if st.Dialect() == "postgres" {
		if _, err := db.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT MAX(id) FROM runs))`); err != nil {
			return fmt.Errorf("seed: runs sequence: %w", err)
		}
		maint = `VACUUM ANALYZE`
	}
	if _, err := db.ExecContext(ctx, maint); err != nil {
		return fmt.Errorf("seed: %s: %w", maint, err)
	}
	return nil
}
