package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBodyBytes bounds request bodies; an order request is a few hundred bytes.
const maxBodyBytes = 1 << 20

// ServeHTTP answers one request: faults that replace the whole exchange
// first, then routing, the bearer token, validation against the spec, and
// finally the operation's handler. The webhook receiver is a merchant's
// component, not the partner's API: the API's faults leave it alone.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == WebhookReceiverPath {
		s.receiveEvent(w, r)
		return
	}
	if s.has(FaultSlow) && !pause(r.Context(), SlowDelay) {
		return // the client went away; nobody is left to answer
	}
	if s.has(FaultMaintenance) {
		writeMaintenance(w)
		return
	}

	rt, params, allow := s.routes.find(r)
	if rt == nil {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, &problem{status: http.StatusMethodNotAllowed, code: "METHOD_NOT_ALLOWED",
				message: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + strings.Join(allow, ", ")})
			return
		}
		s.writeError(w, &problem{status: http.StatusNotFound, code: "NOT_FOUND",
			message: "no operation at " + r.Method + " " + r.URL.Path})
		return
	}
	if rt.status && s.has(FaultNoStatus) {
		http.NotFound(w, r) // what an unregistered route gives in most frameworks
		return
	}

	if !rt.public && !s.has(FaultNoAuth) && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox"`)
		s.writeError(w, &problem{status: http.StatusUnauthorized, code: "UNAUTHORIZED",
			message: "a valid bearer token is required: call POST /v1/token and send Authorization: Bearer <token>"})
		return
	}
	if !s.bufferBody(w, r) {
		return
	}
	if s.hangsOnMalformed(r, rt) {
		return // the client gave up waiting; nobody is left to answer
	}
	in := inbound{params: params}
	if !rt.checksCredentials {
		if p := validateRequest(r, rt, params); p != nil {
			if !s.has(FaultNoValidation) {
				s.rejectInvalid(w, p)
				return
			}
			in.unvalidated = true
		}
	}
	rt.handle(w, r, in)
}

// bufferBody reads the body up to maxBodyBytes and puts it back in memory,
// since both validation and the handler read it. It answers 400 (and
// reports false) for a body too large or cut off.
func (s *Sandbox) bufferBody(w http.ResponseWriter, r *http.Request) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		issue := "could not be read: " + err.Error()
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			issue = fmt.Sprintf("larger than %d bytes", tooLarge.Limit)
		}
		s.rejectInvalid(w, &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
			message: "the request body was not accepted", details: []detail{{Field: "body", Issue: issue}}})
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return true
}

// problem is an error answer before it is written: the status and the
// fields of the spec's Error schema.
type problem struct {
	status  int
	code    string
	message string
	details []detail
}

// detail is one entry of Error.details: which field, and what is wrong with it.
type detail struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

// errorBody is the spec's Error schema.
type errorBody struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Details []detail `json:"details,omitempty"`
}

// rejectInvalid answers a request whose input is invalid; it is where the
// crash-on-invalid fault turns a 400 into a 500.
func (s *Sandbox) rejectInvalid(w http.ResponseWriter, p *problem) {
	if s.has(FaultCrashOnInvalid) {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	s.writeError(w, p)
}

// writeError writes p with the Error schema (or, under bad-error-schema,
// without it: the status stays right, the body does not).
func (s *Sandbox) writeError(w http.ResponseWriter, p *problem) {
	if s.has(FaultBadErrorSchema) && p.status >= 400 && p.status < 500 {
		s.writeJSON(w, p.status, badErrorBody(p.status))
		return
	}
	s.writeJSON(w, p.status, errorBody{Code: p.code, Message: p.message, Details: p.details})
}

// writeJSON writes v as the response body. Under schema-violation, success
// bodies carry their amount as a number; under local-timestamps, their
// timestamps as a database's text.
func (s *Sandbox) writeJSON(w http.ResponseWriter, status int, v any) {
	var rewrite func([]byte) []byte
	success := status >= 200 && status < 300
	switch {
	case s.has(FaultSchemaViolation) && success:
		rewrite = amountAsNumber
	case s.has(FaultLocalTimestamps) && success:
		rewrite = localTimestamps
	}
	sendJSON(w, status, v, rewrite)
}

// sendJSON writes v as a JSON response, passed through rewrite if any.
func sendJSON(w http.ResponseWriter, status int, v any, rewrite func([]byte) []byte) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages quote "<token>"; keep them readable
	if err := enc.Encode(v); err != nil {
		// Only the sandbox's own types get here; failing to encode one is a bug.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	body := buf.Bytes()
	if rewrite != nil {
		body = rewrite(body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
