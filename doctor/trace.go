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

func (t *Trace) update(f func(p *Phases)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.p)
}

// WithTrace attaches t to the requests made with the returned context. The
// trace stops recording when ctx ends (a deadline fired, or the caller is
// done), so a dial that completes in the background afterwards cannot
// change the diagnosis.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	set := func(f func(p *Phases)) {
		if ctx.Err() == nil {
			t.update(f)
		}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { set(func(p *Phases) { p.DNSStarted = true }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { set(func(p *Phases) { p.DNSDone = true }) },
		ConnectStart: func(_, addr string) {
			set(func(p *Phases) { p.ConnectStarted, p.Addr = true, addr })
		},
		ConnectDone: func(_, addr string, err error) {
			if err == nil {
				set(func(p *Phases) { p.Connected, p.Addr = true, addr })
			}
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				set(func(p *Phases) { p.TLSDone = true })
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			set(func(p *Phases) {
				p.Connected, p.TLSDone = true, true
				if p.Addr == "" && info.Conn != nil {
					p.Addr = info.Conn.RemoteAddr().String()
				}
			})
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				set(func(p *Phases) { p.Wrote = true })
			}
		},
	})
}
