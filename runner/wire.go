package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptrace"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/golive-cert/golive/results"
)

// diagnosis is what broke on the wire, and whose problem it is.
type diagnosis struct {
	status   results.Status
	category results.Category
	what     string // what happened, for the message and the evidence
	why      string // why this category, in one sentence
}

func connection(what, why string) diagnosis {
	return diagnosis{status: results.Error, category: results.Connection, what: what, why: why}
}

func system(what, why string) diagnosis {
	return diagnosis{status: results.Error, category: results.System, what: what, why: why}
}

// The reasons, one per kind of trouble; docs/diagnosis.md quotes them.
const (
	whyDNS        = "no HTTP exchange happened: the target's host name does not resolve (DNS)"
	whyRefused    = "no HTTP exchange happened: nothing accepts connections at the target's address and port (service down, wrong port, or a firewall rejecting)"
	whyNoRoute    = "no HTTP exchange happened: the network has no route to the target (routing, VPN or firewall)"
	whyConnect    = "no HTTP exchange happened: the TCP connection could not be established in time (a firewall dropping packets, routing, or the wrong address)"
	whyTLS        = "no HTTP exchange happened: the TLS handshake or the target's certificate failed"
	whyTLSStall   = "no HTTP exchange happened: TCP connected but the TLS handshake stalled (a TLS-inspecting firewall, or a port that does not speak TLS)"
	whyBroken     = "the connection broke before the response was complete: a proxy, load balancer or crash cut it"
	whyNoAnswer   = "the target accepted the connection and the request but did not answer in time: it is reachable but not serving"
	whyStalled    = "the target started answering, then stopped sending: it is reachable but not serving"
	whyInterrupt  = "the run was interrupted while this request was on its way"
	whyUnexpected = "no complete HTTP exchange happened"
)

// diagnose reads the transport error of an exchange together with how far
// the exchange got (wireTrace): a bare "context deadline exceeded" means a
// connect timeout before the TCP handshake and a silent server after it.
func diagnose(ex *exchange) diagnosis {
	err := ex.err
	w := ex.wire.snapshot()
	host := ex.req.URL.Hostname()
	addr := w.addr
	if addr == "" {
		addr = hostPort(ex.req.URL)
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		// Only the run's own context is ever cancelled (item and request
		// timeouts are deadlines): the operator stopped the run, so the item
		// is not finished rather than failed.
		return diagnosis{status: results.Skip, what: "not finished: the run was interrupted", why: whyInterrupt}
	case ex.status != 0:
		return brokenBody(ex)
	case errors.As(err, &dnsErr):
		return connection(describeDNS(dnsErr), whyDNS)
	}
	if what, ok := describeTLS(err, host, addr); ok {
		return connection(what, whyTLS)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return connection(fmt.Sprintf("TCP connect to %s refused", dialAddr(err, addr)), whyRefused)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return connection(fmt.Sprintf("TCP connect to %s failed: no route to the host", dialAddr(err, addr)), whyNoRoute)
	case isTimeout(err):
		return timedOut(ex, w, host, addr)
	case errors.Is(err, syscall.ECONNRESET) && w.wrote:
		return connection("connection reset by the target after the request was sent, before any response", whyBroken)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return connection("connection reset by the target while the request was being sent", whyBroken)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return connection("the target closed the connection without answering (EOF after the request was sent)", whyBroken)
	}
	return connection("the HTTP exchange broke: "+innerError(err), whyUnexpected)
}

// timedOut tells apart the layers a deadline can cut: the DNS lookup, the
// TCP connect, the TLS handshake (connection issues: nothing was served),
// and the wait for an answer after connecting (a system issue).
func timedOut(ex *exchange, w wirePhases, host, addr string) diagnosis {
	within := waited(ex)
	switch {
	case w.dnsStarted && !w.dnsDone:
		return connection(fmt.Sprintf("DNS lookup of %s did not finish within %s", host, within), whyDNS)
	case !w.connected && (w.connectStarted || isDialTimeout(ex.err)):
		return connection(fmt.Sprintf("TCP connect to %s timed out after %s", dialAddr(ex.err, addr), within), whyConnect)
	case !w.connected:
		return connection(fmt.Sprintf("no connection to %s within %s", addr, within), whyConnect)
	case ex.req.URL.Scheme == "https" && !w.tlsDone:
		return connection(fmt.Sprintf("TLS handshake with %s did not finish within %s", addr, within), whyTLSStall)
	case !w.wrote:
		return system(fmt.Sprintf("connected to %s, but the request could not be sent within %s", addr, within), whyNoAnswer)
	}
	return system(fmt.Sprintf("no response within the request timeout: connected, but no response headers within %s", within), whyNoAnswer)
}

// brokenBody: the status line and headers came, the body did not.
func brokenBody(ex *exchange) diagnosis {
	n := len(ex.body)
	cut := fmt.Sprintf("body cut at %d bytes", n)
	if cl := ex.header.Get("Content-Length"); cl != "" {
		cut += " of " + cl + " announced"
	}
	switch {
	case isTimeout(ex.err):
		return system(fmt.Sprintf("status %d came, then the body stalled after %d bytes: no more data within %s", ex.status, n, waited(ex)), whyStalled)
	case errors.Is(ex.err, syscall.ECONNRESET):
		return connection(fmt.Sprintf("connection reset after the status line (%d): %s", ex.status, cut), whyBroken)
	case errors.Is(ex.err, io.ErrUnexpectedEOF), errors.Is(ex.err, io.EOF):
		return connection(fmt.Sprintf("connection closed after the status line (%d): %s", ex.status, cut), whyBroken)
	}
	return connection(fmt.Sprintf("the body broke after the status line (%d): %s: %s", ex.status, cut, innerError(ex.err)), whyBroken)
}

// waited is how long the exchange waited before it was cut: the request
// timeout when its own deadline fired, else what was measured (another
// timer, such as the transport's or the item's, fired first).
func waited(ex *exchange) time.Duration {
	if ex.timeout > 0 && errors.Is(ex.err, context.DeadlineExceeded) {
		if dl, ok := ex.req.Context().Deadline(); !ok || dl.Sub(ex.started) > ex.timeout-50*time.Millisecond {
			return ex.timeout
		}
	}
	return roundDur(ex.duration)
}

func describeDNS(e *net.DNSError) string {
	var s string
	switch {
	case e.IsNotFound:
		s = fmt.Sprintf("DNS: %s does not resolve (no such host)", e.Name)
	case e.IsTimeout:
		s = fmt.Sprintf("DNS lookup of %s timed out", e.Name)
	default:
		s = fmt.Sprintf("DNS lookup of %s failed: %s", e.Name, e.Err)
	}
	if e.Server != "" {
		s += " (name server " + e.Server + ")"
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

func isDialTimeout(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout()
}

// dialAddr is the address a failed dial went to, when the error says.
func dialAddr(err error, fallback string) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return fallback
}

func hostPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// innerError drops the `Get "URL": ` that net/http puts in front: the URL is
// already in the message, masked.
func innerError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// wireTrace records how far an exchange got on the wire. Its callbacks run
// on the transport's goroutines, some after the request has returned (a dial
// finishes in the background), hence the lock.
type wireTrace struct {
	mu sync.Mutex
	p  wirePhases
}

// wirePhases is a snapshot of a wireTrace.
type wirePhases struct {
	addr           string // the address TCP connected (or tried to connect) to
	dnsStarted     bool
	dnsDone        bool
	connectStarted bool
	connected      bool // TCP is up (or a kept-alive connection was reused)
	tlsDone        bool // the TLS handshake succeeded (or was not needed)
	wrote          bool // the whole request was written
}

func (t *wireTrace) snapshot() wirePhases {
	if t == nil {
		return wirePhases{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

func (t *wireTrace) update(f func(p *wirePhases)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.p)
}

// traceWire attaches t to the request's context. The trace stops recording
// when that context ends (the deadline fired, or send returned), so a dial
// that completes in the background afterwards cannot change the diagnosis.
func traceWire(ctx context.Context, t *wireTrace) context.Context {
	set := func(f func(p *wirePhases)) {
		if ctx.Err() == nil {
			t.update(f)
		}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { set(func(p *wirePhases) { p.dnsStarted = true }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { set(func(p *wirePhases) { p.dnsDone = true }) },
		ConnectStart: func(_, addr string) {
			set(func(p *wirePhases) { p.connectStarted, p.addr = true, addr })
		},
		ConnectDone: func(_, addr string, err error) {
			if err == nil {
				set(func(p *wirePhases) { p.connected, p.addr = true, addr })
			}
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				set(func(p *wirePhases) { p.tlsDone = true })
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			set(func(p *wirePhases) {
				p.connected, p.tlsDone = true, true
				if p.addr == "" && info.Conn != nil {
					p.addr = info.Conn.RemoteAddr().String()
				}
			})
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				set(func(p *wirePhases) { p.wrote = true })
			}
		},
	})
}
