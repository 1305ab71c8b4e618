package cli

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/golive-cert/golive/server/store"
)

// The hub's set-up: its secret key and its first admin. On the embedded
// default, a SQLite file, a first start needs nothing: the key is made in a
// file next to the new database and the first admin's password in another,
// both readable by their owner only. A shared deployment (PostgreSQL) sets
// GOLIVE_SECRET_KEY and the first admin in the environment.

// firstAdminEmail is the admin a set-up-free first start creates.
const firstAdminEmail = "admin@golive.local"

// openStore opens the database with its keyring. create allows a new SQLite
// database to get a new key file (golive server); an operator's command on
// an existing hub (golive partner link) never makes one.
func openStore(gs *GlobalState, url string, create bool) (*store.Store, error) {
	kr, err := keyring(gs, url, create)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(gs.Ctx, url, store.WithKeyring(kr))
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return nil, invalidf("--db: %v", err)
		}
		return nil, internal(err)
	}
	return st, nil
}

// keyring is GOLIVE_SECRET_KEY's, or a SQLite database's key file's. A
// key file is made only with a new database: an existing database without
// one was sealed with a key from the environment, which must be given.
func keyring(gs *GlobalState, url string, create bool) (*store.Keyring, error) {
	kr, err := store.KeyringFromEnv(func(k string) string { v, _ := gs.LookupEnv(k); return v })
	switch {
	case err != nil:
		return nil, invalid(err)
	case kr != nil:
		return kr, nil
	}
	missing := func() error {
		return invalidf("%s is not set: the hub seals partner credentials with it. Create one and keep it safe "+
			"(losing it loses the stored credentials), e.g. export %s=%s", store.EnvSecretKey, store.EnvSecretKey, newKey())
	}
	dbPath, sqlite := store.SQLiteFile(url)
	if !sqlite {
		return nil, missing()
	}
	keyPath := store.KeyFile(dbPath)
	kr, err = store.KeyringFromFile(keyPath)
	switch {
	case err == nil:
		return kr, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, invalid(err)
	case !create || exists(dbPath):
		return nil, missing()
	}
	if kr, err = store.CreateKeyFile(keyPath); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, invalidf("--db %s: the key file %s cannot be made there: %v", url, keyPath, fs.ErrPermission)
		}
		return nil, internal(err)
	}
	fmt.Fprintf(gs.Stderr, "No %s set: secrets in %s are sealed with the key in %s (made now, readable by you only). "+
		"Keep it with the database; a shared hub sets %s instead.\n", store.EnvSecretKey, dbPath, keyPath, store.EnvSecretKey)
	return kr, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func newKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// bootstrapAdmin creates the first admin: from the environment, or on a
// SQLite hub with no users, admin@golive.local with a random password
// written to a file next to the database (never printed: terminals end up
// in logs). A PostgreSQL hub with no users and no admin in the environment
// refuses to start: nobody could sign in, and there is no default password.
func bootstrapAdmin(gs *GlobalState, st *store.Store, url string) error {
	email, _ := gs.LookupEnv(envAdminEmail)
	password, _ := gs.LookupEnv(envAdminPassword)
	fromEnv := email != "" && password != ""
	if !fromEnv {
		n, err := st.ListUsers(gs.Ctx, store.System(), "")
		if err != nil {
			return internal(err)
		}
		if len(n) > 0 {
			return nil
		}
		dbPath, sqlite := store.SQLiteFile(url)
		if !sqlite {
			return invalidf("the hub has no users yet: set %s and %s (12 or more characters) to create the first admin",
				envAdminEmail, envAdminPassword)
		}
		return firstAdmin(gs, st, dbPath+".first-admin")
	}
	u, created, err := st.BootstrapAdmin(gs.Ctx, email, password)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return invalidf("%s/%s: %v", envAdminEmail, envAdminPassword, err)
		}
		return internal(err)
	}
	if created {
		fmt.Fprintf(gs.Stdout, "Created the first admin, %s\n", u.Email)
	}
	return nil
}

// firstAdmin creates admin@golive.local with a random password kept in
// path, readable by its owner only.
func firstAdmin(gs *GlobalState, st *store.Store, path string) error {
	password := rand.Text() // 26 characters of base32: 130 bits
	if err := writeSecretFile(path, fmt.Sprintf("email: %s\npassword: %s\n", firstAdminEmail, password)); err != nil {
		return internal(fmt.Errorf("first admin's password file: %w", err))
	}
	u, created, err := st.BootstrapAdmin(gs.Ctx, firstAdminEmail, password)
	if err != nil {
		_ = os.Remove(path)
		return internal(err)
	}
	if created {
		fmt.Fprintf(gs.Stdout, "Created the first admin, %s: its password is in %s (readable by you only). "+
			"Sign in with it, keep the password somewhere safe, then delete the file.\n", u.Email, path)
	}
	return nil
}
