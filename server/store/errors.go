package store

import (
	"errors"
	"fmt"
)

// Errors callers tell apart with errors.Is. Every error the store returns
// wraps at most one of these; the message names the operation, never a
// secret or a value a user typed.
var (
	// ErrNotFound: no such row, or a row the principal may not see (a
	// partner's user never learns whether another partner's row exists).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key is taken (partner name, user email), or the
	// row is not in a state that allows the change (completing a run that is
	// no longer running).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the principal may see the row but not do this to it (a
	// partner's user recording a sign-off on its own run).
	ErrForbidden = errors.New("forbidden")
	// ErrNotCertified: a sign-off was asked for on a run whose verdict is not
	// CERTIFIED or CERTIFIED WITH OBSERVATIONS.
	ErrNotCertified = errors.New("run is not certified")
	// ErrInvalid: the input is malformed (bad role, unknown environment,
	// results.json that is not golive.results/v1).
	ErrInvalid = errors.New("invalid input")
	// ErrUnauthenticated: a password, token, session or link code does not
	// match, has expired or was already used.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrNoKey: a secret must be encrypted or decrypted but no keyring is
	// configured (GOLIVE_SECRET_KEY unset).
	ErrNoKey = errors.New("no secret key configured")
	// ErrDecrypt: a stored secret cannot be decrypted with the configured
	// keys: it was written under a key that is no longer configured, or the
	// key is wrong, or the value was tampered with.
	ErrDecrypt = errors.New("secret cannot be decrypted with the configured keys")
	// ErrUnavailable: the database cannot be reached (connection refused,
	// cut, or the server shutting down). Nothing was changed that the caller
	// can see; trying again once it is back is safe.
	ErrUnavailable = errors.New("the database is unavailable")
)

// ErrTickTaken: another replica claimed this tick of a periodic job first
// (EnqueueRun with a Tick). It is an ErrConflict.
var ErrTickTaken = fmt.Errorf("tick already claimed by another replica: %w", ErrConflict)
