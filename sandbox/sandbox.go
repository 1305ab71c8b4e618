// Package sandbox is a stateful reference partner: one http.Handler that
// implements the BAU Collections and Payouts APIs as their OpenAPI documents
// say, so that `golive demo`, the project's tests and partners' own clients
// have something correct to run against. Named faults make it misbehave the
// way real partner integrations do, one defect at a time, so the runner's
// checks can be shown to catch each of them.
//
// Orders created with a callbackUrl are called back, signed, when they
// settle (only on loopback unless WithAnyCallbackHost), and a merchant's
// webhook receiver for the webhooks API is served at WebhookReceiverPath.
// A sandbox that may have callbacks pending is stopped with Close.
package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/golive-cert/golive/specs"
)

// DefaultClientID is the client-id the token operation accepts unless WithCredentials says otherwise.
const DefaultClientID = "sandbox-client"

// DefaultAPIKey is the api-key the token operation accepts unless WithCredentials says otherwise.
const DefaultAPIKey = "sandbox-api-key"

// Sandbox serves the enabled APIs. Its state (tokens, collections, payouts,
// webhook events) lives in memory, per instance, and is safe for concurrent
// requests.
type Sandbox struct {
	cfg         config
	routes      routeTable
	tokens      *tokenStore
	collections *orderStore
	payouts     *orderStore
	notifier    *notifier // sends callbacks; stopped by Close
	receiver    *webhookReceiver
}

// New builds a sandbox from the built-in API documents and the options.
func New(opts ...Option) (*Sandbox, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{
		cfg:         cfg,
		tokens:      newTokenStore(maxTokens),
		collections: newOrderStore(cfg.maxOrders),
		payouts:     newOrderStore(cfg.maxOrders),
		notifier:    newNotifier(cfg.callbackTimeout, cfg.anyCallbackHost),
	}
	// A fresh loader per sandbox: each instance owns its documents, so no
	// state is shared between sandboxes (or with the runner's loader).
	loader := specs.NewLoader()
	var apis []*specs.API
	for _, name := range cfg.apis {
		api, err := loader.Load(context.Background(), name)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		apis = append(apis, api)
	}
	routes, err := buildRoutes(apis, s.endpoints())
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.routes = routes
	webhooks, err := loader.Load(context.Background(), webhooksAPI)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if s.receiver, err = newWebhookReceiver(webhooks, cfg.maxOrders); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return s, nil
}

// Close stops the callbacks: pending ones are dropped, those being sent are
// cancelled and waited for. The sandbox still answers requests afterwards,
// but calls nobody back. Close may be called more than once.
func (s *Sandbox) Close() { s.notifier.close() }

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background.
// It returns the base URL to send requests to and a stop function that
// closes the sandbox (see Close) and shuts the server down gracefully,
// waiting for in-flight requests until ctx ends.
func (s *Sandbox) Start(addr string) (baseURL string, stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	// Serve only returns once stopped (http.ErrServerClosed) or when the
	// listener breaks; either way the caller learns of it from its requests.
	go func() { _ = srv.Serve(ln) }()
	stop = func(ctx context.Context) error {
		// Callbacks first: a handler sending one (callback-early) is
		// cancelled rather than waited for by Shutdown.
		s.Close()
		return srv.Shutdown(ctx)
	}
	return "http://" + dialable(ln.Addr()), stop, nil
}

// dialable turns a listener address into one a client can dial: a sandbox
// listening on all interfaces ("0.0.0.0:8080") is reachable on loopback.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}
