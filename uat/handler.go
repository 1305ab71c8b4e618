package uat

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxRequestBytes is what the session reads of a request body; the sandbox
// refuses anything larger anyway.
const maxRequestBytes = 1 << 20

// ServeHTTP records one exchange of the partner's client: it scripts the
// answer where a case says so, otherwise lets the sandbox answer, and
// records the exchange (masked) before returning.
func (s *Session) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		writeProblem(w, http.StatusGone, "SESSION_ENDED", "this UAT session has ended")
		return
	}
	defer s.inflight.Done()
	start := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rt, params := s.catalog.match(r.Method, r.URL.EscapedPath())
	f := &fact{at: start, tls: r.TLS != nil}
	if rt != nil {
		f.api, f.role, f.secured, f.ref = rt.api, rt.role, rt.secured, params["orderReference"]
		if rt.role == roleToken {
			f.api = ""
		}
	}
	if f.role == rolePreview || f.role == roleInitiate {
		f.order = readOrderFields(body)
		f.ref = f.order.Ref
	}
	if tok := bearer(r.Header.Get("Authorization")); tok != "" {
		f.token = s.masker.tokenLabel(tok)
	}

	cw := &captureWriter{header: http.Header{}}
	switch {
	case f.secured && s.scen.tokenExpired(rt.api, f.token):
		f.simulated = CaseTokenExpiry
		cw.Header().Set("WWW-Authenticate", `Bearer realm="golive-uat", error="invalid_token"`)
		writeProblem(cw, http.StatusUnauthorized, "UNAUTHORIZED", "the token has expired: call POST /v1/token for a new one and repeat the call")
	case f.role == roleInitiate && f.order.Amount == MaintenanceAmount && s.scen.maintenance(rt.api, f.ref, start):
		f.simulated = CaseMaintenance
		cw.Header().Set("Retry-After", strconv.Itoa(int(s.cfg.Timing.RetryAfter/time.Second)))
		writeProblem(cw, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "scheduled maintenance: retry after the Retry-After seconds with the same orderReference")
	default:
		s.sb.ServeHTTP(cw, r)
	}
	if f.role == roleInitiate && f.order.Amount == TimeoutAmount && cw.status == http.StatusOK &&
		s.scen.hold(rt.api, f.order.Phone, f.ref) {
		f.simulated = CaseTimeout
		f.clientGone = !s.holdAnswer(r)
	}
	f.status = cw.status
	f.orderStatus, f.errorCode = readAnswer(cw.body.Bytes())
	f.retryAfter = parseRetryAfter(cw.Header().Get("Retry-After"))
	if f.role == roleStatus && isFinal(f.orderStatus) {
		if o := readOrderFields(cw.body.Bytes()); o.Phone != "" {
			s.scen.learned(f.api, o.Phone, f.ref)
		}
	}
	if f.role == roleToken && cw.status == http.StatusOK {
		var tok struct{ Token string }
		if json.Unmarshal(cw.body.Bytes(), &tok) == nil {
			f.token = s.masker.tokenLabel(tok.Token)
		}
	}
	f.answeredAt = time.Now()
	if !f.clientGone {
		cw.flushTo(w)
	}
	f.credsInURL = s.credentialsIn(r)
	if rt != nil {
		f.violations = s.catalog.validate(r.Context(), rt, params, r.Method, r.URL.String(), r.Header, body)
	}
	f.ex = s.exchangeOf(f, r, body, cw, start)
	s.record(f)
}

// holdAnswer waits Timing.Hold before the answer is written; it reports
// false when the client went away first. A session ending releases it.
func (s *Session) holdAnswer(r *http.Request) bool {
	t := time.NewTimer(s.cfg.Timing.Hold)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stopping:
		return true
	case <-r.Context().Done():
		return false
	}
}

// credentialsIn names the credential a request's URL carries, if any.
func (s *Session) credentialsIn(r *http.Request) string {
	raw := r.URL.RequestURI()
	if s.masker.containsSecret(raw) {
		return "a credential or token"
	}
	for name := range r.URL.Query() {
		if credentialParam(name) {
			return "query parameter " + name
		}
	}
	return ""
}

// record assigns the exchange its number, feeds the tracker, writes it to
// the recording and tells the observer.
func (s *Session) record(f *fact) {
	f.ex.Seq = s.next()
	newCases, problems := s.tracker.observe(f)
	s.rec.write(f.ex)
	line := f.ex.Method + " " + f.ex.URL + " -> " + strconv.Itoa(f.ex.Status)
	if f.simulated != "" {
		line += " (simulated: " + f.simulated + ")"
	}
	if f.clientGone {
		line += " (client went away)"
	}
	s.emit(Event{Kind: EventExchange, API: f.api, Message: line})
	for _, c := range newCases {
		s.emit(Event{Kind: EventCase, API: f.api, Case: c, Message: "case played: " + c})
	}
	if problems > 0 {
		s.emit(Event{Kind: EventProblem, API: f.api, Message: "problem: " + line})
	}
}

func (s *Session) exchangeOf(f *fact, r *http.Request, body []byte, cw *captureWriter, start time.Time) *Exchange {
	max := s.cfg.MaxBodyBytes
	ex := &Exchange{
		Direction: FromClient, API: f.api, Reference: f.ref, Simulated: f.simulated, Token: f.token,
		Remote: r.RemoteAddr, StartedAt: start.UTC(),
		DurationMs: float64(f.answeredAt.Sub(start).Microseconds()) / 1000,
		Method:     r.Method, URL: s.masker.text(r.URL.RequestURI()),
		RequestHeaders: maskedHeaders(r.Header, s.masker),
		Status:         cw.status, ResponseHeaders: maskedHeaders(cw.Header(), s.masker),
		ClientGone: f.clientGone,
	}
	if rt, _ := s.catalog.match(r.Method, r.URL.EscapedPath()); rt != nil {
		ex.Operation = rt.op.ID
	}
	ex.RequestBody, ex.RequestTruncated = capped(body, max)
	ex.RequestBody = s.masker.text(ex.RequestBody)
	ex.ResponseBody, ex.ResponseTruncated = capped(cw.body.Bytes(), max)
	ex.ResponseBody = s.masker.text(ex.ResponseBody)
	return ex
}

// captureWriter buffers the sandbox's answer, so the session can hold it
// (the timeout case) and record it before it is sent.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(p)
}

func (c *captureWriter) flushTo(w http.ResponseWriter) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if c.status == 0 {
		c.status = http.StatusOK
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body.Bytes())
}

// writeProblem writes an answer in the APIs' Error schema.
func writeProblem(w http.ResponseWriter, status int, code, message string) {
	b, _ := json.Marshal(map[string]string{"code": code, "message": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
