package callbacks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits that keep the receiver safe to expose through a tunnel.
const (
	MaxBody          = 64 << 10 // bytes of one callback body
	MaxDeliveries    = 20       // kept per slot; more are counted, not stored
	pathPrefix       = "/golive/callbacks/"
	readHeaderWindow = 5 * time.Second
)

// Delivery is one callback as it arrived.
type Delivery struct {
	At        time.Time
	Method    string
	Path      string
	Header    http.Header
	Body      []byte
	Truncated bool
}

// Slot is one callback address handed out to one flow. Only requests to a
// live slot's path are accepted, so a stray or hostile request can neither
// reach another flow nor create state.
type Slot struct {
	URL  string
	path string

	mu         sync.Mutex
	deliveries []Delivery
	dropped    int
	// arrived is closed, and replaced, on every delivery: waiters for the
	// next one wake without polling.
	arrived chan struct{}
}

// Deliveries returns the callbacks received so far, and how many more came
// beyond what is kept.
func (s *Slot) Deliveries() ([]Delivery, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...), s.dropped
}

// Wait blocks until the first callback arrives or ctx ends.
func (s *Slot) Wait(ctx context.Context) (Delivery, bool) { return s.WaitFor(ctx, 0) }

// WaitFor blocks until the callback numbered i (from 0) has arrived, or ctx
// ends. A waiter that rejects one callback (a bad signature) waits for the
// next this way.
func (s *Slot) WaitFor(ctx context.Context, i int) (Delivery, bool) {
	for {
		s.mu.Lock()
		if i < len(s.deliveries) {
			d := s.deliveries[i]
			s.mu.Unlock()
			return d, true
		}
		ch := s.arrived
		if i >= MaxDeliveries {
			ch = nil // never kept: only ctx ends the wait
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Delivery{}, false
		}
	}
}

func (s *Slot) add(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.deliveries) >= MaxDeliveries {
		s.dropped++
		return
	}
	s.deliveries = append(s.deliveries, d)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// Receiver is golive's callback endpoint: an HTTP server that accepts POSTs
// on the paths it handed out and nothing else.
type Receiver struct {
	public string // base URL written into requests; defaults to the listen address

	mu     sync.Mutex
	slots  map[string]*Slot
	srv    *http.Server
	base   string
	closed bool
	// fresh are the connections that have not sent a request yet, with
	// when they were accepted (Close).
	fresh map[net.Conn]time.Time
}

// NewReceiver makes a receiver. publicURL is the address the partner must
// call (e.g. a tunnel); empty means the listen address itself.
func NewReceiver(publicURL string) *Receiver {
	return &Receiver{public: strings.TrimSuffix(publicURL, "/"), slots: map[string]*Slot{}, fresh: map[net.Conn]time.Time{}}
}

// Start listens on addr ("127.0.0.1:0" for a free loopback port) and serves
// in the background. It returns the base URL callbacks are sent to.
func (r *Receiver) Start(addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("callback receiver: listen on %s: %w", addr, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: readHeaderWindow, ReadTimeout: 10 * time.Second, ConnState: r.connState}
	r.base = "http://" + l.Addr().String()
	if r.public != "" {
		r.base = r.public
	}
	go func() { _ = r.srv.Serve(l) }()
	return r.base, nil
}

// Open hands out a new slot with an unguessable path.
func (r *Receiver) Open() (*Slot, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("callback slot: %w", err)
	}
	path := pathPrefix + hex.EncodeToString(b[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.base == "" || r.closed {
		return nil, errors.New("callback receiver is not running")
	}
	s := &Slot{URL: r.base + path, path: path, arrived: make(chan struct{})}
	r.slots[path] = s
	return s, nil
}

// Release stops accepting callbacks for the slot.
func (r *Receiver) Release(s *Slot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.slots, s.path)
}

// ServeHTTP accepts a POST to a live slot, keeps at most MaxBody bytes of
// it, and answers 200; anything else is refused without touching any slot.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	slot := r.slots[req.URL.Path]
	r.mu.Unlock()
	if slot == nil {
		http.Error(w, "unknown callback address", http.StatusNotFound)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "callbacks are POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	truncated := len(body) > MaxBody
	if truncated {
		body = body[:MaxBody]
	}
	slot.add(Delivery{At: time.Now(), Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body, Truncated: truncated})
	if err != nil || truncated {
		http.Error(w, "callback body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true}`)
}

// freshGrace is how long after its connect Close lets a connection that
// has sent nothing yet show a request; freshPoll how often it looks.
const (
	freshGrace = 10 * time.Millisecond
	freshPoll  = 2 * time.Millisecond
)

// anyNew tells whether a connection that has sent nothing yet was
// accepted less than freshGrace ago: its request may be on its way.
func (r *Receiver) anyNew() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, at := range r.fresh {
		if time.Since(at) < freshGrace {
			return true
		}
	}
	return false
}

// connState keeps track of the connections that have sent no request yet.
func (r *Receiver) connState(c net.Conn, st http.ConnState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st == http.StateNew {
		r.fresh[c] = time.Now()
	} else {
		delete(r.fresh, c)
	}
}

// Close stops the server: callbacks being received are answered (until ctx
// ends), idle connections are closed. So are connections that have not sent
// a request yet: net/http's Shutdown counts them as active for their first
// 5 s, and a sender's spare keep-alive connection (an HTTP client dials one
// while another frees up) then held every run's end for the whole of ctx.
func (r *Receiver) Close(ctx context.Context) error {
	r.mu.Lock()
	srv := r.srv
	r.closed = true
	r.mu.Unlock()
	if srv == nil {
		return nil
	}
	srv.SetKeepAlivesEnabled(false)
	// A connection that has sent nothing yet is either a callback on its
	// way (its request follows the connect at once: a partner sending two
	// copies together) or a sender's spare (nothing follows). The first
	// kind turns active within moments of its connect; what is still
	// silent freshGrace after its connect is a spare, closed now: Shutdown
	// would count it active for 5 s.
	for r.anyNew() {
		select {
		case <-ctx.Done():
		case <-time.After(freshPoll):
			continue
		}
		break
	}
	r.mu.Lock()
	for c := range r.fresh {
		_ = c.Close()
	}
	r.mu.Unlock()
	if err := srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("callback receiver: shut down: %w", err)
	}
	return nil
}
