package uat

import (
	"fmt"
	"strings"
)

// Errors callers must tell apart (errors.As): each is the user's input,
// which the CLI answers with exit code 2.

// UnknownAPIError: an API name a client cannot be certified against.
type UnknownAPIError struct{ Name string }

func (e *UnknownAPIError) Error() string {
	return fmt.Sprintf("unknown API %q for a client session (want one of: %s)", e.Name, strings.Join(APIs(), ", "))
}

// NotHARError: the recording given to GradeHAR is not a HAR 1.2 document.
type NotHARError struct{ Reason string }

func (e *NotHARError) Error() string { return "not a HAR recording: " + e.Reason }

// ListenError: the session could not listen on its address (port in use,
// address not local).
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string { return fmt.Sprintf("listen on %s: %v", e.Addr, e.Err) }
func (e *ListenError) Unwrap() error { return e.Err }

// CertificateError: the TLS certificate or key does not load.
type CertificateError struct {
	Cert, Key string
	Err       error
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("TLS certificate %s / key %s: %v", e.Cert, e.Key, e.Err)
}
func (e *CertificateError) Unwrap() error { return e.Err }
