package derive

import (
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
)

// DefaultSettleDeadline is how long a create-then-read check follows an
// asynchronous resource (a status such as PENDING) to its final state when
// Options sets none: a minute, what a payment scheme's synchronous leg takes
// at worst (docs/derived-checks.md).
const DefaultSettleDeadline = time.Minute

// Polling of an unsettled resource: start soon, back off, never hammer.
const (
	settleInterval    = 250 * time.Millisecond
	settleBackoff     = 1.5
	settleMaxInterval = 5 * time.Second
)

// pendingWords are status values that say "not final yet". Only values that
// every scheme means as transient belong here: a state that may last until
// someone acts (CREATED, PAYER_ACTION_REQUIRED, SCHEDULED) is final as far as
// a create-then-read check can tell, and listing it would fail a correct
// target with "never completes".
var pendingWords = map[string]bool{
	"pending": true, "processing": true, "inprogress": true, "initiated": true, "queued": true,
	"submitted": true, "inprocess": true, "accepted_settlement_in_process": true,
}

// pendingValue says a status enum value is pending-like: one of pendingWords
// once case and separators are ignored, or a compound ending in one
// (AcceptedSettlementInProcess).
func pendingValue(v string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(v))
	if pendingWords[n] {
		return true
	}
	return strings.HasSuffix(n, "inprocess") || strings.HasSuffix(n, "inprogress")
}

// settleField finds the read's status-like field: a top-level string enum
// named status or state (or ending so) with at least one pending-like value
// and at least one other. It returns the field and its pending values.
func settleField(read *openapi3.Schema) (string, []string, bool) {
	view := viewObject(read)
	for _, name := range view.names() {
		n := strings.ToLower(name)
		if !(strings.HasSuffix(n, "status") || strings.HasSuffix(n, "state")) {
			continue
		}
		s := view.props[name]
		var pending, final []string
		for _, e := range s.Enum {
			v, ok := e.(string)
			if !ok {
				continue
			}
			if pendingValue(v) {
				pending = append(pending, v)
			} else {
				final = append(final, v)
			}
		}
		if len(pending) > 0 && len(final) > 0 {
			sort.Strings(pending)
			return name, pending, true
		}
	}
	return "", nil, false
}

// settlePoll repeats the read until the status leaves the pending values.
// A value outside the enum also ends the poll, so the schema check (not
// "never completes") reports it.
func settlePoll(field string, pending []string, deadline time.Duration) *suites.Poll {
	until, _ := suites.NewString(notOneOf(pending))
	return &suites.Poll{
		Until:       suites.PathMatchers{{Path: escapeGJSON(field), Matcher: &suites.Matcher{Regexp: until}}},
		Interval:    suites.Duration{Duration: settleInterval},
		Backoff:     settleBackoff,
		MaxInterval: suites.Duration{Duration: settleMaxInterval},
		Deadline:    suites.Duration{Duration: deadline},
	}
}

// notOneOf is an RE2 expression (no lookahead) that matches any string but
// the given ones: built over their trie, a string escapes the set by ending
// where no value ends, by taking a character no value takes at that point,
// or by going on after a value ends.
func notOneOf(values []string) string {
	type node struct {
		next     map[rune]*node
		terminal bool
	}
	root := &node{next: map[rune]*node{}}
	for _, v := range values {
		n := root
		for _, r := range v {
			if n.next[r] == nil {
				n.next[r] = &node{next: map[rune]*node{}}
			}
			n = n.next[r]
		}
		n.terminal = true
	}
	var escape func(n *node) string
	escape = func(n *node) string {
		var alts []string
		if !n.terminal {
			alts = append(alts, "") // ending here is not a value
		}
		if len(n.next) == 0 {
			return "(?:" + strings.Join(append(alts, `(?s:.)+`), "|") + ")"
		}
		keys := make([]rune, 0, len(n.next))
		for r := range n.next {
			keys = append(keys, r)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		var class strings.Builder
		for _, r := range keys {
			class.WriteString(regexp.QuoteMeta(string(r)))
		}
		alts = append(alts, `[^`+strings.ReplaceAll(class.String(), "-", `\-`)+`](?s:.)*`)
		for _, r := range keys {
			alts = append(alts, regexp.QuoteMeta(string(r))+escape(n.next[r]))
		}
		return "(?:" + strings.Join(alts, "|") + ")"
	}
	return "^" + escape(root) + "$"
}
