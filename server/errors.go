package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

// InputError is a request the hub refuses as it stands: the status (a 4xx)
// and a message that says what to change. It never echoes a secret.
type InputError struct {
	Status int
	Msg    string
}

func (e *InputError) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &InputError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

func notFoundf(format string, args ...any) error {
	return &InputError{Status: http.StatusNotFound, Msg: fmt.Sprintf(format, args...)}
}

// errUnauthenticated is a request without valid credentials. Pages take a
// browser session; the API takes only a token (apiUnauthenticated).
var errUnauthenticated = &InputError{Status: http.StatusUnauthorized,
	Msg: "sign in first: your session has ended or you are not signed in (/login)"}

// apiUnauthenticated is every 401 under /api/v1: the API takes API tokens
// only, never a browser session.
const apiUnauthenticated = "an API token is required: send 'Authorization: Bearer glv_...' " +
	"(a token unknown, expired or revoked, or of a disabled user, is refused); create one on the Account page"

// taken words a unique key the store found taken (store.ErrConflict) as
// the thing the person named; any other error is returned as it is.
func taken(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrConflict) {
		return &InputError{Status: http.StatusConflict, Msg: fmt.Sprintf(format, args...)}
	}
	return err
}

// statusOf maps an error to its HTTP status and the message users see.
// Only typed errors become 4xx; anything else is the hub's own fault, a
// 500 whose detail stays in the log.
func statusOf(err error) (int, string) {
	var in *InputError
	var bad *certify.InvalidError
	var format *results.FormatError
	var fail *RunFailure
	switch {
	case errors.As(err, &in):
		return in.Status, in.Msg
	case errors.As(err, &bad):
		return http.StatusBadRequest, bad.Error()
	case errors.As(err, &format):
		return http.StatusBadRequest, format.Error()
	case errors.As(err, &fail):
		return http.StatusBadRequest, fail.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not found (or not yours to see)"
	case errors.Is(err, store.ErrUnauthenticated):
		return http.StatusUnauthorized, errUnauthenticated.Msg
	case errors.Is(err, store.ErrForbidden):
		return http.StatusForbidden, userText(err)
	case errors.Is(err, store.ErrNotCertified):
		return http.StatusConflict, "the run is not certified: " + signOffRule
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, userText(err)
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, userText(err)
	case errors.Is(err, store.ErrNoKey):
		return http.StatusServiceUnavailable, "the hub has no secret key (" + store.EnvSecretKey + "): credentials cannot be stored or read"
	case errors.Is(err, store.ErrDecrypt):
		return http.StatusServiceUnavailable, userText(err)
	case errors.Is(err, store.ErrUnavailable):
		return http.StatusServiceUnavailable, "the hub's database is unavailable: nothing was changed; try again in a minute (the hub reconnects by itself)"
	}
	return http.StatusInternalServerError, "internal error: the hub's log has the details"
}

// userText is a store error without its package prefix. Store messages
// name the operation and the rule, never a value a user typed or a secret.
func userText(err error) string {
	return strings.ReplaceAll(err.Error(), "store: ", "")
}
