package telegram

import (
	"errors"
	"fmt"
)

// ErrNotLinked is Links.Lookup's answer for a chat bound to nobody (never
// linked, or revoked).
var ErrNotLinked = errors.New("chat not linked")

// ErrNotFound is the answer for a partner, transaction or run that does not
// exist for the asking partner. The hub returns it (wrapped or not) for
// another partner's reference too, so the two cannot be told apart.
var ErrNotFound = errors.New("not found")

// LinkReason is why a link code was refused.
type LinkReason string

const (
	LinkUnknown LinkReason = "unknown" // no such code
	LinkUsed    LinkReason = "used"    // already redeemed (codes work once)
	LinkExpired LinkReason = "expired"
)

// LinkError is Links.Redeem's answer for a code that cannot be redeemed.
type LinkError struct {
	Reason LinkReason
}

func (e *LinkError) Error() string { return "link code " + string(e.Reason) }

// ConfigError is a bad Config field, found by New before anything starts.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("telegram config: %s: %s", e.Field, e.Msg) }

// SendError is a message the Bot API did not take after all retries (or
// refused outright, e.g. 400 or 403: the user blocked the bot).
type SendError struct {
	Method   string
	Chat     ChatID
	Attempts int
	Err      error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("telegram %s to chat %d failed after %d attempt(s): %v", e.Method, e.Chat, e.Attempts, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// StateReason is why a transaction cannot be acted on as asked.
type StateReason string

const (
	StateFinal      StateReason = "final"       // /outcome on a transaction already SUCCESS or FAILED
	StateProcessing StateReason = "processing"  // /callback on one still PROCESSING: no callback yet
	StateNoCallback StateReason = "no_callback" // /callback on one created without a callbackUrl
)

// StateError is the Sandbox's answer for a transaction of the partner's
// that is not in a state the command acts on.
type StateError struct {
	Ref    string
	Status string // the transaction's status now
	Reason StateReason
}

func (e *StateError) Error() string {
	return fmt.Sprintf("transaction %s is %s (%s)", e.Ref, e.Status, e.Reason)
}

// InputError is a request the hub refuses as it stands, with a message for
// the partner that says what to change. It never holds a secret.
type InputError struct {
	Msg string
}

func (e *InputError) Error() string { return e.Msg }
