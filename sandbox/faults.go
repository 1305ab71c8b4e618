package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The named faults; each makes the sandbox behave like a typical defective partner integration.
const (
	FaultAmountChanged     = "amount-changed"     // the status response reports a different amount
	FaultBadErrorSchema    = "bad-error-schema"   // 4xx bodies do not follow the Error schema
	FaultCrashOnInvalid    = "crash-on-invalid"   // invalid input gives 500 instead of 400
	FaultDuplicateAccepted = "duplicate-accepted" // a reused orderReference is accepted again
	FaultMaintenance       = "maintenance"        // every request gets a 503 HTML maintenance page
	FaultNeverFinal        = "never-final"        // orders stay PROCESSING forever
	FaultNoAuth            = "no-auth"            // the bearer token is not enforced
	FaultNoStatus          = "no-status"          // the status operations are not implemented
	FaultNoValidation      = "no-validation"      // invalid payloads are accepted as if valid
	FaultSchemaViolation   = "schema-violation"   // success responses carry amount as a JSON number
	FaultLocalTimestamps   = "local-timestamps"   // success responses carry createdAt/updatedAt as "2006-01-02 15:04:05"
	FaultSlow              = "slow"               // every response is delayed by SlowDelay
)

// Callback faults: what the sandbox, as a partner, gets wrong when it calls
// back the callbackUrl of an order.
const (
	FaultNoCallback           = "no-callback"            // never calls back
	FaultCallbackBadSignature = "callback-bad-signature" // the checksum does not verify
	FaultCallbackDisagrees    = "callback-disagrees"     // the callback's amount differs from the status query's
	FaultCallbackDuplicate    = "callback-duplicate"     // every callback is sent twice
	FaultCallbackEarly        = "callback-early"         // the callback is sent before the initiate response
)

// Webhook receiver faults: what the sandbox, as a merchant, gets wrong when
// it receives events at WebhookReceiverPath.
const (
	FaultReceiverAcceptsMalformed = "receiver-accepts-malformed" // 200 for bodies that are not valid events
	FaultReceiverAcceptsTampered  = "receiver-accepts-tampered"  // the checksum is not verified
	FaultReceiverFailsDuplicates  = "receiver-fails-duplicates"  // a repeated eventId gets 500
	FaultReceiverSlow             = "receiver-slow"              // every answer is delayed by SlowDelay
)

// SlowDelay is how long the slow and receiver-slow faults hold every response.
const SlowDelay = 2500 * time.Millisecond

// Fault is a named defect the sandbox can reproduce.
type Fault struct{ Name, Description string }

// Faults lists the named faults, sorted by name.
func Faults() []Fault {
	all := append(append(detectFaults(), extentFaults()...), []Fault{
		{FaultAmountChanged, "The status operations report the amount plus 1.00 instead of the amount initiated: data is inconsistent across the flow."},
		{FaultBadErrorSchema, `4xx answers keep the right status code but carry {"error":"..."} instead of the Error schema (code, message, details).`},
		{FaultCallbackBadSignature, "Callbacks carry a checksum computed over the payload as serialized (fields in declaration order) instead of the canonical payload (keys sorted), so it never verifies."},
		{FaultCallbackDisagrees, "Callbacks report the amount plus the fee (the gross amount) while the status query reports the amount: the callback disagrees with the status."},
		{FaultCallbackDuplicate, "Every callback is sent twice, both copies at once (a sender that retries on its own timer, whatever the first answer): golive notes the repeat; receivers must be idempotent."},
		{FaultCallbackEarly, "The outcome is known at once and the callback is sent from within the initiate handler, before the initiate response is written: the race a correct client must survive (golive still passes)."},
		{FaultCrashOnInvalid, "Invalid input (schema violations, malformed JSON, bad path values) gives 500 Internal Server Error instead of 400; valid input still works."},
		{FaultDuplicateAccepted, "A reused orderReference is accepted again with 200 (replacing the earlier order) instead of 409 DUPLICATE_ORDER_REFERENCE."},
		{FaultLocalTimestamps, `Success responses carry createdAt and updatedAt as a database's text ("2026-12-02 14:05:09", no T, no zone) instead of the RFC 3339 date-time the schema requires.`},
		{FaultMaintenance, "Every request, the token included, gets 503 with Retry-After: 120 and an HTML maintenance page: the target is reachable but not serving."},
		{FaultNeverFinal, "Orders stay PROCESSING forever: the status never becomes SUCCESS or FAILED."},
		{FaultNoAuth, "The bearer token is not enforced: requests without a token, or with a bad one, succeed (the token operation still checks credentials)."},
		{FaultNoCallback, "Orders with a callbackUrl never call it back: the outcome is only available by the status query."},
		{FaultNoStatus, "The status operations are not implemented: they answer 404 with a plain-text \"404 page not found\", like an unregistered route."},
		{FaultNoValidation, "Invalid payloads (missing fields, bad phone, bad amount, unknown fields) are answered 200 as if valid (echoed back, never 409, but not kept); only unparseable JSON is refused."},
		{FaultReceiverAcceptsMalformed, "The webhook receiver acknowledges with 200 bodies that are not JSON or not valid events (unknown event type, missing fields) instead of refusing them with 400."},
		{FaultReceiverAcceptsTampered, "The webhook receiver does not verify the checksum: events signed with a wrong key or checksum, or changed after signing, get 200 (an event with no checksum at all is still refused, with 400, as the schema requires the field)."},
		{FaultReceiverFailsDuplicates, "The webhook receiver answers 500 when an eventId arrives a second time (a unique-key violation surfacing) instead of acknowledging the repeat with 200."},
		{FaultReceiverSlow, "The webhook receiver answers everything after 2.5s, over the 2s acknowledgement budget (a client that gives up earlier ends the wait)."},
		{FaultSchemaViolation, "Success responses carry amount as a JSON number (1500) instead of the decimal string (\"1500.00\") the schema requires."},
		{FaultSlow, "Every response, the token included, is delayed by 2.5s (a client that gives up earlier ends the wait)."},
	}...)
	slices.SortFunc(all, func(a, b Fault) int { return strings.Compare(a.Name, b.Name) })
	return all
}

func faultNames() []string {
	var names []string
	for _, f := range Faults() {
		names = append(names, f.Name)
	}
	return names
}

func isFault(name string) bool {
	for _, f := range Faults() {
		if f.Name == name {
			return true
		}
	}
	return false
}

// has reports whether the named fault is switched on.
func (s *Sandbox) has(fault string) bool { return s.cfg.fault == fault }

// pause waits for d, or until ctx ends (the client went away); it reports
// whether the full wait happened, so a handler whose client is gone returns.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// maintenancePage is what a partner's load balancer typically shows while
// the backend is down: HTML, not the API's JSON.
const maintenancePage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Down for maintenance</title></head>
<body>
<h1>We'll be back soon</h1>
<p>The service is undergoing scheduled maintenance. Please try again later.</p>
</body>
</html>
`

func writeMaintenance(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Retry-After", "120")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(maintenancePage))
}

// badErrorBody is the ad-hoc error body of the bad-error-schema fault.
func badErrorBody(status int) map[string]string {
	return map[string]string{"error": strings.ToLower(http.StatusText(status))}
}

// amountAsNumber rewrites a top-level "amount" decimal string as a JSON
// number, for the schema-violation fault. Bodies without one pass unchanged.
// rfc3339Stamp is a createdAt or updatedAt as the sandbox writes it.
var rfc3339Stamp = regexp.MustCompile(`"(createdAt|updatedAt)":"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})Z"`)

// localTimestamps is local-timestamps' rewrite of a success body.
func localTimestamps(body []byte) []byte {
	return rfc3339Stamp.ReplaceAll(body, []byte(`"$1":"$2 $3"`))
}

func amountAsNumber(body []byte) []byte {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return body
	}
	var amount string
	if err := json.Unmarshal(fields["amount"], &amount); err != nil {
		return body
	}
	c, err := parseAmount(amount)
	if err != nil {
		return body
	}
	// Formatted from cents, so "0100.50" becomes the valid number 100.50.
	fields["amount"] = json.RawMessage(c.String())
	out, err := json.Marshal(fields)
	if err != nil {
		return body
	}
	return append(out, '\n')
}
