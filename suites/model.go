// Package suites holds the built-in quality checklists (one YAML file per BAU
// API, embedded) and loads, checks and describes suite files.
package suites

import (
	"time"

	"github.com/golive-cert/golive/results"
)

// Suite is one API's quality checklist.
type Suite struct {
	Source string `yaml:"-"` // "builtin:NAME" or the file path
	SHA256 string `yaml:"-"`

	Name        string        `yaml:"name"`
	API         string        `yaml:"api"`
	Description string        `yaml:"description"`
	FAQBase     string        `yaml:"faqBase"`
	Variables   OrderedValues `yaml:"variables"`
	Secrets     []string      `yaml:"secrets"` // JSON paths whose values are masked in bodies
	Auth        *Auth         `yaml:"auth"`
	Derived     *Derived      `yaml:"derived"` // spec-derived checks to run with the items
	Defaults    Defaults      `yaml:"defaults"`
	Items       []*Item       `yaml:"items"`
}

// Derived switches on spec-derived checks (generated for every operation)
// for the suite's API, and tunes them.
type Derived struct {
	Line     int                         `yaml:"-"`
	Rules    []string                    `yaml:"rules"`    // rule names; empty means all
	Severity map[string]results.Severity `yaml:"severity"` // by rule name or item id
	Exclude  []string                    `yaml:"exclude"`  // item ids or operationIds to leave out
}

// DefaultLatencyBudget is the per-response budget when neither the item,
// the suite nor the run sets one: the one place this default lives.
const DefaultLatencyBudget = 2 * time.Second

// Defaults apply to every item unless it says otherwise.
type Defaults struct {
	Timeout       Duration `yaml:"timeout"`       // per request
	LatencyBudget Duration `yaml:"latencyBudget"` // per response
}

// Auth says how to acquire the run's token and how to send it.
type Auth struct {
	Line      int     `yaml:"-"`
	Operation string  `yaml:"operation"`
	Request   Request `yaml:"request"`
	Token     string  `yaml:"token"`     // gjson path of the token in the response
	ExpiresIn string  `yaml:"expiresIn"` // gjson path of its lifetime in seconds (optional)
	Header    string  `yaml:"header"`    // default Authorization
	Scheme    string  `yaml:"scheme"`    // default Bearer; "" sends the token alone
}

// Item is one checklist item: a single check, a flow of steps, or a latency
// review over every response of the run.
type Item struct {
	Line        int              `yaml:"-"`
	ID          string           `yaml:"id"`
	Title       string           `yaml:"title"`
	Group       string           `yaml:"group"`
	Severity    results.Severity `yaml:"severity"`
	Remediation string           `yaml:"remediation"`
	FAQ         string           `yaml:"faq"`
	Skip        string           `yaml:"skip"` // a reason; the item is reported as skipped
	Timeout     Duration         `yaml:"timeout"`
	Check       *Step            `yaml:"check"`
	Flow        []*Step          `yaml:"flow"`
	Latency     *Latency         `yaml:"latency"`
	// Origin says where the item comes from; never read from YAML.
	Origin Origin `yaml:"-"`
}

// Origin is where an item comes from: a checklist (the zero value) or a
// spec-derived rule.
type Origin struct {
	Rule string // the spec-derived rule that generated the item; "" for a checklist item
}

// Derived reports whether a spec-derived rule generated the item.
func (o Origin) Derived() bool { return o.Rule != "" }

// Kind names the item's shape, for reports.
func (it *Item) Kind() string {
	switch {
	case it.Check != nil:
		return "check"
	case it.Latency != nil:
		return "latency"
	default:
		return "flow"
	}
}

// Steps returns the item's steps: the check as a one-step flow, or the flow.
func (it *Item) Steps() []*Step {
	if it.Check != nil {
		return []*Step{it.Check}
	}
	return it.Flow
}

// Latency asks that every response of the run came within the budget.
type Latency struct {
	Line   int      `yaml:"-"`
	Budget Duration `yaml:"budget"`
}

// Auth modes of a step.
const (
	AuthDefault = ""        // send the run's token where the operation is secured
	AuthNone    = "none"    // send no credentials
	AuthInvalid = "invalid" // send a token the target never issued
)

// Step is one request and what its response must satisfy, or a wait for
// the callback the partner sends to {{ gen.callbackUrl }}.
type Step struct {
	Line      int           `yaml:"-"`
	Name      string        `yaml:"name"`
	Operation string        `yaml:"operation"`
	Callback  *CallbackWait `yaml:"callback"`
	// OperationLine is where operation is written (the step's line if absent).
	OperationLine int      `yaml:"-"`
	Auth          string   `yaml:"auth"`
	Request       Request  `yaml:"request"`
	Expect        Expect   `yaml:"expect"`
	Capture       Captures `yaml:"capture"`
	Poll          *Poll    `yaml:"poll"`
}

// Request holds the parts of a request; strings are templates.
type Request struct {
	Path        OrderedValues `yaml:"path"`
	Query       OrderedValues `yaml:"query"`
	Headers     OrderedValues `yaml:"headers"`
	Body        *Value        `yaml:"body"`
	RawBody     *Value        `yaml:"rawBody"` // sent as is: for malformed-JSON checks
	ContentType string        `yaml:"contentType"`
	Sign        *Signature    `yaml:"sign"` // sign the body, for events sent to a webhook receiver
}

// CallbackWait waits for the callback sent to this item's callback URL and
// checks its signature; the step's expect and capture apply to its body.
type CallbackWait struct {
	Line      int        `yaml:"-"`
	Deadline  Duration   `yaml:"deadline"` // from the start of the wait (default 30s)
	Signature *Signature `yaml:"signature"`
}

// Signature is an HMAC-SHA256 (hex) over the canonical JSON payload, carried
// in a header or in a top-level body field (left out of what is signed).
type Signature struct {
	Line   int    `yaml:"-"`
	Key    *Value `yaml:"key"`
	Header string `yaml:"header"`
	Field  string `yaml:"field"`
	// Tamper, on requests only, sends a wrong signature ("signature") or a
	// body changed after signing ("body"), to check a receiver refuses it.
	Tamper string `yaml:"tamper"`
}

// Tamper modes of a signed request.
const (
	TamperSignature = "signature"
	TamperBody      = "body"
)

// Expect is what a response must satisfy.
type Expect struct {
	Status  *StatusSpec  `yaml:"status"`
	Headers PathMatchers `yaml:"headers"`
	Body    PathMatchers `yaml:"body"`
	Schema  *bool        `yaml:"schema"`  // validate against the spec (default true)
	Latency Duration     `yaml:"latency"` // the response must come within this
}

// ValidateSchema reports whether the response is checked against the spec.
func (e Expect) ValidateSchema() bool { return e.Schema == nil || *e.Schema }

// Poll repeats a step until its condition holds or the deadline passes.
type Poll struct {
	Line        int          `yaml:"-"`
	Until       PathMatchers `yaml:"until"`
	Interval    Duration     `yaml:"interval"`
	Backoff     float64      `yaml:"backoff"`
	BackoffLine int          `yaml:"-"`
	MaxInterval Duration     `yaml:"maxInterval"`
	Deadline    Duration     `yaml:"deadline"`
}

// Duration is a time.Duration written as "500ms", "2s", "1m".
type Duration struct {
	time.Duration
	Line int
}

// Or returns d, or def when d is unset.
func (d Duration) Or(def time.Duration) time.Duration {
	if d.Duration == 0 {
		return def
	}
	return d.Duration
}
