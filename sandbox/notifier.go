package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxPendingCallbacks bounds the callbacks waiting for their order to
// settle. Each is one timer, and one goroutine while it is being sent, so
// a client that creates orders in a loop cannot grow either without limit;
// beyond it, callbacks are dropped (the status query still tells the outcome).
const maxPendingCallbacks = 1024

// maxAckBytes is how much of a callback's answer is read: only its status
// matters, and the connection can then be reused.
const maxAckBytes = 4 << 10

// notifier sends callbacks: later (when an order settles) or at once. It
// starts nothing until a callback is scheduled, and close stops everything
// it started: timers are stopped, sends in flight are cancelled and waited for.
type notifier struct {
	client  *http.Client
	anyHost bool
	ctx     context.Context // cancelled by close: ends sends in flight
	cancel  context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending map[*time.Timer]struct{}
	wg      sync.WaitGroup // one per pending timer and per send in flight
}

func newNotifier(timeout time.Duration, anyHost bool) *notifier {
	dialer := &net.Dialer{Timeout: timeout}
	if !anyHost {
		// Checked again where the connection is made, on the resolved
		// address: "localhost" pointing elsewhere is refused too.
		dialer.Control = loopbackOnly
	}
	transport := &http.Transport{
		Proxy:               nil, // a proxy would carry loopback calls elsewhere
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &notifier{
		client: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// A redirect could lead off loopback; a callback is one POST.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		anyHost: anyHost,
		ctx:     ctx,
		cancel:  cancel,
		pending: map[*time.Timer]struct{}{},
	}
}

// mayCall reports whether a callback to rawURL may be sent: an absolute
// http(s) URL, on a loopback host unless any host is allowed.
func (n *notifier) mayCall(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return false
	}
	return n.anyHost || isLoopbackHost(u.Hostname())
}

// after runs send once d has passed, unless the notifier is closed first
// or too many callbacks are pending. It reports whether send was scheduled.
func (n *notifier) after(d time.Duration, send func(context.Context)) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || len(n.pending) >= maxPendingCallbacks {
		return false
	}
	n.wg.Add(1)
	var t *time.Timer
	// The timer's function takes n.mu before it reads t, and n.mu is held
	// until t is assigned: even a timer that fires at once sees it.
	t = time.AfterFunc(d, func() {
		defer n.wg.Done()
		n.mu.Lock()
		delete(n.pending, t)
		closed := n.closed
		n.mu.Unlock()
		if !closed {
			send(n.ctx)
		}
	})
	n.pending[t] = struct{}{}
	return true
}

// now runs send in the caller's goroutine, so that close waits for it too.
func (n *notifier) now(send func(context.Context)) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	defer n.wg.Done()
	send(n.ctx)
}

// post sends one callback and reports the status it got (0: no answer).
// A callback is sent once and not retried: the sandbox's faults decide
// when it is sent twice.
func (n *notifier) post(ctx context.Context, target string, body []byte) int {
	status, _ := n.deliver(ctx, target, body)
	return status
}

// deliver sends one callback and returns the receiver's status, or why
// none came.
func (n *notifier) deliver(ctx context.Context, target string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "golive-sandbox")
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAckBytes))
	return resp.StatusCode, nil
}

// close stops pending callbacks, cancels those being sent and waits for
// them. It may be called more than once.
func (n *notifier) close() {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for t := range n.pending {
			// A timer stopped before it fired never runs its function, so
			// its share of wg is released here; one that fired releases it.
			if t.Stop() {
				n.wg.Done()
			}
		}
		n.pending = nil
	}
	n.mu.Unlock()
	n.cancel()
	n.wg.Wait()
	n.client.CloseIdleConnections()
}

// isLoopbackHost reports whether a URL's host names this machine:
// "localhost" or a loopback IP literal. Other names are not resolved.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly is a net.Dialer Control that refuses any address that is not
// loopback, after name resolution.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("sandbox callback: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("sandbox callback: %s is not a loopback address; see WithAnyCallbackHost", host)
	}
	return nil
}
