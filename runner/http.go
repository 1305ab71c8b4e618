package runner

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/results"
)

func newHTTPClient(cfg config) (*http.Client, error) {
	tlsConf, err := clientTLS(cfg)
	if err != nil {
		return nil, err
	}
	// No ResponseHeaderTimeout: each request's own deadline (send, with the
	// API's timeout) bounds the wait for headers and body alike, so the
	// timeout a message names is the one that fired.
	tr := &http.Transport{
		TLSClientConfig:        tlsConf,
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    5 * time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    cfg.concurrency + 2,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		// A certified integration answers where it is called; a redirect is
		// reported as the status it is, never followed (no loops, no leaks of
		// credentials to another host).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// exchange is one request and what came back, before masking.
type exchange struct {
	step      string
	attempt   int
	started   time.Time
	duration  time.Duration
	req       *http.Request
	reqBody   []byte
	status    int
	header    http.Header
	body      []byte
	truncated bool
	err       error
	timeout   time.Duration // the request's timeout, for the diagnosis
	wire      *doctor.Trace // how far the exchange got on the wire, for the diagnosis
	// bodyStats is set once body has been shrunk (evidence.go): the size
	// and hash of the body as it was read.
	bodyStats *bodyStats
	// learned is set by sendOnce once the values at the suite's secret paths
	// in both bodies are registered, on the whole bodies: recording the
	// exchange later (with the same suite's paths) need not look again.
	learned bool
}

// send performs one request with its own timeout and reads the body up to
// the cap, so one huge or endless response cannot exhaust memory.
func (r *Runner) send(ctx context.Context, req *http.Request, body []byte, timeout time.Duration) *exchange {
	// A request slot first (schedule.go), before the timeout and the clock
	// start: time queued behind the run's other requests is golive's, not the
	// target's. When ctx ends first, client.Do fails at once with its error.
	if !holdsSlot(ctx) && r.sched.acquire(ctx) {
		defer r.sched.release()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wire := &doctor.Trace{}
	req = req.WithContext(doctor.WithTrace(ctx, wire))
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	ex := &exchange{req: req, reqBody: body, started: time.Now(), timeout: timeout, wire: wire}
	resp, err := r.client.Do(req)
	if err != nil {
		ex.duration = time.Since(ex.started)
		ex.err = err
		return ex
	}
	defer resp.Body.Close()
	ex.status, ex.header = resp.StatusCode, resp.Header
	r.sched.observe(ex.status)
	data, err := readBody(io.LimitReader(resp.Body, r.cfg.bodyCap+1), resp.ContentLength, r.cfg.bodyCap)
	ex.duration = time.Since(ex.started)
	if int64(len(data)) > r.cfg.bodyCap {
		data, ex.truncated = data[:r.cfg.bodyCap], true
	}
	ex.body = data
	if err != nil && !errors.Is(err, io.EOF) {
		ex.err = err // broken mid-body: the status came, the body did not
	}
	return ex
}

// readBody is io.ReadAll, starting with room for the declared length (when
// there is one and it is within the cap) instead of growing from 512 bytes
// by copies. One byte more than declared is room for the read that sees
// EOF; a body longer than declared grows as io.ReadAll would.
func readBody(r io.Reader, declared, bodyCap int64) ([]byte, error) {
	size := 512
	if declared >= 0 && declared <= bodyCap {
		size = int(declared) + 1
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow as append does
		}
	}
}

// record masks the exchange for the results: known secrets, values at the
// suite's secret JSON paths, and card numbers in bodies. Bodies are kept up
// to the evidence cap (evidence.go).
func (r *Runner) record(ex *exchange, secretPaths []string) results.Exchange {
	return r.recordKept(ex, secretPaths, true)
}

// recordKept is record; with keep false the bodies are summarised only
// (size and hash), for evidence past an item's or the run's budget.
func (r *Runner) recordKept(ex *exchange, secretPaths []string, keep bool) results.Exchange {
	if !ex.learned {
		r.learnSecrets(ex, secretPaths)
	}
	reqBody, reqDigest := r.evidenceBody(ex.reqBody, nil, keep)
	out := results.Exchange{
		Step:       ex.step,
		Attempt:    ex.attempt,
		StartedAt:  ex.started,
		DurationMs: ex.duration.Milliseconds(),
		Request: results.Request{
			Method:     ex.req.Method,
			URL:        r.secrets.Mask(ex.req.URL.String()),
			Headers:    r.maskHeaders(ex.req.Header),
			Body:       reqBody,
			BodyDigest: reqDigest,
		},
	}
	if ex.err != nil {
		out.Error = r.secrets.Mask(describeTransport(ex))
	}
	if ex.status != 0 {
		body, digest := r.evidenceBody(ex.body, ex.bodyStats, keep)
		out.Response = &results.Response{
			Status:     ex.status,
			Headers:    r.maskHeaders(ex.header),
			Body:       body,
			Truncated:  ex.truncated,
			BodyDigest: digest,
		}
	}
	return out
}

func (r *Runner) maskHeaders(h http.Header) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if sensitiveHeader(k) {
			v = maskCredential(v)
		}
		out[k] = r.secrets.Mask(v)
	}
	return out
}

// maskCredential keeps the scheme of an Authorization value ("Bearer ****")
// so a reader can still see what kind of credential was sent.
func maskCredential(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && len(scheme) < 16 {
		return scheme + " " + mask
	}
	return mask
}

// printable returns the body as text, replacing invalid UTF-8 so reports
// stay valid JSON and XML.
func printable(b []byte) string {
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// learnSecrets registers the values at the suite's secret JSON paths as
// soon as an exchange happens, so no message or progress line shows them.
func (r *Runner) learnSecrets(ex *exchange, secretPaths []string) {
	for _, body := range [][]byte{ex.reqBody, ex.body} {
		for _, p := range secretPaths {
			if v := gjson.GetBytes(body, p); v.Exists() && v.Type == gjson.String {
				r.secrets.AddLearned(v.Str, "GOLIVE_SECRET")
			}
		}
	}
}
