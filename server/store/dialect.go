package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect isolates what differs between SQLite and PostgreSQL. Queries are
// otherwise shared: both accept $N placeholders (modernc's SQLite binds $N
// by ordinal), RETURNING, ON CONFLICT, and the store keeps times as integers.
type dialect struct {
	name   string // "sqlite" or "postgres"
	driver string // database/sql driver name
	goose  goose.Dialect
	// forUpdateSkipLocked is appended to the queue's claim sub-select. On
	// PostgreSQL it lets concurrent claimers skip rows another replica has
	// locked; SQLite has one writer at a time, so the claim's IMMEDIATE
	// transaction is already exclusive.
	forUpdateSkipLocked string
	// forUpdate locks a parent row for the rest of a transaction on
	// PostgreSQL; SQLite's IMMEDIATE transaction holds the database already.
	forUpdate string
	// forNoKeyUpdate locks a parent row against other writers of it but not
	// against foreign-key checks of child rows (which take KEY SHARE), so a
	// transaction that inserted a child row can still take it.
	forNoKeyUpdate string
	// forShare locks a row against writers only: readers that take it
	// do not wait for each other.
	forShare string
}

func sqliteDialect() dialect {
	return dialect{name: "sqlite", driver: "sqlite", goose: goose.DialectSQLite3}
}

func postgresDialect() dialect {
	return dialect{name: "postgres", driver: "pgx", goose: goose.DialectPostgres,
		forUpdateSkipLocked: " FOR UPDATE SKIP LOCKED", forUpdate: " FOR UPDATE", forNoKeyUpdate: " FOR NO KEY UPDATE",
		forShare: " FOR SHARE"}
}

// parseURL picks the dialect and the driver's connection string.
func parseURL(url string) (dialect, string, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgresDialect(), url, nil
	case url == "":
		return sqliteDialect(), "golive.db", nil
	case strings.HasPrefix(url, "sqlite://"):
		url = strings.TrimPrefix(url, "sqlite://")
	case strings.HasPrefix(url, "sqlite:"):
		url = strings.TrimPrefix(url, "sqlite:")
	case strings.Contains(url, "://"):
		return dialect{}, "", fmt.Errorf("store: database URL scheme not supported (want sqlite: or postgres://): %w", ErrInvalid)
	}
	if url == "" || strings.ContainsAny(url, "?#") {
		return dialect{}, "", fmt.Errorf("store: SQLite path must be a plain file path: %w", ErrInvalid)
	}
	return sqliteDialect(), url, nil
}

func (d dialect) open(dsn string) (*sql.DB, error) {
	if d.name == "sqlite" {
		// Applied by the driver to every new connection:
		//  - WAL: readers never wait for the writer (the UI stays responsive
		//    while a run is written);
		//  - busy_timeout: a second writer waits instead of failing;
		//  - foreign_keys: SQLite leaves them off by default;
		//  - _txlock=immediate: a transaction takes the write lock at BEGIN,
		//    so two writers queue on busy_timeout instead of one failing with
		//    SQLITE_BUSY when it upgrades a read lock mid-transaction.
		dsn += "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	}
	db, err := sql.Open(d.driver, dsn)
	if err != nil {
		return nil, err
	}
	if d.name == "postgres" {
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(8)
	}
	return db, nil
}

// driverDetail keeps a driver's error in the chain (errors.As finds it)
// without its words in the message: a constraint's name or SQLite's
// extended code means nothing to the person who typed a taken name, and
// callers word the conflict themselves.
type driverDetail struct{ err error }

func (driverDetail) Error() string   { return "" }
func (d driverDetail) Unwrap() error { return d.err }

// classified is kind (ErrConflict, ErrNotFound, ErrInvalid) with the
// driver's error behind it.
func classified(kind, err error) error { return fmt.Errorf("%w%w", kind, driverDetail{err}) }

// classify maps driver errors onto the store's typed errors; the driver's
// error stays in the chain, out of the message.
func (d dialect) classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w (%w)", ErrNotFound, err)
	}
	if unavailable(err) {
		return fmt.Errorf("%w (%w)", ErrUnavailable, err)
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505": // unique_violation
			return classified(ErrConflict, err)
		case "23503": // foreign_key_violation: the referenced row is missing
			return classified(ErrNotFound, err)
		case "23514", "23502", "22P02": // check, not null, bad text representation
			return classified(ErrInvalid, err)
		}
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return classified(ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return classified(ErrNotFound, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return classified(ErrInvalid, err)
		}
	}
	return err
}

// unavailable tells a database that cannot be reached from one that
// refused a statement: a connection that fails or breaks, or PostgreSQL
// shutting down or not accepting connections yet.
func unavailable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	var connect *pgconn.ConnectError
	var op *net.OpError
	return errors.As(err, &connect) || errors.As(err, &op) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) && !errors.Is(err, context.Canceled)
}

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migrate applies pending migrations. On PostgreSQL a session advisory lock
// serialises replicas that start at the same moment.
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	dir, err := fs.Sub(migrationFiles, "migrations/"+d.name)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if d.name == "postgres" {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d.goose, db, dir, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", d.name, err)
	}
	return nil
}

// SchemaVersion is the highest migration applied (for /healthz and tests).
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	dir, err := fs.Sub(migrationFiles, "migrations/"+s.dialect.name)
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(s.dialect.goose, s.db, dir, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("store: migrations: %w", err)
	}
	v, err := p.GetDBVersion(ctx)
	return v, s.wrap("schema version", err)
}
