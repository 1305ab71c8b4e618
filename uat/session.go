package uat

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
)

// Config is one UAT session.
type Config struct {
	APIs    []string // collections, payouts
	Partner string
	Listen  string // e.g. "0.0.0.0:8443"; "127.0.0.1:0" picks a free port
	// BaseURL, when set, mounts the session in a host's own server: the
	// session opens no listener (Listen, TLSCert and TLSKey stay empty),
	// the host routes the client's requests to ServeHTTP with its path
	// prefix stripped, and BaseURL (the host's public URL and that prefix)
	// is what the partner's client is given and what recordings name.
	BaseURL string
	// TLSCert and TLSKey (PEM files) make the session serve HTTPS only.
	TLSCert, TLSKey string
	Credentials     Credentials // zero: NewCredentials()
	Timing          Timing      // zero: DefaultTiming()
	// OutDir receives exchanges.jsonl as the session runs, and recording.har
	// when it ends. Required.
	OutDir string
	// MaxBodyBytes caps each body kept in the recording (default 16 KiB).
	MaxBodyBytes int
	// AllowAnyCallbackHost lets the session deliver callbacks beyond
	// loopback: a live session with a partner needs it; tests do not.
	AllowAnyCallbackHost bool
	// CallbackRootCAs verifies https callback receivers (nil: the system's).
	CallbackRootCAs *x509.CertPool
	// Observer receives progress events; it is called from many goroutines
	// at once and must not block.
	Observer func(Event)
	Version  string
}

// EndReason says why a session ended; it shapes the results.
type EndReason int

const (
	EndStopped     EndReason = iota // the host stopped it (the demo's client is done)
	EndComplete                     // every case was played (--until-complete)
	EndDeadline                     // the deadline passed
	EndInterrupted                  // Ctrl-C, or the hub stopping
)

func (r EndReason) String() string {
	return [...]string{"stopped", "every case played", "deadline reached", "interrupted"}[r]
}

// Session is a running UAT session.
type Session struct {
	cfg     Config
	base    string
	sb      *sandbox.Sandbox
	catalog *catalog
	masker  *masker
	tracker *tracker
	rec     *recording
	srv     *http.Server
	ln      net.Listener
	scen    *scenario
	deliver *deliverer
	started time.Time

	seq      sync.Mutex // orders Seq with the recording
	nextSeq  int64
	stopping chan struct{} // closed when the session ends: held answers are released
	stopOnce sync.Once
	served   chan struct{} // closed when Serve returns

	gate     sync.Mutex     // guards ended and inflight.Add
	ended    bool           // no exchange is served any more
	inflight sync.WaitGroup // exchanges being served (a mounted session has no http.Server to wait for)
}

// Start validates the config, listens and serves. Its errors are typed
// where the user must fix something (UnknownAPIError, ListenError,
// CertificateError).
func Start(ctx context.Context, cfg Config) (*Session, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	cat, err := newCatalog(ctx, cfg.APIs)
	if err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, &CertificateError{Cert: cfg.TLSCert, Key: cfg.TLSKey, Err: err}
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}}
	}
	s := &Session{cfg: cfg, catalog: cat, masker: newMasker(cfg.Credentials),
		tracker: newTracker(cfg.Timing, true, tlsConf != nil, cfg.APIs), stopping: make(chan struct{}),
		served: make(chan struct{}), started: time.Now()}
	s.scen = newScenario(cfg.Timing)
	s.deliver = newDeliverer(s)
	s.sb, err = sandbox.New(
		sandbox.WithAPIs(cfg.APIs...),
		sandbox.WithCredentials(cfg.Credentials.ClientID, cfg.Credentials.APIKey),
		sandbox.WithChecksumKey(cfg.Credentials.ChecksumKey),
		sandbox.WithSettleAfter(cfg.Timing.Settle),
		sandbox.WithSettleRule(func(o sandbox.OrderInfo) time.Duration {
			if o.Amount == LongAmount {
				return cfg.Timing.LongProcessing
			}
			return -1
		}),
		sandbox.WithCallbackSender(s.deliver.send),
	)
	if err != nil {
		return nil, fmt.Errorf("uat: %w", err)
	}
	if cfg.BaseURL != "" {
		if s.rec, err = openRecording(cfg.OutDir); err != nil {
			s.sb.Close()
			return nil, err
		}
		s.base = strings.TrimSuffix(cfg.BaseURL, "/")
		close(s.served)
		return s, nil
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		s.sb.Close()
		return nil, &ListenError{Addr: cfg.Listen, Err: err}
	}
	if s.rec, err = openRecording(cfg.OutDir); err != nil {
		_ = ln.Close()
		s.sb.Close()
		return nil, err
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
		ln = newSniffListener(ln, tlsConf, s.plainRequest)
	}
	s.ln = ln
	s.base = scheme + "://" + dialable(ln.Addr())
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()
	return s, nil
}

func withDefaults(cfg Config) (Config, error) {
	if len(cfg.APIs) == 0 {
		return cfg, errors.New("uat: at least one API (collections, payouts)")
	}
	for _, a := range cfg.APIs {
		if !IsAPI(a) {
			return cfg, &UnknownAPIError{Name: a}
		}
	}
	cfg.APIs = slices.Compact(slices.Clone(cfg.APIs))
	if cfg.Credentials == (Credentials{}) {
		cfg.Credentials = NewCredentials()
	}
	if cfg.Timing == (Timing{}) {
		cfg.Timing = DefaultTiming()
	}
	if err := cfg.Timing.check(); err != nil {
		return cfg, fmt.Errorf("uat: %w", err)
	}
	if cfg.OutDir == "" {
		return cfg, errors.New("uat: an out directory for the recording is required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 10
	}
	if cfg.BaseURL != "" {
		if cfg.Listen != "" || cfg.TLSCert != "" || cfg.TLSKey != "" {
			return cfg, errors.New("uat: a mounted session (BaseURL) has no listener of its own: leave Listen, TLSCert and TLSKey empty")
		}
		if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("uat: base URL %q: want an absolute http(s) URL", cfg.BaseURL)
		}
	}
	if cfg.Listen == "" && cfg.BaseURL == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	return cfg, nil
}

// BaseURL is where the partner's client sends its requests.
func (s *Session) BaseURL() string { return s.base }

// Credentials are the session's credentials (print them once).
func (s *Session) Credentials() Credentials { return s.cfg.Credentials }

// Timing is the session's scripted timing.
func (s *Session) Timing() Timing { return s.cfg.Timing }

// Cases lists the UAT cases of every API of the session.
func (s *Session) Cases() []Case {
	var out []Case
	for _, api := range s.cfg.APIs {
		out = append(out, Cases(api, s.cfg.Timing)...)
	}
	return out
}

// Complete returns a channel closed once every case was played, every
// payment's final state is known to the client and no callback is due.
func (s *Session) Complete(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		for {
			changed := s.tracker.wait()
			if s.tracker.complete(s.cfg.APIs) {
				close(done)
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			case <-s.stopping:
				return
			}
		}
	}()
	return done
}

// WaitCallbacks waits until every created payment that gave a callbackUrl
// has had its three deliveries, or ctx ends.
func (s *Session) WaitCallbacks(ctx context.Context) error {
	for {
		changed := s.tracker.wait()
		if !s.tracker.callbacksDue() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close ends the session: held answers are released, in-flight exchanges
// finish and are recorded, callbacks stop, the recording is closed and
// written as HAR, and the traffic is graded. It returns the run even when
// writing the HAR failed (with that error).
func (s *Session) Close(reason EndReason) (*results.Run, error) {
	var errs []error
	s.stopOnce.Do(func() {
		s.gate.Lock()
		s.ended = true
		s.gate.Unlock()
		close(s.stopping)
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.srv.Shutdown(ctx); err != nil {
				_ = s.srv.Close()
			}
		}
		<-s.served
		s.inflight.Wait() // held answers were released by stopping
		s.sb.Close()      // waits for callbacks being delivered
		s.deliver.close()
		if err := s.rec.close(); err != nil {
			errs = append(errs, err)
		}
		if err := writeHAR(s.rec.path, filepath.Join(s.cfg.OutDir, HARFile), s.base, s.cfg.Version, s.cfg.Timing); err != nil {
			errs = append(errs, err)
		}
	})
	run := s.grade(reason, time.Now())
	s.emit(Event{Kind: EventEnded, Message: "session ended: " + reason.String()})
	return run, errors.Join(errs...)
}

// enter admits one exchange unless the session has ended; the caller
// calls s.inflight.Done when it is recorded.
func (s *Session) enter() bool {
	s.gate.Lock()
	defer s.gate.Unlock()
	if s.ended {
		return false
	}
	s.inflight.Add(1)
	return true
}

func (s *Session) next() int64 {
	s.seq.Lock()
	defer s.seq.Unlock()
	s.nextSeq++
	return s.nextSeq
}

// dialable turns a listener address into one a client can dial.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Transaction is the session sandbox's order with this reference
// (sandbox.ErrNotFound when there is none).
func (s *Session) Transaction(ref string) (sandbox.Transaction, error) { return s.sb.Transaction(ref) }

// ResendCallback sends a final order's callback to the partner's receiver
// again, through the session's deliverer (recorded and graded like the
// others); see sandbox.ResendCallback for its errors.
func (s *Session) ResendCallback(ctx context.Context, ref string) (sandbox.Delivery, error) {
	return s.sb.ResendCallback(ctx, ref)
}

// ForceOutcome settles a PROCESSING order now (see sandbox.ForceOutcome).
func (s *Session) ForceOutcome(ref string, outcome sandbox.Outcome) (sandbox.Transaction, error) {
	return s.sb.ForceOutcome(ref, outcome)
}
