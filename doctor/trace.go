package doctor

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"sync"
)

// Trace records how far an HTTP exchange gets on the wire, for Diagnose.
// Its callbacks run on the transport's goroutines, some after the request
// has returned (a dial finishes in the background), hence the lock.
type Trace struct {
	mu sync.Mutex
	p  Phases

	// Set by WithTrace. The hooks are the Trace's own methods and live in
	// it, so a traced request costs one allocation per hook, not a closure
	// per hook and another per event (a traced request is every request
	// golive sends).
	ctx   context.Context
	hooks httptrace.ClientTrace
}

// Phases is what the trace has recorded; a nil Trace has recorded nothing.
func (t *Trace) Phases() Phases {
	if t == nil {
		return Phases{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

// ended reports whether the traced request's context has ended, after
// which nothing more is recorded.
func (t *Trace) ended() bool { return t.ctx.Err() != nil }

// WithTrace attaches t to the requests made with the returned context. The
// trace stops recording when ctx ends (a deadline fired, or the caller is
// done), so a dial that completes in the background afterwards cannot
// change the diagnosis. A Trace is attached once.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	t.ctx = ctx
	t.hooks = httptrace.ClientTrace{
		DNSStart:         t.dnsStart,
		DNSDone:          t.dnsDone,
		ConnectStart:     t.connectStart,
		ConnectDone:      t.connectDone,
		TLSHandshakeDone: t.tlsDone,
		GotConn:          t.gotConn,
		WroteRequest:     t.wroteRequest,
	}
	return httptrace.WithClientTrace(ctx, &t.hooks)
}

func (t *Trace) dnsStart(httptrace.DNSStartInfo) {
	if t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.DNSStarted = true
}

func (t *Trace) dnsDone(httptrace.DNSDoneInfo) {
	if t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.DNSDone = true
}

func (t *Trace) connectStart(_, addr string) {
	if t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.ConnectStarted, t.p.Addr = true, addr
}

func (t *Trace) connectDone(_, addr string, err error) {
	if err != nil || t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Connected, t.p.Addr = true, addr
}

func (t *Trace) tlsDone(_ tls.ConnectionState, err error) {
	if err != nil || t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.TLSDone = true
}

func (t *Trace) gotConn(info httptrace.GotConnInfo) {
	if t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Connected, t.p.TLSDone = true, true
	if t.p.Addr == "" && info.Conn != nil {
		t.p.Addr = info.Conn.RemoteAddr().String()
	}
}

func (t *Trace) wroteRequest(info httptrace.WroteRequestInfo) {
	if info.Err != nil || t.ended() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Wrote = true
}
