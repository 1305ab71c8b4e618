package sandbox

import (
	"net/http"
	"strings"
)

// Faults that the spec-derived checks must catch from the document alone
// (docs/derived-checks.md): each one is a defect a careful reviewer finds
// with nothing but the OpenAPI file, and each has a derived rule that shows
// it.
const (
	FaultAnyBearer    = "any-bearer"     // any "Bearer <anything>" is accepted: the scheme is checked, the token not
	FaultCrashAtLimit = "crash-at-limit" // a valid amount with 11 or 12 integer digits gives 500
	FaultReadOtherID  = "read-other-id"  // the status operations report another order's id
)

// crashDigits is where crash-at-limit's imaginary DECIMAL(12,2) column with
// a 10-digit integer part overflows, while the spec allows 12.
const crashDigits = 11

func detectFaults() []Fault {
	return []Fault{
		{FaultAnyBearer, "Any Authorization: Bearer <anything> is accepted: the scheme is checked but the token is never looked up (a bearer value golive never issued, in the same shape, succeeds)."},
		{FaultCrashAtLimit, "A valid amount with 11 or 12 integer digits (the spec allows 12) gives 500 Internal Server Error: the column behind it is narrower than the contract."},
		{FaultReadOtherID, "The status operations answer with another order's id (the orderReference, amount and status are right): what is read back is not what was created."},
	}
}

// bearerOnly is the any-bearer fault's check: a Bearer scheme and some value.
func bearerOnly(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != ""
}

// crashesAtLimit writes crash-at-limit's 500 and reports whether it did.
func (s *Sandbox) crashesAtLimit(w http.ResponseWriter, req orderRequest) bool {
	if !s.has(FaultCrashAtLimit) {
		return false
	}
	whole, _, _ := strings.Cut(req.Amount, ".")
	if len(whole) < crashDigits {
		return false
	}
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	return true
}

// reportedID is the id a status response shows: the order's own, or under
// read-other-id, a new one every time.
func (s *Sandbox) reportedID(o order) string {
	if !s.has(FaultReadOtherID) {
		return o.id
	}
	prefix, _, _ := strings.Cut(o.id, "_")
	return newID(prefix + "_")
}
