package uat

import (
	"fmt"
	"slices"
	"time"
)

// Test values that trigger the scripted outcomes. Amounts are what partners
// type most easily into their own application, so most cases key on them.
const (
	SuccessAmount     = "1500.00"
	SuccessPhone      = "255712345678"
	FailingPhone      = "255712345999" // any phone ending in 999 settles FAILED, INSUFFICIENT_FUNDS
	LongAmount        = "7007.00"      // stays PROCESSING for Timing.LongProcessing
	MaintenanceAmount = "5003.00"      // the first initiate gets 503 + Retry-After
	TimeoutAmount     = "5004.00"      // the answer is held for Timing.Hold; the payment is created
)

// Case ids, the same for every API; Case.ID prefixes the API.
const (
	CaseSuccess           = "success"
	CaseInsufficientFunds = "insufficient-funds"
	CaseLongProcessing    = "long-processing"
	CaseMaintenance       = "maintenance"
	CaseTimeout           = "timeout"
	CaseDuplicate         = "duplicate-reference"
	CaseCallback          = "callback"
	CaseTokenExpiry       = "token-expiry"
)

// Timing holds the session's scripted durations. Live sessions use
// DefaultTiming; tests shrink them.
type Timing struct {
	Settle          time.Duration // PROCESSING -> final for ordinary payments
	LongProcessing  time.Duration // PROCESSING -> final for LongAmount
	Hold            time.Duration // how long the TimeoutAmount answer is held
	RetryAfter      time.Duration // the maintenance window, sent as Retry-After (whole seconds)
	MinPollInterval time.Duration // the documented pause between two status queries of one payment
	AckBudget       time.Duration // how fast the client's receiver must acknowledge a callback
	// ExpireTokenAt is the secured call (per API, counted from 1) at which
	// the session declares the token in use expired.
	ExpireTokenAt int
}

// DefaultTiming is what a BAU lead runs with a partner on a call.
func DefaultTiming() Timing {
	return Timing{
		Settle:          5 * time.Second,
		LongProcessing:  60 * time.Second,
		Hold:            45 * time.Second, // longer than the usual 30s client timeout
		RetryAfter:      10 * time.Second,
		MinPollInterval: time.Second,
		AckBudget:       2 * time.Second,
		ExpireTokenAt:   5,
	}
}

func (t Timing) check() error {
	switch {
	case t.Settle < 0 || t.LongProcessing < 0 || t.Hold <= 0:
		return fmt.Errorf("timing: settle and long-processing must not be negative, hold must be positive")
	case t.RetryAfter < time.Second || t.RetryAfter%time.Second != 0:
		return fmt.Errorf("timing: retry-after must be whole seconds (it is sent as Retry-After), got %s", t.RetryAfter)
	case t.MinPollInterval <= 0 || t.AckBudget <= 0 || t.ExpireTokenAt < 1:
		return fmt.Errorf("timing: poll interval, ack budget and token expiry call must be positive")
	}
	return nil
}

// Case is one thing the partner plays through its own application.
type Case struct {
	ID     string // "collections.maintenance"
	API    string
	Kind   string // one of the Case* constants
	Title  string
	Do     string // what to do, in the partner's words
	Values string // which test values trigger it
	Expect string // what a correct client does
}

// Cases is the UAT case list of one API, in the order to play it.
func Cases(api string, t Timing) []Case {
	initiate := map[string]string{"collections": "a USSD-push collection", "payouts": "a mobile-money payout"}[api]
	secs := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	list := []Case{
		{Kind: CaseSuccess, Title: "A payment that succeeds",
			Do:     "Make " + initiate + " from your application.",
			Values: fmt.Sprintf("amount %s, phone %s", SuccessAmount, SuccessPhone),
			Expect: fmt.Sprintf("PROCESSING, then SUCCESS after about %s: your app learns it by the status query.", secs(t.Settle))},
		{Kind: CaseInsufficientFunds, Title: "A payment that fails (insufficient funds)",
			Do:     "Make " + initiate + " to a phone number ending in 999.",
			Values: fmt.Sprintf("phone %s (any amount)", FailingPhone),
			Expect: "PROCESSING, then FAILED with failureReason INSUFFICIENT_FUNDS; your app shows the failure."},
		{Kind: CaseLongProcessing, Title: "A payment that stays PROCESSING for a while",
			Do:     "Make " + initiate + " with the amount below and keep checking its status.",
			Values: "amount " + LongAmount,
			Expect: fmt.Sprintf("PROCESSING for %s, then SUCCESS; your app keeps polling at the documented pace.", secs(t.LongProcessing))},
		{Kind: CaseMaintenance, Title: "A 503 maintenance window",
			Do:     "Make " + initiate + " with the amount below.",
			Values: "amount " + MaintenanceAmount,
			Expect: fmt.Sprintf("503 with Retry-After: %d; your app waits that long and retries with the same orderReference.", int(t.RetryAfter/time.Second))},
		{Kind: CaseTimeout, Title: "An answer too slow to wait for",
			Do:     "Make " + initiate + " with the amount below; your client will time out.",
			Values: fmt.Sprintf("amount %s (the answer is held for %s; the payment IS created)", TimeoutAmount, secs(t.Hold)),
			Expect: "Your app does not know the outcome: it queries the status of that orderReference (or retries with the same orderReference) and never creates a second payment."},
		{Kind: CaseDuplicate, Title: "A duplicate orderReference",
			Do:     "Send the initiate of an earlier payment again with the same orderReference (a double click on Pay).",
			Values: "the orderReference of any earlier payment",
			Expect: "409 DUPLICATE_ORDER_REFERENCE; your app does not treat it as a new payment."},
		{Kind: CaseCallback, Title: "Callbacks to your callbackUrl",
			Do:     "Give a callbackUrl in any initiate request.",
			Values: "callbackUrl: your receiver's public URL",
			Expect: "golive delivers the genuine callback, a duplicate and a tampered copy: 2xx promptly to the first two, refuse the tampered one, confirm with a status query."},
		{Kind: CaseTokenExpiry, Title: "A token that expires",
			Do:     "Nothing special: use your token as usual.",
			Values: fmt.Sprintf("the session expires your token at your %s secured call", ordinal(t.ExpireTokenAt)),
			Expect: "401 UNAUTHORIZED; your app gets a new token and repeats the call."},
	}
	for i := range list {
		list[i].API = api
		list[i].ID = api + "." + list[i].Kind
	}
	return list
}

// caseKinds lists the Case* constants in playing order.
func caseKinds() []string {
	var out []string
	for _, c := range Cases("collections", DefaultTiming()) {
		out = append(out, c.Kind)
	}
	return out
}

// APIs are the BAU APIs a partner's client can be certified against.
func APIs() []string { return []string{"collections", "payouts"} }

// IsAPI reports whether name is one of APIs.
func IsAPI(name string) bool { return slices.Contains(APIs(), name) }

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
