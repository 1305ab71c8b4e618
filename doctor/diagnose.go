package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"syscall"
	"time"
)

// This file is golive's one network diagnosis. golive run describes a
// failed exchange with it, and doctor each layer it checks, so the two never
// disagree about the same endpoint. docs/diagnosis.md lists every message;
// keep the two in step.

// Wire is a plain record of one attempt to reach a target: how far it got
// on the wire and what ended it.
type Wire struct {
	URL *url.URL // what was requested: its scheme and host
	Phases
	// Status is the response status, 0 when no response came. With a
	// status, Err broke the body: BodyBytes of it had arrived, of the
	// ContentLength announced ("" when none was).
	Status        int
	BodyBytes     int
	ContentLength string
	Err           error         // what ended the attempt
	Waited        time.Duration // how long it waited: the timeout, when one fired
	Now           time.Time     // when: the clock certificates are judged by (zero: now)
}

// Phases says how far an attempt got on the wire.
type Phases struct {
	Addr           string // the address TCP connected (or tried to connect) to
	DNSStarted     bool
	DNSDone        bool
	ConnectStarted bool
	Connected      bool // TCP is up (or a kept-alive connection was reused)
	TLSDone        bool // the TLS handshake succeeded (or was not needed)
	Wrote          bool // the whole request was written
}

// The layers, as doctor names them.
const (
	LayerDNS  = "dns"
	LayerTCP  = "tcp"
	LayerTLS  = "tls"
	LayerHTTP = "http"
)

// Category says whose move a failure is (DESIGN.md, "Failure categories").
type Category string

const (
	// Connection: no HTTP exchange happened, or it broke.
	Connection Category = "connection"
	// System: the target is reachable but not serving.
	System Category = "system"
	// Integration: the target answered, but not in HTTP a client can read
	// (a malformed status line or header): its developers' defect.
	Integration Category = "integration"
)

// Finding is what Diagnose concluded.
type Finding struct {
	Layer    string   // where it broke: LayerDNS, LayerTCP, LayerTLS or LayerHTTP ("" when interrupted)
	Category Category // "" when interrupted
	// Interrupted: the caller's own context was cancelled (the operator
	// stopped golive), so nothing can be said about the target.
	Interrupted bool
	// Summary is what happened, as doctor's line for the layer says it:
	// "the certificate of partner.example expired on 2026-11-21 12:05 UTC".
	Summary string
	Why     string // why this category, in one sentence
	Fix     string // what to check
	// lead names the layer where Summary does not ("TLS: "), so that
	// Message stands alone.
	lead string
}

// Message is Summary standing alone, as a run's message says it: "TLS: the
// certificate of partner.example expired on 2026-11-21 12:05 UTC". It always
// ends with Summary.
func (f Finding) Message() string { return f.lead + f.Summary }

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
	whyStalled    = "the target started answering, then stopped sending or sent too slowly: it is reachable but not serving"
	whyInterrupt  = "the run was interrupted while this request was on its way"
	whyUnexpected = "no complete HTTP exchange happened"
	whyMalformed  = "the target answered, but its response is not valid HTTP: no client can read it"
)

// The fixes, one per layer (certificates have their own, in certs.go).
const (
	fixDNS = "Check the host name for typos, and ask the partner whether it is public or resolves only inside their network or VPN " +
		"(then golive must run from there)."
	fixTCP = "Check the port, that the partner's service is listening, and that firewalls and allow-lists let in the address golive runs from."
)

func fixTLS(host, addr string) string {
	port := addr
	if _, p, err := net.SplitHostPort(addr); err == nil {
		port = p
	}
	return "Ask the partner to serve TLS 1.2 or later with a certificate for " + host + " on port " + port + "."
}

func fixHTTP(addr string) string {
	return "The target accepts connections but does not answer HTTP: ask the partner's operations team to check the service behind " + addr + "."
}

// Diagnose reads what ended an attempt together with how far it got: a bare
// "context deadline exceeded" means a connect timeout before the TCP
// handshake and a silent server after it.
func Diagnose(w Wire) Finding {
	d := diagnosis{w: w, host: w.URL.Hostname(), addr: w.Addr}
	if d.addr == "" {
		d.addr = hostPort(w.URL)
	}
	return d.run()
}

// diagnosis is one Diagnose: the record and what is derived from it.
type diagnosis struct {
	w    Wire
	host string // the URL's host: what certificates must name
	addr string // where TCP went
}

func (d diagnosis) run() Finding {
	err := d.w.Err
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		// Only the caller's own context is ever cancelled (timeouts are
		// deadlines): the operator stopped golive, so the attempt is not
		// finished rather than failed.
		return Finding{Interrupted: true, Summary: "not finished: the run was interrupted", Why: whyInterrupt}
	case d.w.Status != 0:
		return d.brokenBody()
	case errors.As(err, &dnsErr):
		return d.dns(dnsErr)
	}
	if f, ok := d.tls(); ok {
		return f
	}
	var malformed textproto.ProtocolError
	if errors.As(err, &malformed) {
		return Finding{Layer: LayerHTTP, Category: Integration, Why: whyMalformed,
			Summary: "the response is malformed HTTP: " + string(malformed),
			Fix:     "Have the partner's developers fix the response they write (header names and values must not hold control characters or line breaks)."}
	}
	reset := errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return d.connection(LayerTCP, fmt.Sprintf("TCP connect to %s refused", d.dialAddr()), whyRefused)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return d.connection(LayerTCP, fmt.Sprintf("TCP connect to %s failed: no route to the host", d.dialAddr()), whyNoRoute)
	case isTimeout(err):
		return d.timedOut()
	case (reset || eof) && d.inHandshake():
		return d.connection(LayerTLS, d.addr+" closed the connection during the TLS handshake", whyTLS)
	case errors.Is(err, syscall.ECONNRESET) && d.w.Wrote:
		return d.connection(LayerHTTP, "connection reset by the target after the request was sent, before any response", whyBroken)
	case reset:
		return d.connection(LayerHTTP, "connection reset by the target while the request was being sent", whyBroken)
	case eof:
		return d.connection(LayerHTTP, "the target closed the connection without answering (EOF after the request was sent)", whyBroken)
	}
	return d.unexpected()
}

// connection and system make a finding of that category, with the fix of
// its layer.
func (d diagnosis) connection(layer, summary, why string) Finding {
	return Finding{Layer: layer, Category: Connection, Summary: summary, Why: why, Fix: d.fix(layer)}
}

func (d diagnosis) system(layer, summary, why string) Finding {
	return Finding{Layer: layer, Category: System, Summary: summary, Why: why, Fix: d.fix(layer)}
}

func (d diagnosis) fix(layer string) string {
	switch layer {
	case LayerDNS:
		return fixDNS
	case LayerTCP:
		return fixTCP
	case LayerTLS:
		return fixTLS(d.host, d.addr)
	}
	return fixHTTP(d.addr)
}

func (d diagnosis) dns(e *net.DNSError) Finding {
	name := e.Name
	if name == "" {
		name = d.host
	}
	var f Finding
	switch {
	case e.IsNotFound:
		f = d.connection(LayerDNS, name+" does not resolve (no such host)", whyDNS)
		f.lead = "DNS: "
	case e.IsTimeout:
		f = d.connection(LayerDNS, "DNS lookup of "+name+" timed out", whyDNS)
	default:
		f = d.connection(LayerDNS, fmt.Sprintf("DNS lookup of %s failed: %s", name, e.Err), whyDNS)
	}
	if e.Server != "" {
		f.Summary += " (name server " + e.Server + ")"
	}
	return f
}

// timedOut tells apart the layers a deadline can cut: the DNS lookup, the
// TCP connect, the TLS handshake (connection issues: nothing was served),
// and the wait for an answer after connecting (a system issue).
func (d diagnosis) timedOut() Finding {
	w, within := d.w, roundLatency(d.w.Waited)
	switch {
	case w.DNSStarted && !w.DNSDone:
		return d.connection(LayerDNS, fmt.Sprintf("DNS lookup of %s did not finish within %s", d.host, within), whyDNS)
	case !w.Connected && (w.ConnectStarted || isDialTimeout(w.Err)):
		return d.connection(LayerTCP, fmt.Sprintf("TCP connect to %s timed out after %s", d.dialAddr(), within), whyConnect)
	case !w.Connected:
		return d.connection(LayerTCP, fmt.Sprintf("no connection to %s within %s", d.addr, within), whyConnect)
	case d.inHandshake():
		return d.connection(LayerTLS, fmt.Sprintf("TLS handshake with %s did not finish within %s", d.addr, within), whyTLSStall)
	case !w.Wrote:
		return d.system(LayerHTTP, fmt.Sprintf("connected to %s, but the request could not be sent within %s", d.addr, within), whyNoAnswer)
	}
	f := d.system(LayerHTTP, fmt.Sprintf("connected, but no response headers within %s", within), whyNoAnswer)
	f.lead = "no response within the request timeout: "
	return f
}

// brokenBody: the status line and headers came, the body did not.
func (d diagnosis) brokenBody() Finding {
	w, n := d.w, d.w.BodyBytes
	cut := fmt.Sprintf("body cut at %d bytes", n)
	if w.ContentLength != "" {
		cut += " of " + w.ContentLength + " announced"
	}
	switch {
	case isTimeout(w.Err):
		// The request's one deadline covers the body: a body that stops and
		// one that dribbles too slowly end the same way.
		return d.system(LayerHTTP, fmt.Sprintf("status %d came, but the body was not complete within %s (%d bytes read)",
			w.Status, roundLatency(w.Waited), n), whyStalled)
	case errors.Is(w.Err, syscall.ECONNRESET):
		return d.connection(LayerHTTP, fmt.Sprintf("connection reset after the status line (%d): %s", w.Status, cut), whyBroken)
	case errors.Is(w.Err, io.ErrUnexpectedEOF), errors.Is(w.Err, io.EOF):
		return d.connection(LayerHTTP, fmt.Sprintf("connection closed after the status line (%d): %s", w.Status, cut), whyBroken)
	}
	return d.connection(LayerHTTP, fmt.Sprintf("the body broke after the status line (%d): %s: %s", w.Status, cut, innerError(w.Err)), whyBroken)
}

// unexpected words an error no rule knows, at the layer the attempt had
// reached.
func (d diagnosis) unexpected() Finding {
	w, msg := d.w, innerError(d.w.Err)
	switch {
	case w.DNSStarted && !w.DNSDone:
		return d.connection(LayerDNS, fmt.Sprintf("DNS lookup of %s failed: %s", d.host, msg), whyDNS)
	case isDial(w.Err) || !w.Connected && w.ConnectStarted:
		return d.connection(LayerTCP, fmt.Sprintf("TCP connect to %s failed: %s", d.dialAddr(), msg), whyUnexpected)
	case d.inHandshake():
		return d.connection(LayerTLS, fmt.Sprintf("TLS handshake with %s failed: %s", d.addr, msg), whyTLS)
	}
	return d.connection(LayerHTTP, "the HTTP exchange broke: "+msg, whyUnexpected)
}

// inHandshake: TCP is up on an https:// URL and TLS is not.
func (d diagnosis) inHandshake() bool {
	return d.w.URL.Scheme == "https" && d.w.Connected && !d.w.TLSDone
}

// dialAddr is the address a failed dial went to, when the error says.
func (d diagnosis) dialAddr() string {
	var opErr *net.OpError
	if errors.As(d.w.Err, &opErr) && opErr.Op == "dial" && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return d.addr
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

func isDial(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func isDialTimeout(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout()
}

func hostPort(u *url.URL) string {
	return net.JoinHostPort(u.Hostname(), portOf(u))
}

// innerError drops the `Get "URL": ` that net/http puts in front: the URL is
// already in the message, masked.
func innerError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// roundLatency keeps times readable: 0.42ms, 12ms, 1.2s.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d < time.Second:
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
