package runner

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// tokenManager acquires the run's token once, shares it between concurrent
// items, and replaces it when the target says it is no longer valid.
type tokenManager struct {
	r    *Runner
	job  *job
	spec *suites.Auth

	mu      sync.Mutex
	token   string
	expires time.Time
	// lastErr is the failure of the last acquisition, so that sixty items do
	// not each hammer a broken token endpoint: they share the one failure.
	lastErr *failure
	lastEx  *exchange
}

func newTokenManager(r *Runner, j *job, spec *suites.Auth) *tokenManager {
	return &tokenManager{r: r, job: j, spec: spec}
}

func (t *tokenManager) header() string {
	if t.spec.Header != "" {
		return t.spec.Header
	}
	return "Authorization"
}

func (t *tokenManager) value(token string) string {
	scheme := t.spec.Scheme
	if scheme == "" {
		scheme = "Bearer"
	}
	if scheme == "none" {
		return token
	}
	return scheme + " " + token
}

// get returns a live token, acquiring one if needed.
func (t *tokenManager) get(ctx context.Context) (string, *failure, *exchange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" && (t.expires.IsZero() || time.Now().Before(t.expires)) {
		return t.token, nil, nil
	}
	if t.lastErr != nil {
		shared := *t.lastErr // each item gets its own copy to annotate
		return "", &shared, t.lastEx
	}
	tok, f, ex := t.acquire(ctx)
	if f != nil {
		shared := *f
		return "", &shared, ex
	}
	return tok, nil, nil
}

// refresh replaces stale (the token that got a 401) unless another item
// already did.
func (t *tokenManager) refresh(ctx context.Context, stale string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != stale && t.token != "" {
		return t.token, nil
	}
	t.token = ""
	tok, f, _ := t.acquire(ctx)
	if f != nil {
		return "", fmt.Errorf("%s", f.message)
	}
	return tok, nil
}

// acquire calls the token operation; the caller holds mu.
func (t *tokenManager) acquire(ctx context.Context) (string, *failure, *exchange) {
	r := t.r
	sc := &scope{vars: t.job.vars, captures: map[string]any{}, gen: map[string]any{}, runID: r.runID}
	b, err := r.buildRequest(t.job, t.spec.Operation, &t.spec.Request, sc.resolve)
	if err != nil {
		return "", &failure{status: "error", category: "integration", reason: "the token request could not be built from the suite",
			message: "token: " + err.Error()}, nil
	}
	// The token request never waits for a request slot: items holding
	// slots may be waiting for this very token (a refresh after a 401), and
	// it is one request per run or per expiry.
	ex := r.send(holdingSlot(ctx), b.req, b.body, t.job.timeout)
	ex.step, ex.attempt = "token", 1
	if f := transportFailure(ex); f != nil {
		f.message = "could not get a token: " + f.message
		t.lastErr, t.lastEx = f, ex
		return "", f, ex
	}
	if ex.status != http.StatusOK && ex.status != http.StatusCreated {
		f := statusFailure(&suites.Step{Name: "token", Operation: t.spec.Operation}, ex, "200")
		f.message = fmt.Sprintf("could not get a token: %s answered %d: %s", t.spec.Operation, ex.status, excerpt(ex.body))
		t.lastErr, t.lastEx = f, ex
		return "", f, ex
	}
	path := t.spec.Token
	if path == "" {
		path = "token"
	}
	tok := gjson.GetBytes(ex.body, path).String()
	if tok == "" {
		f := integrationFailure(ex, fmt.Sprintf("could not get a token: no %s in the %s response", path, t.spec.Operation),
			path+" present", excerpt(ex.body))
		t.lastErr, t.lastEx = f, ex
		return "", f, ex
	}
	// Some partners return "Bearer xyz" in the token field.
	tok = strings.TrimSpace(strings.TrimPrefix(tok, "Bearer "))
	r.secrets.Add(tok, "GOLIVE_TOKEN")
	t.token = tok
	t.expires = time.Time{}
	if t.spec.ExpiresIn != "" {
		if secs := gjson.GetBytes(ex.body, t.spec.ExpiresIn).Int(); secs > 0 {
			// Renew a little early so a request never leaves with a token
			// that expires in flight.
			t.expires = time.Now().Add(time.Duration(secs)*time.Second - 30*time.Second)
		}
	}
	return tok, nil, ex
}

// applyAuth sets the step's credentials: the run's token where the operation
// is secured (unless the step sets the header itself), none, or a token the
// target never issued.
func (r *Runner) applyAuth(ctx context.Context, ir *itemRun, st *suites.Step, b *built) (string, *failure) {
	tm := ir.job.auth
	name := "Authorization"
	if tm != nil {
		name = tm.header()
	}
	if st.Request.Headers.Get(name) != nil || st.Request.Headers.Get(strings.ToLower(name)) != nil {
		return "", nil
	}
	switch st.Auth {
	case suites.AuthNone:
		b.req.Header.Del(name)
		for _, h := range r.credentialHeaders(ir.job) {
			b.req.Header.Del(h)
		}
		return "", nil
	case suites.AuthInvalid:
		bogus := "golive-invalid-" + tmpl.Format(ir.scope.generate("uuid"))
		switch real := b.req.Header.Get(name); {
		case tm != nil:
			b.req.Header.Set(name, tm.value(bogus))
		case real != "":
			b.req.Header.Set(name, forgedLike(real, bogus)) // a --header credential: its scheme kept
		default:
			b.req.Header.Set(name, "Bearer "+bogus)
		}
		for _, h := range r.credentialHeaders(ir.job) {
			if real := b.req.Header.Get(h); real != "" {
				b.req.Header.Set(h, forgedLike(real, bogus))
			}
		}
		return "", nil
	}
	if tm == nil || !secured(ir.job.api, b.op) {
		return "", nil
	}
	tok, f, ex := tm.get(ctx)
	if f != nil {
		if ex != nil {
			ir.exchanges = append(ir.exchanges, ex)
		}
		return "", f
	}
	b.req.Header.Set(name, tm.value(tok))
	return tok, nil
}

// credentialHeaders are the headers besides Authorization that carry
// credentials: API keys the spec declares, and credential-like --header
// values. auth: none drops them, auth: invalid forges them.
func (r *Runner) credentialHeaders(j *job) []string {
	var names []string
	if c := j.api.Doc.Components; c != nil {
		for _, ref := range c.SecuritySchemes {
			if sc := ref.Value; sc != nil && sc.Type == "apiKey" && sc.In == "header" {
				names = append(names, sc.Name)
			}
		}
	}
	for _, h := range r.extra {
		if sensitiveHeader(h.name) {
			names = append(names, h.name)
		}
	}
	return names
}

// forgedLike is a credential of the real one's shape with a value the
// target never issued: "Bearer abc" gives "Bearer golive-invalid-...", an
// API key gives the forged value alone. Keeping the scheme matters: a target
// that accepts any bearer string at all must still be caught, and it refuses
// a value without its scheme for the wrong reason.
func forgedLike(real, bogus string) string {
	if scheme, _, ok := strings.Cut(strings.TrimSpace(real), " "); ok && scheme != "" {
		return scheme + " " + bogus
	}
	return bogus
}
