package store

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// A hub on its embedded default, a SQLite file, needs no set-up: without
// EnvSecretKey it seals secrets with a key kept in a file next to the
// database, made together with the database. A shared deployment
// (PostgreSQL) sets EnvSecretKey: the key then lives apart from the data.

// SQLiteFile is the database file a URL names, and false for a database
// that is not SQLite (or a URL Open refuses).
func SQLiteFile(url string) (string, bool) {
	d, path, err := parseURL(url)
	if err != nil || d.name != "sqlite" {
		return "", false
	}
	return path, true
}

// CheckURL says whether Open would take url as a database address, without
// touching it: nil for a PostgreSQL URL or a SQLite path, an error
// wrapping ErrInvalid (an unsupported scheme, a SQLite path with a query)
// otherwise.
func CheckURL(url string) error {
	_, _, err := parseURL(url)
	return err
}

// KeyFile is where a SQLite database's key is kept without EnvSecretKey.
func KeyFile(dbPath string) string { return dbPath + ".key" }

// KeyringFromFile reads a key file (the key in base64 on one line). An
// error wrapping fs.ErrNotExist says there is none; a file that is not a
// key is ErrInvalid, without echoing it.
func KeyringFromFile(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	key, err := decodeKey(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("store: key file %s: %w", path, err)
	}
	return NewKeyring(key)
}

// CreateKeyFile writes a new random key to path, readable by its owner
// only, and returns its keyring; it never replaces a file that exists.
func CreateKeyFile(path string) (*Keyring, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (Go 1.24+ panics inside Read instead)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("store: key file %s exists already: %w", path, ErrConflict)
		}
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("store: key file: %w", err)
	}
	return NewKeyring(key)
}
