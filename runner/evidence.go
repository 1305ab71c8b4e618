package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

// Evidence is bounded three ways, so that neither memory nor the reports
// grow with what a target sends (docs/results.md, "Bounded evidence"):
//
//   - per body: results.EvidenceBodyCap bytes are kept; a longer body is
//     described by its size and SHA-256 (results.BodyDigest);
//   - per item: itemEvidenceBudget bytes of bodies; past it, and for the
//     middle attempts of a poll, only the summary is kept;
//   - per run: runEvidenceBudget bytes of bodies over all items.
//
// Memory is bounded the same way: once an exchange has been judged, its raw
// body shrinks to rawKeep bytes (enough for the run-wide classifier, which
// looks for maintenance pages), and a poll keeps only its first, previous
// and current attempts' bodies while it goes on.
const (
	itemEvidenceBudget = 64 << 10
	runEvidenceBudget  = 16 << 20
	rawKeep            = 2 * results.EvidenceBodyCap
	// maskMargin is how far past the cap a body is masked before it is cut,
	// so a secret that straddles the cut is masked whole, never half shown.
	maskMargin = 1 << 10
)

// evidenceBudget is the run's remaining allowance of body bytes.
type evidenceBudget struct{ left atomic.Int64 }

func newEvidenceBudget() *evidenceBudget {
	b := &evidenceBudget{}
	b.left.Store(runEvidenceBudget)
	return b
}

// take reserves n bytes; false when the run's evidence budget is spent.
func (b *evidenceBudget) take(n int) bool {
	if b == nil {
		return true
	}
	if b.left.Add(-int64(n)) >= 0 {
		return true
	}
	b.left.Add(int64(n))
	return false
}

// evidenceSize is what an exchange's bodies take of the evidence budget.
func evidenceSize(ex *exchange) int {
	return min(len(ex.reqBody), results.EvidenceBodyCap) + min(len(ex.body), results.EvidenceBodyCap)
}

// bodyStats is what is known of a body after its bytes may have been let go.
type bodyStats struct {
	size    int64
	sha256  string
	dropped bool // nothing of the body is kept: a summary only
}

// digestOf returns the size and hash of a body, from the bytes when they
// are still whole, else from what was saved when they were let go.
func digestOf(body []byte, st *bodyStats) (int64, string) {
	if st != nil {
		return st.size, st.sha256
	}
	sum := sha256.Sum256(body)
	return int64(len(body)), hex.EncodeToString(sum[:])
}

// shrink lets go of the exchange's response body beyond keep bytes (all of
// it when keep is 0), first saving its size and hash for the evidence.
func (ex *exchange) shrink(keep int) {
	if ex.bodyStats == nil && (len(ex.body) > keep || keep == 0 && ex.body != nil) {
		size, sum := digestOf(ex.body, nil)
		ex.bodyStats = &bodyStats{size: size, sha256: sum}
	}
	if keep == 0 {
		if ex.bodyStats != nil {
			ex.bodyStats.dropped = true
		}
		ex.body = nil
		return
	}
	if len(ex.body) > keep {
		// A copy, so the large array the body was read into can be freed.
		ex.body = append([]byte(nil), ex.body[:keep]...)
	}
}

// evidenceBody turns a body into its evidence copy: masked, cut at the
// cap, and with a digest whenever the copy is not the whole body. keep is
// false when only a summary may be kept (budgets, middle poll attempts).
func (r *Runner) evidenceBody(body []byte, st *bodyStats, keep bool) (string, *results.BodyDigest) {
	whole := st == nil || (!st.dropped && int64(len(body)) == st.size)
	if len(body) == 0 && (st == nil || st.size == 0) {
		return "", nil
	}
	if st != nil && st.dropped {
		keep = false
	}
	if whole && keep && len(body) <= results.EvidenceBodyCap {
		return maskCards(r.secrets.Mask(printable(body))), nil
	}
	size, sum := digestOf(body, st)
	d := &results.BodyDigest{Size: size, SHA256: sum}
	if !keep || len(body) == 0 {
		return "", d
	}
	// Mask a window a little longer than the cap, then cut on a rune
	// boundary: masking never sees half a secret.
	window := body[:min(len(body), results.EvidenceBodyCap+maskMargin)]
	text := maskCards(r.secrets.Mask(printable(window)))
	if len(text) > results.EvidenceBodyCap {
		cut := results.EvidenceBodyCap
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	d.Kept = min(len(body), results.EvidenceBodyCap)
	if int64(d.Kept) == size && whole {
		return text, nil
	}
	return text, d
}

// shrinkPoll keeps a poll's memory flat: of the step's attempts so far, the
// first keeps its evidence copy's worth, the latest stays whole (it is
// being judged) and the ones in between are reduced to a summary.
func shrinkPoll(ir *itemRun, step string) {
	var attempts []*exchange
	for _, ex := range ir.exchanges {
		if ex.step == step {
			attempts = append(attempts, ex)
		}
	}
	if len(attempts) < 2 {
		return
	}
	attempts[0].shrink(rawKeep)
	for _, ex := range attempts[1 : len(attempts)-1] {
		ex.shrink(0)
	}
}

// causeOf records, in fields, what an item's failure is about, so that
// failures sharing a cause become one problem (results.GroupProblems).
func (r *Runner) causeOf(ir *itemRun, f *failure) *results.Cause {
	ex := f.ex
	c := &results.Cause{Kind: results.CauseCheck}
	if ex == nil || ex.req == nil {
		return c
	}
	// Within its item's API: the API is the item's own field.
	c.Operation = strings.TrimPrefix(operationOf(ir, ex), ir.job.api.Name+".")
	c.Method = ex.req.Method
	c.Status = ex.status
	u := *ex.req.URL
	c.Endpoint = u.Scheme + "://" + u.Host
	st := stepNamed(ir.item, f.step)
	if ex.step == "token" && ir.job.suite.Auth != nil {
		// The run's token request (auth.go), shared by every item that
		// needs a token: judged as the token operation, not as the step.
		st = &suites.Step{Name: "token", Operation: ir.job.suite.Auth.Operation,
			Expect: suites.Expect{Status: &suites.StatusSpec{Codes: []int{200, 201}}}}
		c.Shared = true
	}
	switch {
	case ex.err != nil && (f.category == results.Connection || f.category == results.System) && ex.status == 0:
		c.Kind, c.Layer, c.What = results.CauseTransport, f.layer, f.actual
	case f.specProblem != "":
		c.Kind, c.What = results.CauseSchema, f.specProblem
		c.Violations = results.ParseViolations(f.specProblem)
		for i := range c.Violations {
			c.Violations[i].Value = r.valueAt(ex.body, c.Violations[i].Pointer)
		}
	case ex.status >= 500:
		c.Kind = results.CauseServerError
	case st != nil && !statusAllowed(st, ex.status):
		c.Expected = expectedStatus(st)
		c.Kind = results.CauseStatus
		if missingStatus(ex.status) && !statusAllowsAny4xx(st) {
			c.Kind = results.CauseMissingOperation
		}
	}
	if c.Kind == results.CauseCheck || c.Kind == results.CauseStatus {
		c.What = f.message
	}
	return c
}

// valueAt is what a body holds at a JSON pointer, as JSON, masked and cut
// to 80 bytes: "what came" in a schema problem's sentence. It is read from
// the whole body, before the evidence copy is cut.
func (r *Runner) valueAt(body []byte, pointer string) string {
	path := gjsonPath(pointer)
	if path == "" {
		return ""
	}
	res := gjson.GetBytes(body, path)
	if !res.Exists() {
		return ""
	}
	v := maskCards(r.secrets.Mask(oneLine(res.Raw)))
	const most = 80
	if len(v) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
	return v
}

// gjsonPath turns a JSON pointer into a gjson path, escaping gjson's own
// syntax in keys; "" for the root or a pointer it cannot express.
func gjsonPath(pointer string) string {
	if pointer == "" || pointer == "/" || !strings.HasPrefix(pointer, "/") {
		return ""
	}
	var parts []string
	for _, seg := range strings.Split(pointer[1:], "/") {
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		var b strings.Builder
		for _, r := range seg {
			if strings.ContainsRune(`.*?|#@!\`, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, ".")
}

// missingStatus: the answers of a server that has no such route.
func missingStatus(status int) bool {
	return status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented
}

func statusAllowsAny4xx(st *suites.Step) bool {
	if st.Expect.Status == nil {
		return false
	}
	for code := 400; code < 500; code++ {
		if st.Expect.Status.Allows(code) {
			return true
		}
	}
	return false
}

func statusAllowed(st *suites.Step, status int) bool {
	if st.Expect.Status != nil {
		return st.Expect.Status.Allows(status)
	}
	return status >= 200 && status <= 299
}

func expectedStatus(st *suites.Step) string {
	if st.Expect.Status != nil {
		return st.Expect.Status.String()
	}
	return "2xx"
}

func stepNamed(it *suites.Item, name string) *suites.Step {
	for _, st := range it.Steps() {
		if st.Name == name {
			return st
		}
	}
	return nil
}
