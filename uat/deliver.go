package uat

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/golive-cert/golive/sandbox"
)

// deliverer sends the sandbox's callbacks to the partner's receiver: the
// genuine one, the same again (a retry after a lost acknowledgement), and
// a tampered copy whose checksum no longer matches. Each is recorded and
// graded.
type deliverer struct {
	s      *Session
	client *http.Client
}

func newDeliverer(s *Session) *deliverer {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if !s.cfg.AllowAnyCallbackHost {
		dialer.Control = loopbackOnly
	}
	return &deliverer{s: s, client: &http.Client{
		Transport: &http.Transport{
			Proxy:           nil,
			DialContext:     dialer.DialContext,
			TLSClientConfig: &tls.Config{RootCAs: s.cfg.CallbackRootCAs, MinVersion: tls.VersionTLS12},
		},
		// Long enough to tell a slow receiver (over AckBudget) from a dead one.
		Timeout:       s.cfg.Timing.AckBudget + 10*time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// send is the sandbox's callback sender (sandbox.WithCallbackSender).
func (d *deliverer) send(ctx context.Context, cb sandbox.Callback) {
	for _, kind := range []string{CallbackGenuine, CallbackDuplicate, CallbackTampered} {
		body := cb.Body
		if kind == CallbackTampered {
			body = tamper(cb.Body)
		}
		d.post(ctx, cb, kind, body)
	}
}

func (d *deliverer) post(ctx context.Context, cb sandbox.Callback, kind string, body []byte) {
	start := time.Now()
	ex := &Exchange{Direction: ToReceiver, API: cb.API, Reference: cb.OrderReference, Callback: kind,
		StartedAt: start.UTC(), Method: http.MethodPost, URL: d.s.masker.text(cb.URL),
		RequestHeaders: map[string]string{"Content-Type": "application/json"}}
	ex.RequestBody, ex.RequestTruncated = capped(body, d.s.cfg.MaxBodyBytes)
	dl := delivery{api: cb.API, ref: cb.OrderReference, kind: kind, ex: ex}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.URL, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "golive-uat")
		var resp *http.Response
		resp, err = d.client.Do(req)
		if err == nil {
			ack, _ := io.ReadAll(io.LimitReader(resp.Body, int64(d.s.cfg.MaxBodyBytes)))
			resp.Body.Close()
			dl.status = resp.StatusCode
			ex.Status = resp.StatusCode
			ex.ResponseBody = d.s.masker.text(string(ack))
		}
	}
	dl.took = time.Since(start)
	ex.DurationMs = float64(dl.took.Microseconds()) / 1000
	if err != nil {
		if ctx.Err() != nil {
			// The session ended while it was being sent: the receiver is
			// not to blame, so it is recorded but not graded.
			ex.Error = "not delivered: the session ended"
			ex.Seq = d.s.next()
			d.s.rec.write(ex)
			return
		}
		dl.err = oneLine(err.Error())
		ex.Error = d.s.masker.text(dl.err)
	}
	ex.Seq = d.s.next()
	problems := d.s.tracker.observeDelivery(dl)
	d.s.rec.write(ex)
	msg := fmt.Sprintf("%s callback for %s -> %d", kind, cb.OrderReference, dl.status)
	if dl.err != "" {
		msg = fmt.Sprintf("%s callback for %s: %s", kind, cb.OrderReference, ex.Error)
	}
	d.s.emit(Event{Kind: EventCallback, API: cb.API, Message: msg})
	if problems > 0 {
		d.s.emit(Event{Kind: EventProblem, API: cb.API, Message: "problem: " + msg})
	}
}

func (d *deliverer) close() { d.client.CloseIdleConnections() }

// tamper changes the amount of a signed callback and keeps its checksum,
// as someone forging a callback would.
func tamper(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return append(bytes.TrimSpace(body), ' ')
	}
	m["amount"] = "999999.00"
	if m["status"] == "FAILED" {
		m["status"], m["failureReason"] = "SUCCESS", nil
	}
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// loopbackOnly refuses connections beyond loopback (see Config.AllowAnyCallbackHost).
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("uat callback: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("uat callback: %s is not a loopback address (the session allows loopback only)", host)
	}
	return nil
}
