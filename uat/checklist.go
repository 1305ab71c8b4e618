package uat

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/golive-cert/golive/results"
)

// FAQFile is where every client item's FAQ anchor lives.
const FAQFile = "docs/faq/client.md"

// Item is one item of the client checklist of an API.
type Item struct {
	ID          string // client.<api>.<key>
	Key         string // the API-independent part of the id
	Group       string
	Title       string
	Severity    results.Severity
	Remediation string
	FAQ         string // anchor in FAQFile
	// LiveOnly items need a live session: a recording alone cannot decide them.
	LiveOnly bool
}

// Item keys, the stable tail of every id.
const (
	KeyTraffic        = "traffic"
	KeyTokenFirst     = "token-first"
	KeyTokenReuse     = "token-reuse"
	KeyTokenRefresh   = "token-refresh"
	KeyValidRequests  = "valid-requests"
	KeyCheckStatus    = "check-status"
	KeyPollRate       = "poll-rate"
	KeyPollStops      = "poll-stops"
	KeyRetryAfter     = "retry-after"
	KeyNewReference   = "new-reference"
	KeyRetrySameRef   = "retry-same-reference"
	KeyDataAccuracy   = "data-accuracy"
	KeyCallbackAck    = "callback-ack"
	KeyCallbackTamper = "callback-tampered"
	KeyCallbackDup    = "callback-duplicate"
	KeyUnknownState   = "unknown-state"
	KeyCredsInURL     = "credentials-in-url"
	KeyTLS            = "tls"
	KeyCasesComplete  = "cases-complete"
)

// Checklist is the client checklist of one API, in report order.
func Checklist(api string) []Item {
	items := []Item{
		{Key: KeyTraffic, Group: "connection", Severity: results.Critical, FAQ: "traffic",
			Title:       "The client reaches the session",
			Remediation: "Point the client's base URL at the session address golive printed; from the client's host run the telnet and curl lines in this item; open the firewall for that host and port."},
		{Key: KeyTokenFirst, Group: "authentication", Severity: results.Critical, FAQ: "token-first",
			Title:       "Gets a token with its credentials before secured calls",
			Remediation: "Call POST /v1/token with the client-id and api-key headers first, and send Authorization: Bearer <token> on every other call."},
		{Key: KeyTokenReuse, Group: "authentication", Severity: results.Major, FAQ: "token-reuse",
			Title:       "Reuses its token (not one token per call)",
			Remediation: "Keep the token in memory and reuse it until it expires (expiresIn seconds) or a call answers 401; do not ask for a token before every call."},
		{Key: KeyTokenRefresh, Group: "authentication", Severity: results.Major, FAQ: "token-refresh",
			Title:       "Gets a new token on 401 or expiry, and repeats the call",
			Remediation: "On 401, or shortly before expiresIn runs out, call POST /v1/token again and repeat the call once with the new token; never send the expired token again."},
		{Key: KeyValidRequests, Group: "data mapping", Severity: results.Critical, FAQ: "valid-requests",
			Title:       "Every request is valid against the API specification",
			Remediation: "Fix each listed field: amounts are decimal strings (\"1500.00\"), currency TZS, orderReference 6-40 letters and digits, phone 255XXXXXXXXX, no unknown fields."},
		{Key: KeyCheckStatus, Group: "check-status flow", Severity: results.Critical, FAQ: "check-status",
			Title:       "Learns the final state of every payment it initiated",
			Remediation: "After every initiate, query GET /v1/<api>/{orderReference} until the status is SUCCESS or FAILED (or, with a callbackUrl, confirm the callback with one status query). Never leave a payment PROCESSING in your system."},
		{Key: KeyPollRate, Group: "polling etiquette", Severity: results.Major, FAQ: "poll-rate",
			Title:       "Polls one payment no faster than the documented pace",
			Remediation: "Wait at least the documented interval (1 second) between two status queries of the same payment; back off further while it stays PROCESSING."},
		{Key: KeyPollStops, Group: "polling etiquette", Severity: results.Minor, FAQ: "poll-stops",
			Title:       "Stops polling once the status is final",
			Remediation: "Stop the status loop at SUCCESS or FAILED; a final status never changes."},
		{Key: KeyRetryAfter, Group: "polling etiquette", Severity: results.Major, FAQ: "retry-after",
			Title:       "Honours Retry-After and backs off on 503",
			Remediation: "On 503, wait the Retry-After seconds (or back off exponentially without one) before retrying with the same orderReference."},
		{Key: KeyNewReference, Group: "idempotency", Severity: results.Critical, FAQ: "new-reference",
			Title:       "Uses a new orderReference for every payment",
			Remediation: "Generate a unique orderReference per payment (e.g. your order id plus an attempt counter); never reuse one for a different amount or payer."},
		{Key: KeyRetrySameRef, Group: "idempotency", Severity: results.Critical, FAQ: "retry-same-reference",
			Title: "Retries after a timeout with the same orderReference, never a second payment", LiveOnly: true,
			Remediation: "When an initiate times out, the payment may exist: query its status by the same orderReference, or retry with the same orderReference (a 409 means it exists). Never retry with a new reference."},
		{Key: KeyDataAccuracy, Group: "data accuracy", Severity: results.Major, FAQ: "data-accuracy",
			Title:       "Amount, currency, payer and reference agree across preview, initiate and status",
			Remediation: "Build the initiate from the same order record as the preview, and query the status with the orderReference you initiated."},
		{Key: KeyCallbackAck, Group: "callback receiver", Severity: results.Major, FAQ: "callback-ack", LiveOnly: true,
			Title:       "Acknowledges the genuine callback with 2xx promptly",
			Remediation: "Verify the checksum, store the event, answer 200 at once (within 2 seconds); do slow work after answering."},
		{Key: KeyCallbackTamper, Group: "callback receiver", Severity: results.Critical, FAQ: "callback-tampered", LiveOnly: true,
			Title:       "Refuses a tampered callback",
			Remediation: "Compute HMAC-SHA256 of the canonical payload with your checksum key and compare it to checksum in constant time; answer 400/401 and ignore the callback when it differs."},
		{Key: KeyCallbackDup, Group: "callback receiver", Severity: results.Major, FAQ: "callback-duplicate", LiveOnly: true,
			Title:       "Treats a duplicate callback idempotently",
			Remediation: "Key callbacks by orderReference and status; a repeat of one already processed gets 200 again and changes nothing."},
		{Key: KeyUnknownState, Group: "failure handling", Severity: results.Critical, FAQ: "unknown-state",
			Title:       "Never gives up on a payment whose outcome it did not get",
			Remediation: "After a timeout, query the status by the same orderReference until final; after a 503, retry later. Show the payment as pending, never as failed, until you know."},
		{Key: KeyCredsInURL, Group: "security", Severity: results.Critical, FAQ: "credentials-in-url",
			Title:       "Never puts credentials or tokens in URLs",
			Remediation: "Send client-id and api-key as headers of POST /v1/token and the token in the Authorization header only; URLs end up in logs and proxies."},
		{Key: KeyTLS, Group: "security", Severity: results.Major, FAQ: "tls",
			Title:       "Uses TLS when the API is served over TLS",
			Remediation: "Use the https:// base URL and keep certificate verification on."},
		{Key: KeyCasesComplete, Group: "coverage", Severity: results.Major, FAQ: "cases-complete", LiveOnly: true,
			Title:       "Every UAT case was played",
			Remediation: "Play the remaining cases from the case list through your application (golive uat prints it at the start)."},
	}
	for i := range items {
		items[i].ID = "client." + api + "." + items[i].Key
	}
	return items
}

// checklistSHA256 identifies the checklist version in results.json.
func checklistSHA256(api string) string {
	b, _ := json.Marshal(Checklist(api))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
