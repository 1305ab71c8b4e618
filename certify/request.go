// Package certify is golive's one certification pipeline: a Request (which
// APIs, which checklists, which target, which credentials) is built into a
// Plan (APIs paired with their checklists, spec-derived checks composed,
// every suite checked, production safety applied), and the Plan runs into a
// results.Run. The CLI, the demo, the benchmarks, the hub and UAT sessions
// all start certifications here; certify knows nothing of flags or HTTP
// handlers.
package certify

import (
	"time"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// Request is everything a certification needs.
type Request struct {
	// APIs are built-in API names or OpenAPI files; Suites are built-in
	// checklist names or suite files. A suite names its API; a built-in API
	// without a given suite gets its built-in one; an API with no checklist
	// is certified by its spec-derived checks alone.
	APIs   []string
	Suites []string
	// Jobs are API and checklist pairs already in memory (benchmarks, the
	// hub, tests). They are checked and run like loaded ones.
	Jobs []Job

	Target      Target
	Credentials Credentials
	Options     Options
}

// Job pairs an API with the checklist run against it.
type Job struct {
	API   *specs.API
	Suite *suites.Suite
}

// Target is the partner endpoint under test.
type Target struct {
	BaseURL     string
	Environment string // Staging (default) or Production
	Partner     string
	// Headers are sent with every request ("Name: value"); values may hold
	// ${ENV} references, resolved through Credentials and treated as secrets.
	Headers []string
	// ReceiverURL is the partner's receiver (webhook URL), the target of
	// every API whose document describes a receiver rather than a server
	// (x-golive-target: receiver). Default: BaseURL.
	ReceiverURL string
	// CAFile holds extra trusted roots (a partner's private CA).
	CAFile string
	// ServerName is the TLS server name (SNI) sent and verified instead of
	// the base URL's host (an endpoint reached by address, or through a
	// name its certificate does not carry).
	ServerName string
	// InsecureSkipVerify accepts any certificate: staging only (refused for
	// production), and every such run says so in its verdict's reason.
	InsecureSkipVerify bool
}

// Environments a target can be.
const (
	Staging    = "staging"
	Production = "production"
)

// Credentials say where secrets come from. They are never part of a report.
type Credentials struct {
	// LookupEnv resolves ${NAME} references in headers, variables and
	// suites. Nil resolves nothing: every reference is then unset.
	LookupEnv func(string) (string, bool)
	// Vars override suite variables; values may hold ${ENV} references.
	Vars map[string]string
	// RejectUnknownVars makes a name in Vars that no checklist of the run
	// declares or refers to an InvalidError (FieldVars), naming it: what a
	// person typed (--var) must not be silently ignored. The hub, which
	// passes a partner's stored credentials whichever APIs a run covers,
	// leaves it off.
	RejectUnknownVars bool
}

// DerivedMode says which spec-derived checks join a checklist.
type DerivedMode int

const (
	// DerivedAuto (the default): every API gets the spec-derived checks its
	// checklist does not already cover (an item on the same operation of
	// the same kind covers them), except checklists that sign what they
	// send (a receiver refuses unsigned generated requests) unless they ask
	// with a derived block. An API without a checklist gets them all.
	DerivedAuto DerivedMode = iota
	// DerivedAll adds every derived check, covered or not.
	DerivedAll
	// DerivedNone (--no-derived): a checklist runs alone unless it asks
	// for derived checks itself (a derived block); an API without a
	// checklist still gets them, having nothing else.
	DerivedNone
)

// Options tune the run.
type Options struct {
	Seed    int64 // 0: a random seed, recorded in results.json
	Derived DerivedMode
	// Rules and LatencyBudget override a suite's derived block (plan --rules).
	Rules         []string
	LatencyBudget time.Duration
	// SettleDeadline bounds how long derived create-then-read checks follow
	// an asynchronous resource to its final state (0: derive's default).
	SettleDeadline time.Duration
	// AllowWrites lets a production run send requests that change data.
	AllowWrites     bool
	AllowRemoteRefs bool
	// Timeout is the time limit of every request, when set: it overrides
	// the checklists' defaults.timeout (what a user asks for explicitly
	// wins). Zero: each checklist's defaults.timeout, else DefaultTimeout.
	// An item's own timeout still bounds the whole item.
	Timeout        time.Duration
	Concurrency    int    // 0: the runner's default
	CallbackListen string // where golive's callback receiver listens
	CallbackURL    string // the public base URL partners call back
	Version        string // golive's version, for results.json
	// PlanOnly builds a plan to inspect (golive plan): no target or
	// credentials are needed, and Run refuses it.
	PlanOnly bool
}

// MaxConcurrency bounds Options.Concurrency: past it a run is a load test
// of the partner, which certification must never be.
const MaxConcurrency = 256

// DefaultTimeout is the per-request timeout when neither Options nor a
// checklist's defaults.timeout sets one.
const DefaultTimeout = 10 * time.Second
