package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// sessionCookie holds a browser session id (random 256 bits; only its hash
// is stored).
const sessionCookie = "golive_session"

// csrfField is the hidden form field every form carries.
const csrfField = "csrf"

// caller is who makes a request.
type caller struct {
	user    store.User
	p       store.Principal
	session string // browser session id ("" for API tokens)
	token   string // API token ("" for browser sessions): a live stream re-checks it
	via     string // the replica that made a replica call (AccessReplica)
}

// csrfToken is the session's form token: derived from the session id,
// which only the browser holds (HttpOnly cookie), so a page on another
// site can neither read nor compute it, and nothing extra is stored.
func csrfToken(session string) string {
	h := sha256.Sum256([]byte("golive csrf\x00" + session))
	return hex.EncodeToString(h[:16])
}

func (c *caller) csrf() string { return csrfToken(c.session) }

// authenticate resolves the request's credentials for a route's access.
func (s *Server) authenticate(r *http.Request, access Access) (*caller, error) {
	switch access {
	case AccessAPI:
		h := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return nil, errUnauthenticated
		}
		token = strings.TrimSpace(token)
		u, err := s.store.AuthenticateToken(r.Context(), token)
		if err != nil {
			return nil, err
		}
		return &caller{user: u, p: store.PrincipalOf(u), token: token}, nil
	case AccessWeb:
		ck, err := r.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return nil, errUnauthenticated
		}
		u, _, err := s.store.SessionUser(r.Context(), ck.Value)
		if err != nil {
			return nil, err
		}
		c := &caller{user: u, p: store.PrincipalOf(u), session: ck.Value}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := checkCSRF(r, c); err != nil {
				return nil, err
			}
		}
		return c, nil
	case AccessReplica:
		return s.authenticateReplica(r)
	}
	return nil, nil
}

// errCSRF is a form without the session's token: another site's form, or
// a page older than the session.
var errCSRF = &InputError{Status: http.StatusForbidden,
	Msg: "the form's security token is missing or stale: reload the page and submit again"}

func checkCSRF(r *http.Request, c *caller) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		// ParseMultipartForm also parses url-encoded bodies.
		if err := r.ParseMultipartForm(maxFormBody); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return badRequest("the form cannot be read: %s", formProblem(err))
		}
		got = r.PostFormValue(csrfField)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.csrf())) != 1 {
		return errCSRF
	}
	return nil
}

func formProblem(err error) string {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return "it is too large"
	}
	return "it is not a valid form body"
}

// maxFormBody bounds a web form; maxJSONBody an API request body.
const (
	maxFormBody = 1 << 20
	maxJSONBody = 1 << 20
)

func (s *Server) setSessionCookie(w http.ResponseWriter, id string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: expires,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: !s.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// stillValid re-reads the credential c came with (its browser session or
// its API token) in the store, which every replica shares: nil while it
// still lets the same user in as the same principal; ErrUnauthenticated
// once the session is signed out or expired, the token revoked or
// expired, or the user disabled. It reads one row and writes nothing.
func (s *Server) stillValid(ctx context.Context, c *caller) error {
	var u store.User
	var err error
	switch {
	case c.session != "":
		u, _, err = s.store.SessionUser(ctx, c.session)
	case c.token != "":
		u, err = s.store.TokenUser(ctx, c.token)
	default:
		return errUnauthenticated // no credential to re-check: nothing to stream
	}
	if err != nil {
		return err
	}
	if store.PrincipalOf(u) != c.p {
		return errUnauthenticated
	}
	return nil
}
