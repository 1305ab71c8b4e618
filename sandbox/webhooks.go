package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/specs"
)

// WebhookReceiverPath is where the sandbox serves a correct merchant
// webhook receiver, as the webhooks API describes it: the sandbox's webhook
// URL is its base URL plus this path.
const WebhookReceiverPath = "/webhooks/receiver"

// webhooksAPI is the built-in API that describes the receiver.
const webhooksAPI = "webhooks"

// maxEventBytes bounds one event body; an event is well under 1 KiB.
const maxEventBytes = 64 << 10

// webhookReceiver is the merchant side of the webhooks API: the operation
// events are validated against, and the eventIds already accepted.
type webhookReceiver struct {
	route *routers.Route
	seen  *eventLog
}

func newWebhookReceiver(api *specs.API, maxEvents int) (*webhookReceiver, error) {
	op := api.Operation("receiveEvent")
	if op == nil {
		return nil, fmt.Errorf("%s: no receiveEvent operation to serve at %s", api.Source, WebhookReceiverPath)
	}
	return &webhookReceiver{
		route: &routers.Route{Spec: api.Doc, Path: op.Path, PathItem: op.PathItem, Method: op.Method, Operation: op.Op},
		seen:  newEventLog(maxEvents),
	}, nil
}

// eventAck is the receiver's 200 answer. The spec leaves the body to the
// merchant; this one says whether the event was new.
type eventAck struct {
	Received  bool   `json:"received"`
	EventID   string `json:"eventId,omitempty"`
	Duplicate bool   `json:"duplicate"`
}

// receiveEvent serves POST WebhookReceiverPath: read the event, check it
// (JSON, then checksum, then schema), then accept it once per eventId.
func (s *Sandbox) receiveEvent(w http.ResponseWriter, r *http.Request) {
	if s.has(FaultReceiverSlow) && !pause(r.Context(), SlowDelay) {
		return // the sender gave up; nobody is left to answer
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(w, &problem{status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED",
			message: "events are delivered with POST"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBytes))
	if err != nil {
		refuse(w, &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
			message: "the event body was not accepted",
			details: []detail{{Field: "body", Issue: fmt.Sprintf("unreadable or larger than %d bytes", maxEventBytes)}}})
		return
	}
	if p := s.judgeEvent(r, body); p != nil {
		if p.status != http.StatusBadRequest || !s.has(FaultReceiverAcceptsMalformed) {
			refuse(w, p)
			return
		}
	}
	id := eventID(body)
	duplicate := id != "" && !s.receiver.seen.add(id)
	if duplicate && s.has(FaultReceiverFailsDuplicates) {
		// What an insert into a table keyed by eventId gives when nobody
		// expected the key to come twice.
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	sendJSON(w, http.StatusOK, eventAck{Received: true, EventID: id, Duplicate: duplicate}, nil)
}

// judgeEvent returns why an event must be refused, or nil. The checksum is
// verified before the event is read any further, so a forged event learns
// nothing from validation errors.
func (s *Sandbox) judgeEvent(r *http.Request, body []byte) *problem {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return &problem{status: http.StatusBadRequest, code: "INVALID_JSON",
			message: "the event is not a JSON object",
			details: []detail{{Field: "body", Issue: oneLine(err.Error())}}}
	}
	if !s.has(FaultReceiverAcceptsTampered) {
		if p := s.verifyChecksum(body, fields[checksumField]); p != nil {
			return p
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: map[string]string{},
		Route:      s.receiver.route,
		Options: &openapi3filter.Options{
			MultiError:          true,
			SkipSettingDefaults: true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		},
	})
	if err == nil {
		return nil
	}
	details := describe(err)
	return &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
		message: fmt.Sprintf("the event does not match the webhooks API specification (%d issue(s))", len(details)),
		details: details}
}

// verifyChecksum checks the checksum field against the canonical payload.
func (s *Sandbox) verifyChecksum(body []byte, raw json.RawMessage) *problem {
	var sum string
	if raw == nil || json.Unmarshal(raw, &sum) != nil || sum == "" {
		return &problem{status: http.StatusUnauthorized, code: "MISSING_CHECKSUM",
			message: "the event carries no checksum: sign every event (HMAC-SHA256 of the canonical payload)"}
	}
	ok, err := callbacks.Verify(body, s.cfg.checksumKey, sum, checksumField)
	if err != nil || !ok {
		return &problem{status: http.StatusUnauthorized, code: "INVALID_CHECKSUM",
			message: "the checksum does not verify: the event was not signed with this receiver's key, or was changed after signing"}
	}
	return nil
}

// eventID reads the top-level eventId, "" when there is none (only under
// receiver-accepts-malformed does such an event get this far).
func eventID(body []byte) string {
	var e struct {
		EventID any `json:"eventId"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	id, _ := e.EventID.(string)
	return id
}

// refuse writes an Error-schema answer. The API's faults (bad-error-schema,
// crash-on-invalid) do not apply: the receiver has faults of its own.
func refuse(w http.ResponseWriter, p *problem) {
	sendJSON(w, p.status, errorBody{Code: p.code, Message: p.message, Details: p.details}, nil)
}

// eventLog remembers the eventIds accepted, forgetting the oldest beyond
// max so a long-running sandbox stays bounded.
type eventLog struct {
	mu   sync.Mutex
	max  int
	ids  map[string]bool
	fifo []string // acceptance order, for eviction
}

func newEventLog(max int) *eventLog { return &eventLog{max: max, ids: map[string]bool{}} }

// add records id and reports whether it is new; a known id changes nothing.
func (l *eventLog) add(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[id] {
		return false
	}
	if len(l.ids) >= l.max {
		delete(l.ids, l.fifo[0])
		l.fifo = l.fifo[1:]
	}
	l.ids[id] = true
	l.fifo = append(l.fifo, id)
	return true
}
