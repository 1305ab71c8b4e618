package uat

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Directions of a recorded exchange.
const (
	FromClient = "client"   // the partner's client called the session
	ToReceiver = "callback" // the session called the partner's callback receiver
)

// Exchange is one recorded HTTP exchange, secrets already masked: what
// recordings (exchanges.jsonl, recording.har) hold, one per line or entry.
type Exchange struct {
	Seq       int64  `json:"seq"`
	Direction string `json:"direction"`
	API       string `json:"api,omitempty"`
	Operation string `json:"operation,omitempty"`
	Reference string `json:"orderReference,omitempty"`
	// Simulated names what the session scripted instead of the sandbox's
	// own answer (maintenance, timeout, token-expiry): never the partner's fault.
	Simulated string `json:"simulated,omitempty"`
	// Callback is genuine, duplicate or tampered for ToReceiver exchanges.
	Callback string `json:"callback,omitempty"`
	Token    string `json:"token,omitempty"` // label of the bearer token sent
	Remote   string `json:"remote,omitempty"`

	StartedAt  time.Time `json:"startedAt"`
	DurationMs float64   `json:"durationMs"`

	Method            string            `json:"method"`
	URL               string            `json:"url"`
	RequestHeaders    map[string]string `json:"requestHeaders,omitempty"`
	RequestBody       string            `json:"requestBody,omitempty"`
	RequestTruncated  bool              `json:"requestTruncated,omitempty"`
	Status            int               `json:"status"`
	ResponseHeaders   map[string]string `json:"responseHeaders,omitempty"`
	ResponseBody      string            `json:"responseBody,omitempty"`
	ResponseTruncated bool              `json:"responseTruncated,omitempty"`
	// ClientGone: the client went away before the answer was written (it
	// timed out); Status is the answer it never got.
	ClientGone bool   `json:"clientGone,omitempty"`
	Error      string `json:"error,omitempty"` // no answer at all (callbacks)
}

// fact is what grading needs of one exchange, read before masking.
type fact struct {
	at, answeredAt time.Time
	api            string
	role           opRole
	secured        bool
	ref            string
	order          orderFields
	token          string // label
	simulated      string
	status         int
	orderStatus    string // the "status" of a 2xx order body
	errorCode      string // the "code" of an error body
	retryAfter     time.Duration
	clientGone     bool
	violations     []violation
	credsInURL     string // what credential the URL carried
	plainHTTP      bool   // sent without TLS (HAR: an http:// URL)
	tls            bool   // sent over TLS
	ex             *Exchange
}

// orderFields are the payment data of a preview or initiate body, as text.
type orderFields struct {
	Amount, Currency, Phone, Ref, CallbackURL string
}

func (o orderFields) same(p orderFields) bool {
	return o.Amount == p.Amount && o.Currency == p.Currency && o.Phone == p.Phone
}

// readOrderFields reads the order fields of a JSON body; fields of another
// type are rendered as their JSON (an amount sent as 1500 reads "1500").
func readOrderFields(body []byte) orderFields {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return orderFields{}
	}
	text := func(k string) string {
		raw, ok := m[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	return orderFields{Amount: text("amount"), Currency: text("currency"), Phone: text("phoneNumber"),
		Ref: text("orderReference"), CallbackURL: text("callbackUrl")}
}

// readAnswer reads the order status or error code of a response body.
func readAnswer(body []byte) (orderStatus, errorCode string) {
	var m struct {
		Status any    `json:"status"`
		Code   string `json:"code"`
	}
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	s, _ := m.Status.(string)
	return s, m.Code
}

func isFinal(status string) bool { return status == "SUCCESS" || status == "FAILED" }

// parseRetryAfter reads a Retry-After of whole seconds (HTTP-dates are
// rare in APIs; they read as 0, no window).
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// bearer returns the token of an Authorization header, "" when none.
func bearer(h string) string {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// credentialParams are query parameters that carry credentials, whatever their value.
func credentialParam(name string) bool {
	switch strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name)) {
	case "apikey", "clientid", "token", "accesstoken", "checksumkey", "secret", "password", "authorization":
		return true
	}
	return false
}

// maskedHeaders copies headers for a recording, credentials masked.
func maskedHeaders(h http.Header, m *masker) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.Join(h[k], ", ")
		switch strings.ToLower(k) {
		case "authorization":
			if tok := bearer(v); tok != "" {
				v = "Bearer " + m.tokenLabel(tok)
			} else {
				v = Mask
			}
		case "client-id", "api-key", "cookie", "set-cookie", "proxy-authorization", "x-api-key":
			v = Mask
		default:
			v = m.text(v)
		}
		out[k] = v
	}
	return out
}

// capped cuts a body at max bytes for a recording.
func capped(body []byte, max int) (string, bool) {
	if len(body) <= max {
		return string(body), false
	}
	return string(body[:max]), true
}
