// Package store is the hub's persistence: partners, users, runs, sessions,
// sign-offs, schedules, the run queue and the audit log, on SQLite (the
// embedded default, pure Go) or PostgreSQL (a team's shared deployment).
//
// One implementation over database/sql serves both; the few places where the
// databases differ (driver, migrations, row locking, constraint error codes)
// live in dialect.go. Every partner-scoped method takes the acting Principal
// and refuses what that principal may not see (ErrNotFound) or do
// (ErrForbidden): isolation is enforced here, not left to each handler.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect dialect
	keys    *Keyring
	now     func() time.Time
}

// Option configures Open.
type Option func(*Store)

// WithKeyring sets the keys that encrypt partner credentials and webhook
// secrets. Without one, storing or reading a secret fails with ErrNoKey.
func WithKeyring(k *Keyring) Option { return func(s *Store) { s.keys = k } }

// WithClock replaces time.Now (tests of expiry).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database named by url and applies pending migrations.
//
//	""                      SQLite file golive.db in the working directory
//	"sqlite:PATH", PATH     SQLite file PATH
//	"postgres://..."        PostgreSQL (also "postgresql://...")
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	d, dsn, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	db, err := d.open(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect %s: %w", d.name, err)
	}
	s := &Store{db: db, dialect: d, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Dialect names the backend: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

// DB exposes the handle for tests and operational tooling (backups, checks);
// the hub's code goes through Store's methods.
func (s *Store) DB() *sql.DB { return s.db }

// tx runs fn in a transaction, committing when it returns nil. On SQLite
// every transaction starts IMMEDIATE (see dialect.go), so two writers wait on
// the busy timeout instead of failing on a lock upgrade.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", s.dialect.classify(err))
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", s.dialect.classify(err))
	}
	return nil
}

// wrap classifies a database error (unique violation -> ErrConflict, no rows
// -> ErrNotFound) and names the operation, never the values involved.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", op, s.dialect.classify(err))
}

// queryIDs runs a query whose rows are one int64 each (ids, usually) and
// reads them all before the caller goes on in the same transaction: a
// SQLite transaction is one connection, which an open result set holds.
func (s *Store) queryIDs(ctx context.Context, q querier, op, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.wrap(op, err)
		}
		ids = append(ids, id)
	}
	return ids, s.wrap(op, rows.Err())
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// newID returns a random 128-bit identifier in hex. Identifiers are random
// rather than sequential so that they reveal nothing about other partners.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics
		// inside Read itself); keep the compiler and readers honest.
		panic(fmt.Sprintf("store: crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// Times are stored as Unix microseconds (BIGINT) in both databases: one
// representation, exact round trips at PostgreSQL's own precision, and
// comparisons that need no dialect-specific date functions.
func ts(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromTS(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullTS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ts(t), Valid: true}
}

func fromNullTS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromTS(n.Int64)
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// notFound turns sql.ErrNoRows into ErrNotFound for a named thing.
func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return err
}
