package certify

import (
	"errors"
	"fmt"
	"strings"
)

// Field names the part of a Request an error is about, so a front end can
// say it its own way (a flag, a form field, a JSON property).
type Field string

const (
	FieldAPIs           Field = "apis"
	FieldSuites         Field = "suites"
	FieldTarget         Field = "target"
	FieldEnvironment    Field = "environment"
	FieldHeaders        Field = "headers"
	FieldVars           Field = "vars"
	FieldReceiverURL    Field = "receiverURL"
	FieldCAFile         Field = "caFile"
	FieldServerName     Field = "serverName"
	FieldInsecureTLS    Field = "insecureSkipVerify"
	FieldTimeout        Field = "timeout"
	FieldConcurrency    Field = "concurrency"
	FieldCallbackListen Field = "callbackListen"
	FieldCallbackURL    Field = "callbackURL"
	FieldRules          Field = "rules"
	FieldLatencyBudget  Field = "latencyBudget"
	FieldSeed           Field = "seed"
)

// InvalidError is a problem with the request: nothing was sent. Field is
// empty when the problem is inside a document or suite (its message names
// FILE:LINE). Err may be an errors.Join of several problems.
type InvalidError struct {
	Field Field
	Value string // the offending value, when showing it is safe and helps
	Err   error
}

// Error names the field, the value and the problem: `target "notaurl":
// want an absolute http(s) URL ...`, or the problem alone for a document.
func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Field))
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	if errors.Is(e.Err, ErrMissing) {
		return b.String() + " " + e.Err.Error()
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	return b.String() + e.Err.Error()
}
func (e *InvalidError) Unwrap() error { return e.Err }

// InternalError is golive's own fault, not the user's input.
type InternalError struct{ Err error }

func (e *InternalError) Error() string { return "internal error: " + e.Err.Error() }
func (e *InternalError) Unwrap() error { return e.Err }

// ErrMissing marks a required field left empty.
var ErrMissing = errors.New("is required")

// ErrPlanOnly is returned by Run for a plan built with Options.PlanOnly.
var ErrPlanOnly = errors.New("certify: a plan built with PlanOnly cannot run")

func invalid(field Field, err error) error { return &InvalidError{Field: field, Err: err} }

func invalidf(field Field, format string, args ...any) error {
	return invalid(field, fmt.Errorf(format, args...))
}

// invalidValue is a problem with a value worth echoing (never a secret).
func invalidValue(field Field, value string, format string, args ...any) error {
	return &InvalidError{Field: field, Value: value, Err: fmt.Errorf(format, args...)}
}

// asInvalid marks err as the user's input unless it is already typed.
func asInvalid(field Field, err error) error {
	var ie *InvalidError
	var in *InternalError
	if errors.As(err, &ie) || errors.As(err, &in) {
		return err
	}
	return invalid(field, err)
}
