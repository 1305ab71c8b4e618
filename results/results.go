// Package results is the model a run produces and every report consumes:
// the golive.results/v1 document. It knows nothing of HTTP or of formats.
package results

import (
	"time"

	"github.com/golive-cert/golive/exitcode"
)

// Schema is the version tag of the results document; bump it on any
// incompatible change (docs/results.md describes it).
const Schema = "golive.results/v1"

// Status of one checklist item.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"  // the target answered, but not as the checklist says
	Error Status = "error" // no usable answer: connection or system trouble
	Skip  Status = "skip"
)

// Severity of a checklist item, from the partner integration program.
type Severity string

const (
	Critical Severity = "critical"
	Major    Severity = "major"
	Minor    Severity = "minor"
)

// Severities lists the severities from most to least serious.
func Severities() []Severity { return []Severity{Critical, Major, Minor} }

// Category says whose problem a failure is (docs/diagnosis.md).
type Category string

const (
	Connection  Category = "connection"
	System      Category = "system"
	Integration Category = "integration"
)

// Categories lists the failure categories in report order.
func Categories() []Category { return []Category{Connection, System, Integration} }

// VerdictStatus is the answer to "can this partner go live?".
type VerdictStatus string

const (
	Certified                 VerdictStatus = "CERTIFIED"
	CertifiedWithObservations VerdictStatus = "CERTIFIED WITH OBSERVATIONS"
	NotCertified              VerdictStatus = "NOT CERTIFIED"
	NotTestable               VerdictStatus = "NOT TESTABLE"
)

// Run is the whole results document.
type Run struct {
	Schema      string    `json:"schema"`
	Tool        Tool      `json:"tool"`
	RunID       string    `json:"runId"`
	Seed        int64     `json:"seed"`
	Target      Target    `json:"target"`
	APIs        []API     `json:"apis"`
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt"`
	DurationMs  int64     `json:"durationMs"`
	Interrupted bool      `json:"interrupted"`
	Verdict     Verdict   `json:"verdict"`
	Summary     Summary   `json:"summary"`
	// Problems are the run's failures grouped by root cause, most serious
	// first (problems.go); every failed or errored item names its problem.
	Problems []Problem `json:"problems,omitempty"`
	Items    []Item    `json:"items"`
}

// Tool identifies the golive build that produced the run.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is the partner endpoint under test. It never holds credentials.
type Target struct {
	Partner     string `json:"partner,omitempty"`
	BaseURL     string `json:"baseUrl"`
	Environment string `json:"environment"`
}

// API is one BAU API exercised by the run, with hashes of what defined it.
type API struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Version     string `json:"version"`
	OpenAPI     string `json:"openapi"`
	Spec        string `json:"spec"`
	SpecSHA256  string `json:"specSha256"`
	Suite       string `json:"suite,omitempty"`
	SuiteSHA256 string `json:"suiteSha256,omitempty"`
}

// Verdict is the run's outcome and the process exit code that goes with it.
type Verdict struct {
	Status   VerdictStatus `json:"status"`
	Reason   string        `json:"reason"`
	ExitCode exitcode.Code `json:"exitCode"`
}

// Summary counts items by status, severity and category.
type Summary struct {
	Total      int                `json:"total"`
	Passed     int                `json:"passed"`
	Failed     int                `json:"failed"`
	Errored    int                `json:"errored"`
	Skipped    int                `json:"skipped"`
	BySeverity map[Severity]Tally `json:"bySeverity"`
	ByCategory map[Category]int   `json:"byCategory"`
}

// Tally counts the items of one severity.
type Tally struct {
	Total   int `json:"total"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
}

// Item is the result of one checklist item (hand-written or spec-derived).
type Item struct {
	ID       string   `json:"id"`
	API      string   `json:"api"`
	Group    string   `json:"group"`
	Title    string   `json:"title"`
	Kind     string   `json:"kind"` // check, flow, derived, latency
	Severity Severity `json:"severity"`
	Status   Status   `json:"status"`
	Category Category `json:"category,omitempty"`
	// Reason says in one sentence why the category was chosen.
	Reason string `json:"reason,omitempty"`
	// Message is the one-line failure, e.g. for a JUnit message attribute.
	Message     string    `json:"message,omitempty"`
	Expected    string    `json:"expected,omitempty"`
	Actual      string    `json:"actual,omitempty"`
	Step        string    `json:"step,omitempty"` // the flow step that failed
	Curl        string    `json:"curl,omitempty"`
	Remediation string    `json:"remediation,omitempty"`
	FAQ         string    `json:"faq,omitempty"`
	StartedAt   time.Time `json:"startedAt"`
	DurationMs  int64     `json:"durationMs"`
	// Notes are observations that do not fail the item (duplicate callbacks).
	Notes     []string   `json:"notes,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// Cause is what the failure is about, in fields (problems.go groups
	// items by it); nil for passed and skipped items.
	Cause *Cause `json:"cause,omitempty"`
	// Problem is the id of the problem (Run.Problems) the item's own
	// failure belongs to; AlsoProblems are further shared problems its
	// evidence shows (the other schema violations of the same response).
	Problem      string   `json:"problem,omitempty"`
	AlsoProblems []string `json:"alsoProblems,omitempty"`
}

// Exchange is one HTTP request and its response (or transport error), with
// secrets already masked. Every poll attempt is its own exchange.
type Exchange struct {
	Step       string    `json:"step"`
	Attempt    int       `json:"attempt"`
	StartedAt  time.Time `json:"startedAt"`
	DurationMs int64     `json:"durationMs"`
	Request    Request   `json:"request"`
	Response   *Response `json:"response,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// Request as sent. Body is the evidence copy: at most EvidenceBodyCap
// bytes (BodyDigest describes the whole).
type Request struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       string            `json:"body,omitempty"`
	BodyDigest *BodyDigest       `json:"bodyDigest,omitempty"`
}

// Response as received; Truncated says golive stopped reading at the run's
// read cap. Body is the evidence copy: at most EvidenceBodyCap bytes
// (BodyDigest describes the whole).
type Response struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers,omitempty"`
	Body       string            `json:"body,omitempty"`
	Truncated  bool              `json:"truncated,omitempty"`
	BodyDigest *BodyDigest       `json:"bodyDigest,omitempty"`
}

// EvidenceBodyCap is the most of one request or response body the evidence
// keeps (docs/results.md). A longer body keeps its first EvidenceBodyCap
// bytes and is described by its size and SHA-256, so results.json and
// report.html stay small whatever the target sends.
const EvidenceBodyCap = 4 << 10

// BodyDigest describes a body the evidence does not keep whole: it was
// longer than EvidenceBodyCap, or it is a middle poll attempt kept only as
// a summary. Absent when Body is the whole body.
type BodyDigest struct {
	// Size is the body's length in bytes, as sent or as read.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of those bytes (before any masking), so a
	// partner can match the body with their own logs.
	SHA256 string `json:"sha256"`
	// Kept is how many bytes of it Body shows (0: summary only).
	Kept int `json:"kept"`
}
