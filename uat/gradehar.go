package uat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/golive-cert/golive/results"
)

// HAROptions tune GradeHAR.
type HAROptions struct {
	Partner string
	Version string
	// Timing supplies the documented pace (MinPollInterval) the recording is
	// held to. Zero: the pace a golive session's recording.har states (the
	// session's own rules, so grading it again agrees with the session),
	// else DefaultTiming().
	Timing Timing
}

// GradeHAR grades a HAR 1.2 recording of a client's traffic with the items
// traffic alone can decide; the others are skipped as needing a live
// session. Items the recording lacks the traffic for are not skipped: no
// call of the API (token requests alone included) fails traffic as a
// connection failure (NOT TESTABLE), no payment initiated (or no token
// issued) fails the items that need one as integration failures (NOT
// CERTIFIED). A reader that is not HAR gives a *NotHARError, an unknown API
// an *UnknownAPIError.
func GradeHAR(api string, r io.Reader) (*results.Run, error) {
	return GradeHARWith(api, r, HAROptions{})
}

// GradeHARWith is GradeHAR with options.
func GradeHARWith(api string, r io.Reader, o HAROptions) (*results.Run, error) {
	if !IsAPI(api) {
		return nil, &UnknownAPIError{Name: api}
	}
	doc, err := readHAR(r)
	if err != nil {
		return nil, err
	}
	if o.Timing == (Timing{}) {
		o.Timing = DefaultTiming()
		if d := doc.Log.pollInterval(); d > 0 {
			o.Timing.MinPollInterval = d
		}
	}
	ctx := context.Background()
	cat, err := newCatalog(ctx, []string{api})
	if err != nil {
		return nil, err
	}
	entries := doc.Log.Entries
	times := make([]time.Time, len(entries))
	for i, e := range entries {
		times[i], _ = time.Parse(time.RFC3339Nano, e.StartedDateTime)
	}
	idx := make([]int, len(entries))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return times[idx[a]].Before(times[idx[b]]) })

	m := newMasker(Credentials{})
	t := newTracker(o.Timing, false, true, []string{api})
	var first, last time.Time
	base := ""
	for n, i := range idx {
		f, prefix := harFact(ctx, cat, m, &entries[i], times[i], int64(n+1))
		if f == nil {
			continue
		}
		if first.IsZero() {
			first = f.at
			if u, err := url.Parse(entries[i].Request.URL); err == nil {
				base = u.Scheme + "://" + u.Host + prefix
			}
		}
		last = f.answeredAt
		t.observe(f)
	}
	if first.IsZero() {
		first, last = time.Now(), time.Now()
	}
	return t.grade(gradeInput{apis: []string{api}, catalog: cat, partner: o.Partner, baseURL: base,
		version: o.Version, started: first, finished: last, reason: EndStopped, live: false}), nil
}

// harFact reads one entry, and the base path the API was called under;
// nil when it is not a call of the API. A recording is made against
// whatever base URL the client was given, so the API's paths are found
// under any prefix.
func harFact(ctx context.Context, cat *catalog, m *masker, e *harEntry, at time.Time, seq int64) (*fact, string) {
	u, err := url.Parse(e.Request.URL)
	if err != nil {
		return nil, ""
	}
	rt, params, prefix := cat.matchUnder(e.Request.Method, u.EscapedPath(), true)
	if rt == nil {
		return nil, ""
	}
	header := http.Header{}
	for _, h := range e.Request.Headers {
		header.Add(h.Name, h.Value)
	}
	// Credentials golive did not issue are learnt here, so they are masked
	// in the report like the session's own.
	m.addSecret(header.Get("client-id"))
	m.addSecret(header.Get("api-key"))
	body := []byte(nil)
	if e.Request.PostData != nil {
		body = []byte(e.Request.PostData.Text)
	}
	respBody := []byte(e.Response.Content.Text)
	respHeader := http.Header{}
	for _, h := range e.Response.Headers {
		respHeader.Add(h.Name, h.Value)
	}
	f := &fact{at: at, answeredAt: at.Add(time.Duration(e.Time * float64(time.Millisecond))),
		api: rt.api, role: rt.role, secured: rt.secured, ref: params["orderReference"],
		status: e.Response.Status, plainHTTP: u.Scheme == "http", tls: u.Scheme == "https"}
	if rt.role == roleToken {
		f.api = ""
		var tok struct{ Token string }
		if json.Unmarshal(respBody, &tok) == nil && tok.Token != "" {
			f.token = m.tokenLabel(tok.Token)
		}
	}
	if f.role == rolePreview || f.role == roleInitiate {
		f.order = readOrderFields(body)
		f.ref = f.order.Ref
	}
	if tok := bearer(header.Get("Authorization")); tok != "" {
		f.token = m.tokenLabel(tok)
	}
	if g := e.Golive; g != nil {
		f.simulated, f.clientGone = g.Simulated, g.ClientGone
	}
	if f.status == 0 {
		f.clientGone = true
	}
	f.orderStatus, f.errorCode = readAnswer(respBody)
	f.retryAfter = parseRetryAfter(respHeader.Get("Retry-After"))
	f.violations = cat.validate(ctx, rt, params, e.Request.Method, u.String(), header, body)
	if m.containsSecret(u.RequestURI()) {
		f.credsInURL = "a credential or token"
	}
	for name := range u.Query() {
		if credentialParam(name) {
			f.credsInURL = "query parameter " + name
		}
	}
	ex := &Exchange{Seq: seq, Direction: FromClient, API: rt.api, Operation: rt.op.ID, Reference: f.ref,
		Simulated: f.simulated, Token: f.token, StartedAt: at.UTC(), DurationMs: e.Time,
		Method: e.Request.Method, URL: m.text(u.RequestURI()), RequestHeaders: maskedHeaders(header, m),
		Status: f.status, ResponseHeaders: maskedHeaders(respHeader, m), ClientGone: f.clientGone}
	ex.RequestBody, ex.RequestTruncated = capped([]byte(m.text(string(body))), 16<<10)
	ex.ResponseBody, ex.ResponseTruncated = capped([]byte(m.text(string(respBody))), 16<<10)
	f.ex = ex
	return f, prefix
}
