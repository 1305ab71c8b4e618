package sandbox

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Order statuses and the failure reason the sandbox uses.
const (
	statusProcessing  = "PROCESSING"
	statusSuccess     = "SUCCESS"
	statusFailed      = "FAILED"
	insufficientFunds = "INSUFFICIENT_FUNDS"
)

// failingSuffix marks test phone numbers whose orders end FAILED, so a
// partner can exercise its failure path on demand.
const failingSuffix = "999"

// orderRequest is the body shared by CollectionRequest and PayoutRequest.
// Fields are kept as sent: the amount is echoed exactly, never re-formatted.
type orderRequest struct {
	Amount         string
	Currency       string
	OrderReference string
	PhoneNumber    string
	CallbackURL    string // optional: where the final status is POSTed (callback.go)
}

// readOrder decodes the request body. It is lenient on purpose: the spec
// validation before it has rejected anything malformed unless the
// no-validation fault is on, and then the handler must cope with missing
// fields and wrong types the way a careless partner's code would. Only a
// body that is not JSON at all is refused (false: the answer is written),
// and a callbackUrl that is not an absolute http(s) URL, which the spec's
// format: uri asks for but the validator does not check.
func (s *Sandbox) readOrder(w http.ResponseWriter, r *http.Request) (orderRequest, bool) {
	dec := json.NewDecoder(r.Body) // in memory already, see bufferBody
	dec.UseNumber()                // a numeric amount keeps its digits as sent
	var body any
	if err := dec.Decode(&body); err != nil {
		s.rejectInvalid(w, &problem{status: http.StatusBadRequest, code: "INVALID_JSON",
			message: "the request body is not valid JSON",
			details: []detail{{Field: "body", Issue: err.Error()}}})
		return orderRequest{}, false
	}
	fields, _ := body.(map[string]any) // not an object: every field is missing
	req := orderRequest{
		Amount:         text(fields["amount"]),
		Currency:       text(fields["currency"]),
		OrderReference: text(fields["orderReference"]),
		PhoneNumber:    text(fields["phoneNumber"]),
		CallbackURL:    text(fields["callbackUrl"]),
	}
	if s.crashesAtLimit(w, req) {
		return orderRequest{}, false
	}
	if issue := callbackURLIssue(req.CallbackURL); issue != "" && !s.has(FaultNoValidation) {
		s.rejectInvalid(w, &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
			message: "the request does not match the API specification (1 issue(s))",
			details: []detail{{Field: "callbackUrl", Issue: issue}}})
		return orderRequest{}, false
	}
	return req, true
}

// callbackURLIssue says what is wrong with a callbackUrl ("" when it is
// absent or fine): it must be an absolute http(s) URL with a host.
func callbackURLIssue(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "must be an absolute http(s) URL: " + err.Error()
	}
	if (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) || u.Host == "" {
		return fmt.Sprintf("must be an absolute http(s) URL such as https://merchant.example/callback, got %q", raw)
	}
	return ""
}

// text renders a decoded JSON value as a string: strings as they are,
// anything else as its JSON, missing as "".
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		b, _ := json.Marshal(v) // values decoded from JSON always re-encode
		return string(b)
	}
}

// order is one collection or payout as stored.
type order struct {
	orderRequest
	id        string
	fee       string // payouts only
	channel   string
	createdAt time.Time
	// forced is the outcome ForceOutcome set; nil until then.
	forced *progress
	// settled is set when the settle timer has claimed the order's
	// callback, so that ForceOutcome cannot give it a second, different one.
	settled bool
}

// progress is where an order stands at a given moment.
type progress struct {
	status        string
	failureReason *string
	updatedAt     time.Time
}

// progressOf settles orders lazily: an order is PROCESSING until settleAfter
// has passed since its creation, then final, decided by its phone number.
// Computing it on read needs no background goroutine and follows WithClock.
func (s *Sandbox) progressOf(o order) progress {
	if o.forced != nil {
		return *o.forced
	}
	if s.has(FaultNeverFinal) || s.cfg.now().Before(s.settledAt(o)) {
		return progress{status: statusProcessing, updatedAt: o.createdAt}
	}
	return s.finalProgress(o)
}

// settledAt is when the order becomes final. Under callback-early the
// outcome is known at once, so the callback that beats the initiate
// response agrees with every status query.
func (s *Sandbox) settledAt(o order) time.Time {
	if s.has(FaultCallbackEarly) {
		return o.createdAt
	}
	return o.createdAt.Add(s.settleDelay(o))
}

// finalProgress is the order's final state, whenever it is asked: what the
// status query says once settled, and what the callback carries.
func (s *Sandbox) finalProgress(o order) progress {
	if o.forced != nil {
		return *o.forced
	}
	settledAt := s.settledAt(o)
	if strings.HasSuffix(o.PhoneNumber, failingSuffix) {
		reason := insufficientFunds
		return progress{status: statusFailed, failureReason: &reason, updatedAt: settledAt}
	}
	return progress{status: statusSuccess, updatedAt: settledAt}
}

// reportedAmount is the amount a status response shows: the amount as sent,
// or under amount-changed, 1.00 more.
func (s *Sandbox) reportedAmount(o order) string {
	if !s.has(FaultAmountChanged) {
		return o.Amount
	}
	c, err := parseAmount(o.Amount)
	if err != nil {
		return "1.00" // unparseable only under no-validation; any other value will do
	}
	return (c + 100).String()
}

// channelFor derives the mobile-money operator from the number's prefix,
// as Tanzanian operators own the 2557x/2556x ranges.
func channelFor(phone string) string {
	for _, p := range []struct{ prefix, channel string }{
		{"25571", "TIGO-PESA"}, {"25565", "TIGO-PESA"}, {"25567", "TIGO-PESA"},
		{"25574", "M-PESA"}, {"25575", "M-PESA"}, {"25576", "M-PESA"},
		{"25568", "AIRTEL-MONEY"}, {"25569", "AIRTEL-MONEY"}, {"25578", "AIRTEL-MONEY"},
		{"25562", "HALOPESA"},
	} {
		if strings.HasPrefix(phone, p.prefix) {
			return p.channel
		}
	}
	return "M-PESA"
}

// timestamp formats as the specs' date-time (RFC 3339, UTC).
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// newID returns a random order id such as "col_5KQ2...".
func newID(prefix string) string { return prefix + rand.Text() }

// duplicate is the 409 for a reused orderReference.
func duplicate(ref string) *problem {
	return &problem{status: http.StatusConflict, code: "DUPLICATE_ORDER_REFERENCE",
		message: fmt.Sprintf("orderReference %q was used before; every order needs a new one", ref)}
}

// notFound is the 404 for an orderReference with no order.
func notFound(ref string) *problem {
	return &problem{status: http.StatusNotFound, code: "NOT_FOUND",
		message: fmt.Sprintf("no order has orderReference %q", ref)}
}
