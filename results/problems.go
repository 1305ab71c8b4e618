package results

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A run against a broken target fails many items for few reasons: one
// response-schema violation fails every check that reads that response, a
// dead target fails everything. A Problem is one such reason with the
// items it affects, so a reader fixes causes, not symptoms. The runner
// records each failure's Cause in fields; GroupProblems groups items whose
// causes are the same.

// CauseKind says what kind of thing went wrong.
type CauseKind string

const (
	// CauseTransport: no complete HTTP exchange (DNS, TCP, TLS, reset, timeout).
	CauseTransport CauseKind = "transport"
	// CauseServerError: the operation answered 5xx.
	CauseServerError CauseKind = "server-error"
	// CauseMissingOperation: the operation answered 404, 405 or 501 where
	// the document says it exists.
	CauseMissingOperation CauseKind = "missing-operation"
	// CauseSchema: a response not as the document describes it (body
	// schema, undocumented status, content type).
	CauseSchema CauseKind = "schema"
	// CauseStatus: another status than the check expects (an accepted
	// invalid request, a refused valid one).
	CauseStatus CauseKind = "status"
	// CauseCheck: the item's own assertion (a body value, a header, a
	// latency budget, a flow that never settles).
	CauseCheck CauseKind = "check"
)

// Cause is what one item's failure is about, in fields.
type Cause struct {
	Kind CauseKind `json:"kind"`
	// Operation is the operation the failing request called: "api.operationId",
	// or "api METHOD /path" when it has no id.
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	// Status is the response status (0: none came).
	Status int `json:"status,omitempty"`
	// Expected is the status the check wanted ("4xx", "201"), for status causes.
	Expected string `json:"expected,omitempty"`
	// Endpoint is scheme://host:port of the failing request.
	Endpoint string `json:"endpoint,omitempty"`
	// Layer is where a transport failure broke: dns, tcp, tls or http.
	Layer string `json:"layer,omitempty"`
	// What happened, in words (the transport error, the spec problem).
	What string `json:"what,omitempty"`
	// Violations are the response-schema problems, one per JSON pointer and rule.
	Violations []Violation `json:"violations,omitempty"`
	// Shared is true when the failing exchange is one that many items share
	// (the run's token request): they all fail for that one answer.
	Shared bool `json:"shared,omitempty"`
}

// Violation is one broken rule of the response schema.
type Violation struct {
	Pointer string `json:"pointer"`        // JSON pointer into the body, "/" for the root
	Rule    string `json:"rule,omitempty"` // the schema keyword: type, enum, pattern, required, ...
	Reason  string `json:"reason"`         // the validator's words
	// Value is what came at the pointer, as JSON, masked and cut to 80
	// characters; absent when nothing came there.
	Value string `json:"value,omitempty"`
}

// Problem is one root cause and the items it affects.
type Problem struct {
	// ID is "P1", "P2", ... in report order (most serious first); stable for
	// the same results, not across runs.
	ID       string    `json:"id"`
	Kind     CauseKind `json:"kind"`
	Severity Severity  `json:"severity"` // the most serious affected item's
	Category Category  `json:"category"`
	// Title is the problem in one plain sentence: which field, what rule,
	// what came; which operation, what status; which layer broke.
	Title string `json:"title"`
	// Detail is the raw detail behind the title (validator or transport text).
	Detail string `json:"detail,omitempty"`
	// Operation is the operation of the first affected item; Operations
	// every operation the problem was seen on (one schema violation can
	// break the responses of every operation that returns the same object).
	Operation  string   `json:"operation,omitempty"`
	Operations []string `json:"operations,omitempty"`
	Status     int      `json:"status,omitempty"`
	Pointer    string   `json:"pointer,omitempty"`
	Rule       string   `json:"rule,omitempty"`
	// Fix says what to change; FAQ is the FAQ link of the first affected
	// item, or for a problem that is not about what any one item checks (a
	// schema violation, an unreachable or down target) the section of the
	// API's own FAQ on that category (categoryFAQ).
	Fix string `json:"fix"`
	FAQ string `json:"faq,omitempty"`
	// Items are the affected items in run order; an item that fails for
	// another problem first and shows this one as a further violation of
	// the same response is listed with Also (see Item.AlsoProblems).
	Items []ProblemItem `json:"items"`
	// Diagnosis is set for transport problems: the failing layer and the
	// commands a partner runs to see it themselves.
	Diagnosis *Diagnosis `json:"diagnosis,omitempty"`
}

// ProblemItem names one affected item (ids are unique within an API).
type ProblemItem struct {
	API string `json:"api"`
	ID  string `json:"id"`
	// Also is true when the item fails for another problem first and shows
	// this one as a further violation in the same evidence.
	Also bool `json:"also,omitempty"`
}

// Diagnosis is one block for an unreachable or broken target.
type Diagnosis struct {
	Endpoint string `json:"endpoint"`
	Layer    string `json:"layer"`
	What     string `json:"what"`
	// Commands are the partner's own checks, most basic first, ending with
	// golive doctor.
	Commands []string `json:"commands"`
}

// GroupProblems groups the failed and errored items by cause, sets each
// item's Problem and AlsoProblems, and returns the problems ordered by
// severity, then category (connection blocks everything, so it leads),
// then how many items they affect. It is deterministic for the same items.
func GroupProblems(items []Item) []Problem {
	type group struct {
		p        Problem
		first    int   // index of the first affected item
		statuses []int // the response status per operation (schema problems)
		v        Violation
		body     string // the first affected response's body, for "it came as"
	}
	var groups []*group
	byKey := map[string]*group{}
	add := func(key string, i int, it *Item, also bool, fill func(*Problem)) *group {
		g := byKey[key]
		if g == nil {
			g = &group{first: i}
			g.p.Kind, g.p.Category, g.p.Severity = causeKind(it), categoryOf(*it), it.Severity
			g.p.FAQ = it.FAQ
			fill(&g.p)
			byKey[key] = g
			groups = append(groups, g)
		}
		if severityRank(it.Severity) < severityRank(g.p.Severity) {
			g.p.Severity = it.Severity
		}
		if !also && g.p.Category != categoryOf(*it) {
			// Mixed categories (a 5xx that classify called an outage for some
			// items): the most blocking one leads.
			g.p.Category = minCategory(g.p.Category, categoryOf(*it))
		}
		g.p.Items = append(g.p.Items, ProblemItem{API: it.API, ID: it.ID, Also: also})
		if it.Cause != nil && it.Cause.Operation != "" && !slices.Contains(g.p.Operations, it.Cause.Operation) {
			g.p.Operations = append(g.p.Operations, it.Cause.Operation)
			g.statuses = append(g.statuses, it.Cause.Status)
		}
		return g
	}

	keyOf := map[*group][]int{}
	for i := range items {
		it := &items[i]
		it.Problem, it.AlsoProblems = "", nil
		if it.Status != Fail && it.Status != Error {
			continue
		}
		var own *group
		var also []*group
		c := it.Cause
		switch {
		case c == nil:
			own = add("item\x00"+it.API+"\x00"+it.ID+"\x00"+strconv.Itoa(i), i, it, false, func(p *Problem) { ownProblem(p, it) })
		case c.Kind != CauseTransport && c.Status != 0 && categoryOf(*it) == System:
			// Reachable but not serving (a gateway error, a maintenance page,
			// most of the API answering 5xx: runner/classify.go): whatever
			// each item checked, the target is down, and that is one problem.
			own = add(join("down", c.Endpoint), i, it, false, func(p *Problem) {
				downProblem(p, it)
				p.FAQ = categoryFAQ(it, "system-issues")
			})
		case c.Kind == CauseTransport:
			own = add(join("transport", string(categoryOf(*it)), c.Endpoint, c.Layer), i, it, false, func(p *Problem) {
				transportProblem(p, it)
				p.FAQ = categoryFAQ(it, "connection-issues")
			})
		case c.Kind == CauseServerError:
			own = add(join("5xx", it.API, c.Operation, strconv.Itoa(c.Status)), i, it, false, func(p *Problem) { serverProblem(p, it) })
		case c.Kind == CauseMissingOperation:
			own = add(join("missing", it.API, c.Operation), i, it, false, func(p *Problem) { missingProblem(p, it) })
		case c.Kind == CauseSchema && len(c.Violations) > 0:
			// The same violation (pointer, rule and words) in the responses of
			// several operations of one API is one defect: they return the
			// same object, written by the same code.
			for n, v := range c.Violations {
				g := add(join("schema", it.API, v.Pointer, v.Rule, v.Reason), i, it, n > 0,
					func(p *Problem) {
						schemaProblem(p, it, v)
						p.FAQ = categoryFAQ(it, "integration-issues")
					})
				if g.v.Pointer == "" {
					g.v = v
				}
				if g.body == "" {
					g.body = responseBody(it, c)
				}
				if n == 0 {
					own = g
				} else if g != own && !slices.Contains(also, g) {
					also = append(also, g)
				}
			}
		case c.Kind == CauseSchema:
			own = add(join("schema", it.API, c.Operation, strconv.Itoa(c.Status), c.What), i, it, false, func(p *Problem) { specProblem(p, it) })
		case c.Kind == CauseStatus && (it.Kind == "derived" || c.Shared):
			// Spec-derived checks of one operation that all got the same
			// wrong status share their cause (the operation does not
			// validate its input, or refuses valid input); a hand-written
			// item keeps its own remediation.
			own = add(join("status", it.API, c.Operation, c.Expected, strconv.Itoa(c.Status)), i, it, false, func(p *Problem) {
				statusProblem(p, it)
				if c.Shared {
					// The run's token request failed for every item that
					// needed it: the FAQ of the item that checks that
					// operation itself (the token check) explains it, not
					// that of whichever item came first.
					p.FAQ = firstNonEmpty(ownFAQ(items, c.Operation), p.FAQ)
				}
			})
		default:
			own = add("item\x00"+it.API+"\x00"+it.ID+"\x00"+strconv.Itoa(i), i, it, false, func(p *Problem) { ownProblem(p, it) })
		}
		keyOf[own] = append(keyOf[own], i)
		for _, g := range also {
			keyOf[g] = append(keyOf[g], -1-i) // negative: an "also" reference
		}
	}

	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(
			severityRank(a.p.Severity)-severityRank(b.p.Severity),
			categoryRank(a.p.Category)-categoryRank(b.p.Category),
			ownCount(b.p)-ownCount(a.p),
			a.first-b.first,
		)
	})
	out := make([]Problem, 0, len(groups))
	for n, g := range groups {
		g.p.ID = "P" + strconv.Itoa(n+1)
		if g.p.Kind == CauseSchema && g.p.Pointer != "" {
			g.p.Title = SchemaSentence(responsesOf(g.p.Operations, g.statuses), g.v, g.body)
			g.p.Fix = fmt.Sprintf("Make %s match the OpenAPI document at %s (%s), or correct the document if the response is right. "+
				"One fix clears every affected item.", responsesOf(g.p.Operations, g.statuses), g.p.Pointer, firstNonEmpty(g.p.Rule, "its schema"))
		}
		for _, ref := range keyOf[g] {
			if ref >= 0 {
				items[ref].Problem = g.p.ID
			} else {
				items[-1-ref].AlsoProblems = append(items[-1-ref].AlsoProblems, g.p.ID)
			}
		}
		out = append(out, g.p)
	}
	for i := range items {
		slices.SortFunc(items[i].AlsoProblems, compareProblemIDs)
	}
	return out
}

// ProblemByID finds a problem of the run.
func (r *Run) ProblemByID(id string) *Problem {
	for i := range r.Problems {
		if r.Problems[i].ID == id {
			return &r.Problems[i]
		}
	}
	return nil
}

func compareProblemIDs(a, b string) int {
	na, _ := strconv.Atoi(strings.TrimPrefix(a, "P"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b, "P"))
	return na - nb
}

func ownCount(p Problem) int {
	n := 0
	for _, it := range p.Items {
		if !it.Also {
			n++
		}
	}
	return n
}

func join(parts ...string) string { return strings.Join(parts, "\x00") }

func causeKind(it *Item) CauseKind {
	if it.Cause == nil {
		return CauseCheck
	}
	return it.Cause.Kind
}

// categoryOf is the item's category, or the one its status implies.
func categoryOf(it Item) Category {
	switch {
	case it.Category != "":
		return it.Category
	case it.Status == Fail:
		return Integration
	default:
		return System
	}
}

func severityRank(s Severity) int {
	if i := slices.Index(Severities(), s); i >= 0 {
		return i
	}
	return len(Severities())
}

func categoryRank(c Category) int {
	if i := slices.Index(Categories(), c); i >= 0 {
		return i
	}
	return len(Categories())
}

func minCategory(a, b Category) Category {
	if categoryRank(b) < categoryRank(a) {
		return b
	}
	return a
}

// opLabel names an operation for a sentence: "collections.getPayment".
func opLabel(c *Cause) string {
	if c.Operation != "" {
		return c.Operation
	}
	return "the operation"
}

func transportProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Title = fmt.Sprintf("The target %s cannot be reached at the %s layer: %s", c.Endpoint, layerName(c.Layer), c.What)
	p.Detail = it.Reason
	p.Fix = firstNonEmpty(it.Remediation, "Check that the target is reachable from where golive runs, then run again.")
	p.Diagnosis = &Diagnosis{Endpoint: c.Endpoint, Layer: c.Layer, What: c.What, Commands: DiagnosisCommands(c.Endpoint)}
}

func downProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Kind = CauseServerError
	p.Status = c.Status
	p.Title = fmt.Sprintf("The target %s is reachable but not serving: it answered %d %s", c.Endpoint, c.Status, statusText(c.Status))
	p.Detail = it.Reason
	p.Fix = firstNonEmpty(it.Remediation, "Ask the partner's operations team to restore the service, then run again.")
	p.Diagnosis = &Diagnosis{Endpoint: c.Endpoint, Layer: "http", What: firstNonEmpty(it.Reason, it.Message), Commands: DiagnosisCommands(c.Endpoint)}
}

// statusText is the reason phrase of the statuses a down target answers.
func statusText(status int) string {
	switch status {
	case 429:
		return "Too Many Requests"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Gateway Timeout"
	}
	return ""
}

func serverProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Operation, p.Status = c.Operation, c.Status
	p.Title = fmt.Sprintf("%s answers %d: the target fails on it instead of answering", opLabel(c), c.Status)
	p.Detail = it.Reason
	p.Fix = fmt.Sprintf("Find the %d for %s in the target's logs (each affected item's curl line repeats its request) and fix it: "+
		"a 5xx is never a valid answer to a client. If every operation answers 5xx, the target is down: ask its operations team.", c.Status, opLabel(c))
}

func missingProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Operation, p.Status = c.Operation, c.Status
	p.Title = fmt.Sprintf("%s is not there: the target answered %d to %s", opLabel(c), c.Status, firstNonEmpty(c.Method, "its requests"))
	p.Detail = it.Message
	p.Fix = fmt.Sprintf("Deploy or route %s on the target: check the base URL and any path prefix, then the route itself. "+
		"Every item that calls it fails until it answers.", opLabel(c))
}

// ownFAQ is the FAQ link of the first item whose own request to operation
// failed (not a request it shared with other items), or "".
func ownFAQ(items []Item, operation string) string {
	for _, it := range items {
		if c := it.Cause; c != nil && !c.Shared && c.Operation == operation && it.FAQ != "" {
			return it.FAQ
		}
	}
	return ""
}

// categoryFAQ is the link to the section on a category of failure
// ("integration-issues") in the item's API's own FAQ, docs/faq/<api>.md,
// which has one per category. An item whose FAQ is elsewhere (spec-derived
// checks, callbacks) keeps its own link: that answer is about its rule.
func categoryFAQ(it *Item, section string) string {
	own := "docs/faq/" + it.API + ".md"
	if file, _, ok := strings.Cut(it.FAQ, "#"); ok && file == own {
		return own + "#" + section
	}
	return it.FAQ
}

func schemaProblem(p *Problem, it *Item, v Violation) {
	c := it.Cause
	p.Operation, p.Status, p.Pointer, p.Rule = c.Operation, c.Status, v.Pointer, v.Rule
	p.Detail = fmt.Sprintf("%s: %s", v.Pointer, v.Reason)
	if v.Rule != "" {
		p.Detail += " (rule: " + v.Rule + ")"
	}
}

// responsesOf names the responses a violation was seen in: "the 201
// response of createPayment", "the responses of createPayment (201),
// getPayment (200) and 3 more".
func responsesOf(ops []string, statuses []int) string {
	if len(ops) == 1 {
		return fmt.Sprintf("the %d response of %s", statuses[0], ops[0])
	}
	var parts []string
	for i, op := range ops {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(ops)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", op, statuses[i]))
	}
	last := len(parts) - 1
	return "the responses of " + strings.Join(parts[:last], ", ") + " and " + parts[last]
}

func specProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Operation, p.Status = c.Operation, c.Status
	p.Title = fmt.Sprintf("The %d response of %s is not as documented: %s", c.Status, opLabel(c), c.What)
	p.Detail = c.What
	p.Fix = fmt.Sprintf("Make %s answer as the OpenAPI document says (status, content type, headers), or correct the document.", opLabel(c))
}

func statusProblem(p *Problem, it *Item) {
	c := it.Cause
	p.Operation, p.Status = c.Operation, c.Status
	switch {
	case c.Shared:
		p.Title = fmt.Sprintf("golive could not get a token: %s answered %d where %s was expected, so every item that needs one failed",
			opLabel(c), c.Status, c.Expected)
		p.Fix = fmt.Sprintf("Check the credentials golive sends to %s (the environment variables README lists) and that they are "+
			"provisioned on this environment, then run again.", opLabel(c))
	case strings.HasPrefix(c.Expected, "4") && c.Status < 300:
		p.Title = fmt.Sprintf("%s accepts invalid requests: it answered %d where %s was expected", opLabel(c), c.Status, c.Expected)
		p.Fix = fmt.Sprintf("Validate the input of %s against the OpenAPI document and refuse what it forbids with a documented 4xx "+
			"naming the field. Each affected item names the rule its request broke.", opLabel(c))
	default:
		p.Title = fmt.Sprintf("%s answered %d where %s was expected", opLabel(c), c.Status, c.Expected)
		p.Fix = firstNonEmpty(it.Remediation, fmt.Sprintf("Make %s answer %s as documented.", opLabel(c), c.Expected))
	}
	p.Detail = it.Message
}

func ownProblem(p *Problem, it *Item) {
	if c := it.Cause; c != nil {
		p.Operation, p.Status = c.Operation, c.Status
	}
	p.Title = firstNonEmpty(it.Message, it.Reason, it.Title)
	p.Detail = it.Reason
	p.Fix = firstNonEmpty(it.Remediation, "See the item's expected and actual values.")
}

func layerName(l string) string {
	switch l {
	case "dns":
		return "DNS"
	case "tcp":
		return "TCP"
	case "tls":
		return "TLS"
	case "http":
		return "HTTP"
	}
	return "network"
}

// DiagnosisCommands are the commands a partner runs from the same network
// to see a connection problem themselves, most basic first: name
// resolution, the TCP port, the TLS handshake, an HTTP request, and golive
// doctor, which checks layer by layer.
func DiagnosisCommands(endpoint string) []string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return []string{"golive doctor " + shellQuote(endpoint)}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	var cmds []string
	if net.ParseIP(host) == nil {
		cmds = append(cmds, "nslookup "+shellQuote(host))
	}
	cmds = append(cmds, "telnet "+shellQuote(host)+" "+port)
	if u.Scheme == "https" {
		cmds = append(cmds, "openssl s_client -connect "+shellQuote(host+":"+port)+" -servername "+shellQuote(host)+" </dev/null")
	}
	cmds = append(cmds, "curl -v "+shellQuote(endpoint+"/"), "golive doctor "+shellQuote(endpoint))
	return cmds
}

// shellQuote makes a value inert in a POSIX shell; plain host names and URLs
// stay as they are.
func shellQuote(s string) string {
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:/[]%@", r)) {
			safe = false
			break
		}
	}
	if safe && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SchemaSentence says a schema violation in plain words: which field, what
// rule, what came, e.g. `In the 201 response of initiatePayment, field
// "status" (/status) breaks its "enum" rule: value is not one of the
// allowed values. It came as "DONE".`
func SchemaSentence(responses string, v Violation, body string) string {
	field := "the body"
	if v.Pointer != "" && v.Pointer != "/" {
		field = fmt.Sprintf("field %q (%s)", fieldName(v.Pointer), v.Pointer)
	}
	rule := "its schema"
	if v.Rule != "" {
		rule = fmt.Sprintf("its %q rule", v.Rule)
	}
	s := fmt.Sprintf("In %s, %s breaks %s: %s", responses, field, rule, shorten(strings.TrimSuffix(v.Reason, "."), 100))
	if !strings.HasSuffix(s, "…") {
		s += "."
	}
	came, ok := v.Value, v.Value != ""
	if !ok {
		came, ok = valueAt(body, v.Pointer)
	}
	if ok && v.Rule != "required" {
		s += " It came as " + came + "."
	}
	return s
}

// shorten cuts s to about most bytes on a rune boundary, marking the cut;
// the whole text stays in the problem's detail.
func shorten(s string, most int) string {
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// fieldName is the last segment of a JSON pointer, unescaped.
func fieldName(pointer string) string {
	seg := pointer[strings.LastIndex(pointer, "/")+1:]
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
}

// responseBody is the evidence body of the response the cause is about:
// the last exchange with that status.
func responseBody(it *Item, c *Cause) string {
	for i := len(it.Exchanges) - 1; i >= 0; i-- {
		if r := it.Exchanges[i].Response; r != nil && r.Status == c.Status {
			return r.Body
		}
	}
	return ""
}

// valueAt reads the value at a JSON pointer of a body and renders it short;
// false when the body is not JSON (or cut) or has nothing there.
func valueAt(body, pointer string) (string, bool) {
	var v any
	if body == "" || json.Unmarshal([]byte(body), &v) != nil {
		return "", false
	}
	if pointer != "" && pointer != "/" {
		for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
			seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
			switch node := v.(type) {
			case map[string]any:
				next, ok := node[seg]
				if !ok {
					return "", false
				}
				v = next
			case []any:
				n, err := strconv.Atoi(seg)
				if err != nil || n < 0 || n >= len(node) {
					return "", false
				}
				v = node[n]
			default:
				return "", false
			}
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	s := string(out)
	const most = 80
	if len(s) > most {
		s = strings.ToValidUTF8(s[:most], "") + "…"
	}
	return s, true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ParseViolations reads the validator's one-line problem list
// ("body /a: reason (rule: kw); /b: reason (and 3 more)") into violations;
// nil when the text is not a body-schema list (an undocumented status, a
// wrong content type).
func ParseViolations(problem string) []Violation {
	rest, ok := strings.CutPrefix(problem, "body ")
	if !ok || !strings.HasPrefix(rest, "/") {
		return nil
	}
	if i := strings.LastIndex(rest, " (and "); i >= 0 && strings.HasSuffix(rest, " more)") {
		rest = rest[:i]
	}
	var out []Violation
	for _, part := range strings.Split(rest, "; /") {
		part = "/" + strings.TrimPrefix(part, "/")
		pointer, reason, ok := strings.Cut(part, ": ")
		if !ok {
			continue
		}
		v := Violation{Pointer: pointer, Reason: reason}
		if i := strings.LastIndex(reason, " (rule: "); i >= 0 && strings.HasSuffix(reason, ")") {
			v.Reason, v.Rule = reason[:i], reason[i+len(" (rule: "):len(reason)-1]
		}
		out = append(out, v)
	}
	return out
}
