package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxTokens bounds the live tokens kept, like maxOrders bounds orders: a
// client that asks for a token before every call cannot grow memory forever.
const maxTokens = 10_000

// tokenResponse is the spec's Token schema.
type tokenResponse struct {
	Token     string `json:"token"`
	TokenType string `json:"tokenType"`
	ExpiresIn int64  `json:"expiresIn"`
}

// handleToken serves generateToken: credentials in, bearer token out.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request, _ inbound) {
	id, key := r.Header.Get("client-id"), r.Header.Get("api-key")
	if id == "" || key == "" {
		s.writeError(w, &problem{status: http.StatusUnauthorized, code: "UNAUTHORIZED",
			message: "the client-id and api-key headers are required"})
		return
	}
	// Compare both in constant time, so a timing probe learns neither.
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.cfg.clientID))
	keyOK := subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.apiKey))
	if idOK&keyOK != 1 {
		s.writeError(w, &problem{status: http.StatusUnauthorized, code: "UNAUTHORIZED",
			message: "unknown client-id or wrong api-key"})
		return
	}
	token := s.tokens.issue(s.cfg.now(), s.cfg.tokenTTL)
	s.writeJSON(w, http.StatusOK, tokenResponse{
		Token: token, TokenType: "Bearer", ExpiresIn: int64(s.cfg.tokenTTL / time.Second),
	})
}

// authorized reports whether the request carries a live bearer token.
func (s *Sandbox) authorized(r *http.Request) bool {
	if s.has(FaultAnyBearer) {
		return bearerOnly(r)
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return s.tokens.live(strings.TrimSpace(token), s.cfg.now())
}

// tokenStore holds issued tokens and when they expire.
type tokenStore struct {
	mu      sync.Mutex
	max     int
	expires map[string]time.Time
}

func newTokenStore(max int) *tokenStore {
	return &tokenStore{max: max, expires: map[string]time.Time{}}
}

// issue mints a token valid for ttl from now.
func (t *tokenStore) issue(now time.Time, ttl time.Duration) string {
	token := randomToken()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.expires) >= t.max {
		t.evict(now)
	}
	t.expires[token] = now.Add(ttl)
	return token
}

// evict drops expired tokens, and if none had expired, the one closest to
// expiry: it has the least life left to lose.
func (t *tokenStore) evict(now time.Time) {
	var soonest string
	for token, exp := range t.expires {
		if !now.Before(exp) {
			delete(t.expires, token)
			continue
		}
		if soonest == "" || exp.Before(t.expires[soonest]) {
			soonest = token
		}
	}
	if len(t.expires) >= t.max {
		delete(t.expires, soonest)
	}
}

// live reports whether token was issued here and has not expired.
func (t *tokenStore) live(token string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.expires[token]
	return ok && now.Before(exp)
}

// randomToken returns 43 URL-safe characters (256 random bits).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it crashes the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}
