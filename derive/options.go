package derive

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

// Rule names, as Options.Rules, Options.Severity and item groups use them.
const (
	RulePositive  = "positive"  // a valid request gets a documented success
	RuleNegative  = "negative"  // invalid input is rejected with 4xx
	RuleAuth      = "auth"      // missing or bad credentials get 401/403
	RuleBoundary  = "boundary"  // valid edge values never give 5xx
	RuleStateful  = "stateful"  // what was created reads back the same; unknown ids are 404
	RuleDuplicate = "duplicate" // an identical second create gets 409 or the same resource
	RuleLatency   = "latency"   // every response within the budget
)

// DefaultLatencyBudget is the per-response budget when Options sets none.
const DefaultLatencyBudget = suites.DefaultLatencyBudget

// Options says which spec-derived checks to generate and how.
type Options struct {
	Seed          int64                       // generation is seeded; same seed, same requests
	Production    bool                        // only operations that change nothing (GET/HEAD/OPTIONS), unless AllowWrites
	AllowWrites   bool                        // with Production, generate writes anyway (the user said so)
	LatencyBudget time.Duration               // per-response budget of the latency item; default 2s
	Rules         []string                    // rules to generate (empty = all): positive, negative, auth, boundary, stateful, latency
	Severity      map[string]results.Severity // override by rule name or by full item id
	Auth          *suites.Auth                // the suite's auth block: the token operation's checks send its credentials
	// SettleDeadline bounds how long a create-then-read check polls an
	// asynchronous resource until it leaves its pending states; default
	// DefaultSettleDeadline.
	SettleDeadline time.Duration
}

// Rule describes one kind of spec-derived check.
type Rule struct {
	Name        string
	Description string
	Severity    results.Severity // default; Options.Severity overrides it
}

// Rules lists the rules in the order Plan generates them.
func Rules() []Rule {
	return []Rule{
		{RulePositive, "A valid request, built from the document's examples or generated from its schemas, gets a documented 2xx whose status, content type, headers and body validate against the spec.", results.Major},
		{RuleNegative, "Invalid input (a required field missing, wrong type, enum, pattern, range or length violated, unknown property, malformed JSON, wrong content type) is rejected with a documented 4xx: never 2xx (accepts invalid input), never 5xx (crashes on it).", results.Major},
		{RuleAuth, "A secured operation called without credentials, or with credentials the target never issued, answers 401 or 403.", results.Critical},
		{RuleBoundary, "Valid values at the edges (maximum and minimum lengths and values, every enum value) are accepted or refused with a documented 4xx, never 5xx.", results.Major},
		{RuleStateful, "What a create operation made reads back with the same identity and data (id or reference, amount, currency), once an asynchronous resource has left its pending states, and an id that was never created reads as 404.", results.Critical},
		{RuleDuplicate, "A create operation that documents 409, or takes a reference or idempotency key the client chooses, answers the identical request sent twice with 409 or the same resource, never a second one.", results.Critical},
		{RuleLatency, "Every response of the run arrives within the latency budget.", results.Minor},
	}
}

// settings are the options checked and with defaults filled in.
type settings struct {
	Options
	rules map[string]bool
}

func (o Options) settle() (*settings, error) {
	known := map[string]Rule{}
	for _, r := range Rules() {
		known[r.Name] = r
	}
	s := &settings{Options: o, rules: map[string]bool{}}
	if s.LatencyBudget < 0 {
		return nil, fmt.Errorf("latency budget %s: must not be negative", s.LatencyBudget)
	}
	if s.LatencyBudget == 0 {
		s.LatencyBudget = DefaultLatencyBudget
	}
	if s.SettleDeadline < 0 {
		return nil, fmt.Errorf("settle deadline %s: must not be negative", s.SettleDeadline)
	}
	if s.SettleDeadline == 0 {
		s.SettleDeadline = DefaultSettleDeadline
	}
	for _, name := range o.Rules {
		if _, ok := known[name]; !ok {
			return nil, fmt.Errorf("unknown rule %q (rules: %s)", name, strings.Join(ruleNames(), ", "))
		}
		s.rules[name] = true
	}
	if len(o.Rules) == 0 {
		for name := range known {
			s.rules[name] = true
		}
	}
	keys := make([]string, 0, len(o.Severity))
	for k := range o.Severity {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch o.Severity[k] {
		case results.Critical, results.Major, results.Minor:
		default:
			return nil, fmt.Errorf("severity override %s: %q is not critical, major or minor", k, o.Severity[k])
		}
		// A key that names neither a rule nor a derived item is a typo that
		// would otherwise silently change nothing.
		if _, ok := known[k]; !ok && !strings.HasPrefix(k, idPrefix) {
			return nil, fmt.Errorf("severity override %q: not a rule (%s) nor a derived item id (%s...)", k, strings.Join(ruleNames(), ", "), idPrefix)
		}
	}
	return s, nil
}

func ruleNames() []string {
	var names []string
	for _, r := range Rules() {
		names = append(names, r.Name)
	}
	return names
}

// severity is the item's severity: an override by id, else by rule, else
// the check's own default (preset), else the rule's default.
func (s *settings) severity(id, rule string, preset results.Severity) results.Severity {
	if sev, ok := s.Severity[id]; ok {
		return sev
	}
	if sev, ok := s.Severity[rule]; ok {
		return sev
	}
	if preset != "" {
		return preset
	}
	for _, r := range Rules() {
		if r.Name == rule {
			return r.Severity
		}
	}
	return results.Major
}

// writesAllowed says whether operations that change state may be planned.
func (s *settings) writesAllowed() bool { return !s.Production || s.AllowWrites }
