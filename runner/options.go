package runner

import (
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

type config struct {
	concurrency   int
	timeout       time.Duration
	itemTimeout   time.Duration
	bodyCap       int64
	latencyBudget time.Duration
	vars          map[string]string
	env           func(string) (string, bool)
	seed          int64
	version       string
	progress      func(it results.Item, done, total int)
	now           func() time.Time
	// timeoutOverride: timeout applies to every request, whatever the
	// suites' defaults.timeout say (an explicit --timeout).
	timeoutOverride bool
	// callbackListen and callbackURL place golive's callback receiver.
	callbackListen string
	callbackURL    string
	// caFile holds extra trusted roots for a private CA; serverName and
	// insecureSkipVerify adjust the verification (tls.go).
	caFile             string
	serverName         string
	insecureSkipVerify bool
}

func defaultConfig() config {
	return config{
		concurrency:    max(4, 2*runtime.NumCPU()),
		timeout:        10 * time.Second,
		itemTimeout:    2 * time.Minute,
		bodyCap:        1 << 20,
		latencyBudget:  suites.DefaultLatencyBudget,
		env:            os.LookupEnv,
		seed:           rand.Int64(),
		version:        "dev",
		now:            time.Now,
		callbackListen: "127.0.0.1:0",
	}
}

// Option configures a Runner.
type Option func(*config)

// WithConcurrency sets how many requests may be in flight against the
// target at once (at least 1). Items waiting between poll attempts or for a
// callback hold none; see schedule.go for how many items run at once.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = max(1, n) } }

// WithTimeout sets the per-request timeout of the APIs whose suite sets
// none (defaults.timeout).
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout, c.timeoutOverride = d, false }
}

// WithTimeoutOverride sets the per-request timeout of every request,
// whatever the suites' defaults.timeout say: what a user asks for
// explicitly (--timeout) wins over what a checklist assumes.
func WithTimeoutOverride(d time.Duration) Option {
	return func(c *config) { c.timeout, c.timeoutOverride = d, true }
}

// requestTimeout is the time limit of each request of a suite's API.
func (c *config) requestTimeout(s *suites.Suite) time.Duration {
	if c.timeoutOverride {
		return c.timeout
	}
	return s.Defaults.Timeout.Or(c.timeout)
}

// WithItemTimeout bounds one item, all its steps and polls included.
func WithItemTimeout(d time.Duration) Option { return func(c *config) { c.itemTimeout = d } }

// WithBodyCap sets how many bytes of a response body are read (default 1 MiB).
func WithBodyCap(n int64) Option { return func(c *config) { c.bodyCap = n } }

// WithLatencyBudget sets the default per-response budget (default 2s).
func WithLatencyBudget(d time.Duration) Option { return func(c *config) { c.latencyBudget = d } }

// WithVars overrides suite variables (--var k=v); values may hold ${ENV}.
func WithVars(v map[string]string) Option { return func(c *config) { c.vars = v } }

// WithEnv sets how ${ENV} references are looked up (default os.LookupEnv).
func WithEnv(lookup func(string) (string, bool)) Option { return func(c *config) { c.env = lookup } }

// WithSeed makes generated values repeatable.
func WithSeed(seed int64) Option { return func(c *config) { c.seed = seed } }

// WithVersion sets the tool version written into the results.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithProgress is called as each item finishes (from several goroutines, one call at a time per item).
func WithProgress(f func(it results.Item, done, total int)) Option {
	return func(c *config) { c.progress = f }
}

// WithClock replaces time.Now for run timestamps (tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithCallbackListen sets where the callback receiver listens (default a free loopback port).
func WithCallbackListen(addr string) Option { return func(c *config) { c.callbackListen = addr } }

// WithCallbackURL sets the public base URL partners call back (e.g. a tunnel to the listener).
func WithCallbackURL(u string) Option { return func(c *config) { c.callbackURL = u } }
