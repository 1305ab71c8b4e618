package store

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// OpenAtVersion opens the database at url with the migrations applied up
// to version only, as a hub of that version left it: the specs of a later
// migration write rows there, then let Open migrate them.
func OpenAtVersion(ctx context.Context, url string, version int64) (*sql.DB, error) {
	d, dsn, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	db, err := d.open(dsn)
	if err != nil {
		return nil, err
	}
	dir, err := fs.Sub(migrationFiles, "migrations/"+d.name)
	if err == nil {
		var p *goose.Provider
		if p, err = goose.NewProvider(d.goose, db, dir, goose.WithDisableGlobalRegistry(true)); err == nil {
			_, err = p.UpTo(ctx, version)
		}
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
