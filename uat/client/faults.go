package client

import (
	"fmt"
	"strings"

	"github.com/golive-cert/golive/uat"
)

// Client faults: typical merchant mistakes, one at a time. Each names the
// client checklist items (keys) it fails, and no other.
const (
	FaultNoStatus         = "client-no-status"
	FaultPollNoPause      = "client-poll-no-pause"
	FaultPollAfterFinal   = "client-poll-after-final"
	FaultNewRefOnRetry    = "client-new-ref-on-retry"
	FaultAmountNumber     = "client-amount-number"
	FaultTokenPerRequest  = "client-token-per-request"
	FaultNoRefresh        = "client-no-refresh"
	FaultIgnoreRetryAfter = "client-ignore-retry-after"
	FaultAcceptTampered   = "client-accept-tampered"
	FaultReceiver500      = "client-receiver-500"
	FaultCredsInQuery     = "client-creds-in-query"
	FaultPreviewMismatch  = "client-preview-mismatch"
)

// Fault is a named client defect and the items it fails.
type Fault struct {
	Name        string
	Description string
	Fails       []string // item keys (uat.Key*); the ids are client.<api>.<key>
}

// Faults lists the client faults, sorted by name.
func Faults() []Fault {
	return []Fault{
		{FaultAcceptTampered, "The callback receiver does not verify the checksum: a tampered callback gets 200.", []string{uat.KeyCallbackTamper}},
		{FaultAmountNumber, "The preview request carries amount as a JSON number (1500) instead of a decimal string; the initiate is right.", []string{uat.KeyValidRequests}},
		{FaultCredsInQuery, "The token request also sends the api-key in the query string (?apiKey=...).", []string{uat.KeyCredsInURL}},
		{FaultIgnoreRetryAfter, "On 503 the client retries every 50ms instead of waiting Retry-After.", []string{uat.KeyRetryAfter}},
		{FaultNewRefOnRetry, "After a timeout the client retries with a NEW orderReference: a second payment, and the first is never followed up.", []string{uat.KeyRetrySameRef, uat.KeyUnknownState}},
		{FaultNoRefresh, "On 401 the client repeats the call with the same expired token twice before it gets a new one.", []string{uat.KeyTokenRefresh}},
		{FaultNoStatus, "The client never queries the status: it trusts the initiate answer and the callback (the textbook integration issue).", []string{uat.KeyCheckStatus}},
		{FaultPollAfterFinal, "The client keeps polling three more times after the status is final.", []string{uat.KeyPollStops}},
		{FaultPollNoPause, "The client polls the status every 5ms instead of at the documented pace.", []string{uat.KeyPollRate}},
		{FaultPreviewMismatch, "The preview is made for the amount plus 1.00 while the initiate carries the amount: the steps disagree.", []string{uat.KeyDataAccuracy}},
		{FaultReceiver500, "The callback receiver answers 500 to every callback.", []string{uat.KeyCallbackAck, uat.KeyCallbackDup}},
		{FaultTokenPerRequest, "The client asks for a new token before every secured call.", []string{uat.KeyTokenReuse}},
	}
}

// IsFault reports whether name is a client fault ("" is the correct client).
func IsFault(name string) bool {
	if name == "" {
		return true
	}
	for _, f := range Faults() {
		if f.Name == name {
			return true
		}
	}
	return false
}

// UnknownFaultError: a fault name that is not a client fault.
type UnknownFaultError struct{ Name string }

func (e *UnknownFaultError) Error() string {
	var names []string
	for _, f := range Faults() {
		names = append(names, f.Name)
	}
	return fmt.Sprintf("unknown client fault %q (valid: %s)", e.Name, strings.Join(names, ", "))
}
