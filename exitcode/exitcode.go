// Package exitcode owns golive's process exit codes: the contract CI
// pipelines build on (docs/results.md). Every other package names a code
// through these constants; none spells a number.
package exitcode

import (
	"errors"
	"fmt"
)

// Code is a process exit code.
type Code int

const (
	Certified    Code = 0   // CERTIFIED, or CERTIFIED WITH OBSERVATIONS
	NotCertified Code = 1   // a critical or major item failed
	InvalidInput Code = 2   // flags, spec, suite, variables: nothing was sent
	NotTestable  Code = 3   // connection or system failures prevented a verdict
	Internal     Code = 4   // golive's own fault
	Interrupted  Code = 130 // Ctrl-C or a deadline: reports written, marked interrupted

	// EvidenceChanged is golive verify's answer when a report file of an
	// evidence pack changed or is missing.
	EvidenceChanged Code = 1
)

// All lists every code, in the order the docs give them.
func All() []Code {
	return []Code{Certified, NotCertified, InvalidInput, NotTestable, Internal, Interrupted}
}

// Meaning is the one-line description the docs and --help use.
func (c Code) Meaning() string {
	switch c {
	case Certified:
		return "CERTIFIED (or CERTIFIED WITH OBSERVATIONS: only minor items failed)"
	case NotCertified:
		return "NOT CERTIFIED: a critical or major item failed"
	case InvalidInput:
		return "invalid input: flags, spec, suite, variables (nothing was sent)"
	case NotTestable:
		return "NOT TESTABLE: connection or system failures prevented a verdict"
	case Internal:
		return "internal error"
	case Interrupted:
		return "interrupted (Ctrl-C or deadline): reports are still written, marked interrupted"
	}
	return fmt.Sprintf("exit code %d", int(c))
}

// Error carries an exit code with the error that caused it. A nil Err means
// the command already said everything (a verdict was printed).
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// With attaches code to err.
func With(code Code, err error) error { return &Error{Code: code, Err: err} }

// Of returns the code carried by err: 0 for nil, the carried code when
// there is one, else def.
func Of(err error, def Code) Code {
	if err == nil {
		return Certified
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return def
}
