package sandbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/specs"
)

// Option configures a Sandbox.
type Option func(*config)

// config is the sandbox's settings, fixed once New returns.
type config struct {
	apis        []string
	fault       string
	settleAfter time.Duration
	clientID    string
	apiKey      string
	tokenTTL    time.Duration
	now         func() time.Time
	maxOrders   int
	// Callbacks: the key they are signed with, how long one POST may take,
	// and whether hosts other than loopback may be called (see notifier).
	checksumKey     string
	callbackTimeout time.Duration
	anyCallbackHost bool
	// Hooks for a host that wraps the sandbox (hooks.go).
	settleRule     func(OrderInfo) time.Duration
	callbackSender func(context.Context, Callback)
}

// servedAPIs are the built-in APIs the sandbox implements, in routing order.
func servedAPIs() []string { return []string{"collections", "payouts"} }

func defaultConfig() config {
	return config{
		apis:        servedAPIs(),
		settleAfter: 400 * time.Millisecond,
		clientID:    DefaultClientID,
		apiKey:      DefaultAPIKey,
		tokenTTL:    time.Hour,
		now:         time.Now,
		maxOrders:   100_000,
		// Callbacks and webhook events share one key, as BAU issues one
		// checksum key per merchant.
		checksumKey:     DefaultChecksumKey,
		callbackTimeout: 3 * time.Second,
	}
}

// WithAPIs chooses which APIs to serve ("collections", "payouts"); default both, and no names keeps the default.
func WithAPIs(names ...string) Option {
	return func(c *config) {
		if len(names) > 0 {
			c.apis = append([]string(nil), names...)
		}
	}
}

// WithFault switches on one named fault (see Faults); "" means none.
func WithFault(name string) Option { return func(c *config) { c.fault = name } }

// WithSettleAfter sets how long an order stays PROCESSING before it is final (default 400ms).
func WithSettleAfter(d time.Duration) Option { return func(c *config) { c.settleAfter = d } }

// WithCredentials sets the client-id and api-key the token operation accepts.
func WithCredentials(clientID, apiKey string) Option {
	return func(c *config) { c.clientID, c.apiKey = clientID, apiKey }
}

// WithTokenTTL sets how long a token lives (default 1h); the token response's expiresIn is its seconds.
func WithTokenTTL(d time.Duration) Option { return func(c *config) { c.tokenTTL = d } }

// WithClock replaces time.Now, so tests can move time for token expiry and settlement.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxOrders caps the orders kept per API (default 100000); the oldest are forgotten first.
func WithMaxOrders(n int) Option { return func(c *config) { c.maxOrders = n } }

// WithChecksumKey sets the key callbacks are signed with and the webhook
// receiver verifies events with (default DefaultChecksumKey).
func WithChecksumKey(key string) Option { return func(c *config) { c.checksumKey = key } }

// WithCallbackTimeout bounds one callback POST, connection included (default 3s).
func WithCallbackTimeout(d time.Duration) Option { return func(c *config) { c.callbackTimeout = d } }

// WithAnyCallbackHost lets the sandbox call back any host. Without it only
// loopback addresses (127.0.0.0/8, ::1, localhost) are called: a callbackUrl
// elsewhere is accepted by the API but never called, so a sandbox fed
// arbitrary URLs (by tests, fuzzers, spec-derived checks) never reaches out.
func WithAnyCallbackHost() Option { return func(c *config) { c.anyCallbackHost = true } }

// check reports every setting that cannot work, so a caller fixes them in one go.
func (c config) check() error {
	var errs []error
	for _, name := range c.apis {
		if !slices.Contains(servedAPIs(), name) {
			errs = append(errs, fmt.Errorf("unknown API %q (served: %s; built-in: %s)",
				name, strings.Join(servedAPIs(), ", "), strings.Join(specs.Builtin(), ", ")))
		}
	}
	if c.fault != "" && !isFault(c.fault) {
		errs = append(errs, fmt.Errorf("unknown fault %q (valid faults: %s)", c.fault, strings.Join(faultNames(), ", ")))
	}
	if c.settleAfter < 0 {
		errs = append(errs, fmt.Errorf("settle-after must not be negative, got %s", c.settleAfter))
	}
	if c.clientID == "" || c.apiKey == "" {
		errs = append(errs, errors.New("credentials must not be empty"))
	}
	if c.tokenTTL < time.Second {
		errs = append(errs, fmt.Errorf("token TTL must be at least 1s (expiresIn is in whole seconds), got %s", c.tokenTTL))
	}
	if c.now == nil {
		errs = append(errs, errors.New("clock must not be nil"))
	}
	if c.checksumKey == "" {
		errs = append(errs, errors.New("checksum key must not be empty"))
	}
	if c.callbackTimeout <= 0 {
		errs = append(errs, fmt.Errorf("callback timeout must be positive, got %s", c.callbackTimeout))
	}
	if c.maxOrders < 1 {
		errs = append(errs, fmt.Errorf("max orders must be at least 1, got %d", c.maxOrders))
	}
	return errors.Join(errs...)
}
