package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// User is an account of the hub. The password hash never leaves the store.
type User struct {
	ID        string
	Email     string
	Name      string
	Role      Role
	PartnerID string // RolePartner only
	Disabled  bool
	CreatedAt time.Time
}

// NewUser is the input of CreateUser. Password may be empty: the user then
// signs in with API tokens or a Telegram link only.
type NewUser struct {
	Email     string
	Name      string
	Role      Role
	PartnerID string
	Password  string
}

// userColumns is the column list scanUser reads, qualified with alias
// ("" or "u.").
func userColumns(alias string) string {
	a := alias
	return a + "id, " + a + "email, " + a + "name, " + a + "role, COALESCE(" + a + "partner_id, ''), " +
		a + "disabled, " + a + "created_at"
}

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PartnerID, &u.Disabled, &created); err != nil {
		return User{}, err
	}
	u.CreatedAt = fromTS(created)
	return u, nil
}

func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return "", fmt.Errorf("store: email address is not valid: %w", ErrInvalid)
	}
	return email, nil
}

// CreateUser adds an account. Admins create anyone; BAU staff create
// partner users; a partner's user creates no one.
func (s *Store) CreateUser(ctx context.Context, p Principal, in NewUser) (User, error) {
	switch {
	case in.Role == RolePartner:
		if err := p.canManage(in.PartnerID); err != nil {
			return User{}, err
		}
	case in.Role.userRole():
		if err := p.adminOnly(); err != nil {
			return User{}, err
		}
	default:
		return User{}, fmt.Errorf("store: role %q: %w", in.Role, ErrInvalid)
	}
	return s.insertUser(ctx, s.db, in)
}

// insertUser is every way a user is made (CreateUser, BootstrapAdmin): a
// password, when there is one, has MinPassword characters or more.
func (s *Store) insertUser(ctx context.Context, q querier, in NewUser) (User, error) {
	email, err := normalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	if (in.Role == RolePartner) != (in.PartnerID != "") {
		return User{}, fmt.Errorf("store: a partner id goes with the partner role only: %w", ErrInvalid)
	}
	if in.Password != "" && utf8.RuneCountInString(in.Password) < MinPassword {
		return User{}, &PasswordError{Whose: "a new user's"}
	}
	hash := ""
	if in.Password != "" {
		if hash, err = hashPassword(in.Password); err != nil {
			return User{}, err
		}
	}
	u := User{ID: newID(), Email: email, Name: strings.TrimSpace(in.Name), Role: in.Role,
		PartnerID: in.PartnerID, CreatedAt: fromTS(ts(s.now()))}
	_, err = q.ExecContext(ctx, `INSERT INTO users (id, email, name, role, partner_id, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.Email, u.Name, string(u.Role), nullString(u.PartnerID), hash, ts(u.CreatedAt))
	if err != nil {
		return User{}, s.wrap("create user", err)
	}
	return u, nil
}

// MinPassword is the shortest password the hub sets: the first admin's, a
// new user's (staff or partner), a changed one.
const MinPassword = 12

// PasswordError is a password shorter than MinPassword. It is an ErrInvalid
// (errors.Is), so every front end answers it as bad input; its message
// names whose password it is, never the password.
type PasswordError struct {
	Whose string // "the first admin's", "a new user's", "the new"
}

func (e *PasswordError) Error() string {
	return fmt.Sprintf("store: %s password must have at least %d characters", e.Whose, MinPassword)
}

func (e *PasswordError) Unwrap() error { return ErrInvalid }

// BootstrapAdmin creates the first admin from the environment when the hub
// has no users yet; it returns (User{}, false, nil) once any user exists, so
// a restart never resets a password.
func (s *Store) BootstrapAdmin(ctx context.Context, email, password string) (User, bool, error) {
	if utf8.RuneCountInString(password) < MinPassword {
		return User{}, false, &PasswordError{Whose: "the first admin's"}
	}
	var u User
	created := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return s.wrap("count users", err)
		}
		if n > 0 {
			return nil
		}
		var err error
		u, err = s.insertUser(ctx, tx, NewUser{Email: email, Name: "Administrator", Role: RoleAdmin, Password: password})
		created = err == nil
		return err
	})
	return u, created, err
}

// GetUser returns a user: staff see all, a partner's user sees its own
// partner's users.
func (s *Store) GetUser(ctx context.Context, p Principal, id string) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns("")+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, notFound("user", s.wrap("get user", err))
	}
	if !p.Staff() && (u.PartnerID == "" || p.canRead(u.PartnerID) != nil) {
		return User{}, fmt.Errorf("store: user: %w", ErrNotFound)
	}
	return u, nil
}

// ListUsers lists staff and partner users (partnerID "" = all, staff only)
// or the users of one partner.
func (s *Store) ListUsers(ctx context.Context, p Principal, partnerID string) ([]User, error) {
	q := `SELECT ` + userColumns("") + ` FROM users ORDER BY email`
	args := []any{}
	if partnerID == "" {
		if err := p.staffOnly(); err != nil {
			return nil, err
		}
	} else {
		if err := p.canRead(partnerID); err != nil {
			return nil, err
		}
		q = `SELECT ` + userColumns("") + ` FROM users WHERE partner_id = $1 ORDER BY email`
		args = append(args, partnerID)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list users", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.wrap("list users", err)
		}
		out = append(out, u)
	}
	return out, s.wrap("list users", rows.Err())
}

// SetPassword changes a password: a user's own, or anyone's for an admin,
// or a partner user's for BAU staff.
func (s *Store) SetPassword(ctx context.Context, p Principal, userID, password string) error {
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return err
	}
	if utf8.RuneCountInString(password) < MinPassword {
		return &PasswordError{Whose: "the new"}
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	return s.wrap("set password", err)
}

// SetUserDisabled blocks or unblocks an account (admins only; nobody
// disables itself). Disabling ends every way in, in the transaction that
// sets the flag: the user's browser sessions and unused Telegram link codes
// are deleted, its API tokens revoked and its Telegram chats unlinked.
// Enabling brings none of them back: the user signs in again, is issued new
// tokens and links its chats with a new code.
func (s *Store) SetUserDisabled(ctx context.Context, p Principal, userID string, disabled bool) error {
	if p.UserID == userID {
		return fmt.Errorf("store: a user cannot disable itself: %w", ErrForbidden)
	}
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return err
	}
	if err := p.adminOnly(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		// First, so that the user's row is held (see holdEnabledUser) before
		// its credentials are ended.
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, userID)
		if err := affectedOne(res, err, "user", s); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = $1`, userID); err != nil {
			return s.wrap("disable user: end sessions", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`,
			ts(s.now()), userID); err != nil {
			return s.wrap("disable user: revoke tokens", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM telegram_links WHERE user_id = $1`, userID); err != nil {
			return s.wrap("disable user: unlink chats", err)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM telegram_link_codes WHERE user_id = $1`, userID)
		return s.wrap("disable user: drop link codes", err)
	})
}

// holdEnabledUser is the first step of every transaction that issues a
// credential (session, token, link code, chat link): it reads whether the
// user is enabled and holds the user's row until the transaction ends.
// SetUserDisabled takes the same row first, so the two happen one after the
// other: a credential is either refused or ended by the disabling, never
// issued past it. A missing user is ErrNotFound.
func (s *Store) holdEnabledUser(ctx context.Context, tx *sql.Tx, userID string) (bool, error) {
	var disabled bool
	err := tx.QueryRowContext(ctx, `SELECT disabled FROM users WHERE id = $1`+s.dialect.forShare, userID).Scan(&disabled)
	if err != nil {
		return false, notFound("user", s.wrap("user", err))
	}
	return !disabled, nil
}

// errDisabledUser is a credential asked for a disabled user.
var errDisabledUser = fmt.Errorf("store: the user is disabled: an admin enables it first: %w", ErrConflict)

// canAdminister: yourself; admins anyone; BAU staff partner users.
func (s *Store) canAdminister(ctx context.Context, p Principal, userID string) error {
	if p.UserID != "" && p.UserID == userID {
		return nil
	}
	u, err := s.GetUser(ctx, p, userID)
	if err != nil {
		return err
	}
	if u.Role == RolePartner {
		return p.canManage(u.PartnerID)
	}
	return p.adminOnly()
}

// Authenticate checks an email and password. Every failure is the same
// ErrUnauthenticated, and an unknown email costs a hash like a known one.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var hash string
	row := s.db.QueryRowContext(ctx, `SELECT `+userColumns("")+`, password_hash FROM users WHERE email = $1`, email)
	var u User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PartnerID, &u.Disabled, &created, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, s.wrap("authenticate", err)
	}
	ok := verifyPassword(hash, password)
	if err != nil || !ok || u.Disabled {
		return User{}, fmt.Errorf("store: sign-in: %w", ErrUnauthenticated)
	}
	u.CreatedAt = fromTS(created)
	return u, nil
}

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1
// lane). They are written into each hash, so raising them later leaves old
// hashes verifiable.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("store: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// verifyPassword checks password against a PHC argon2id string. An empty or
// malformed hash still spends one hash's work, then fails.
func verifyPassword(encoded, password string) bool {
	var m, t uint32
	var par uint8
	var v int
	parts := strings.Split(encoded, "$")
	ok := len(parts) == 6 && parts[1] == "argon2id"
	if ok {
		_, err1 := fmt.Sscanf(parts[2], "v=%d", &v)
		_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &par)
		ok = err1 == nil && err2 == nil && v == argon2.Version && m > 0 && t > 0 && par > 0
	}
	salt, want := []byte("golive-no-user!!"), make([]byte, argonKeyLen)
	if ok {
		var err1, err2 error
		salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
		want, err2 = base64.RawStdEncoding.DecodeString(parts[5])
		ok = err1 == nil && err2 == nil && len(want) > 0
	}
	if !ok {
		m, t, par, want = argonMemory, argonTime, argonThreads, make([]byte, argonKeyLen)
	}
	got := argon2.IDKey([]byte(password), salt, t, m, par, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && ok
}

// APIToken describes a token; the token itself is returned once, by
// CreateAPIToken, and only its SHA-256 is stored.
type APIToken struct {
	ID         string
	UserID     string
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// tokenPrefix marks golive tokens so that secret scanners can find leaked ones.
const tokenPrefix = "glv_"

func randomSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("store: crypto/rand: %v", err))
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// secretHash is how tokens, session ids and link codes are stored: they
// carry 256 random bits, so a plain SHA-256 suffices (no salt or stretching).
func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateAPIToken issues a token for an enabled user (yourself, or a user
// you administer). The returned string is the only copy.
func (s *Store) CreateAPIToken(ctx context.Context, p Principal, userID, name string, expiresAt time.Time) (string, APIToken, error) {
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return "", APIToken{}, err
	}
	secret := randomSecret(tokenPrefix)
	t := APIToken{ID: newID(), UserID: userID, Name: strings.TrimSpace(name), CreatedAt: fromTS(ts(s.now()))}
	if !expiresAt.IsZero() {
		t.ExpiresAt = fromTS(ts(expiresAt))
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		enabled, err := s.holdEnabledUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !enabled {
			return errDisabledUser
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, userID, t.Name, secretHash(secret), ts(t.CreatedAt), nullTS(t.ExpiresAt))
		return s.wrap("create token", err)
	})
	if err != nil {
		return "", APIToken{}, err
	}
	return secret, t, nil
}

// AuthenticateToken resolves a bearer token to its (enabled) user and
// records its use.
func (s *Store) AuthenticateToken(ctx context.Context, token string) (User, error) {
	u, tokenID, err := s.tokenUser(ctx, token)
	if err != nil {
		return User{}, err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ts(s.now()), tokenID); err != nil {
		return User{}, s.wrap("token last used", err)
	}
	return u, nil
}

// TokenUser resolves a bearer token as AuthenticateToken does (revoked,
// expired and a disabled user's tokens are ErrUnauthenticated), with one
// read and no write: a live event stream re-checks its token with it,
// which is not a use of the token.
func (s *Store) TokenUser(ctx context.Context, token string) (User, error) {
	u, _, err := s.tokenUser(ctx, token)
	return u, err
}

func (s *Store) tokenUser(ctx context.Context, token string) (User, string, error) {
	var tokenID string
	row := s.db.QueryRowContext(ctx, `SELECT t.id, `+userColumns("u.")+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
		  AND u.disabled = FALSE`, secretHash(token), ts(s.now()))
	var u User
	var created int64
	if err := row.Scan(&tokenID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PartnerID, &u.Disabled, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, "", fmt.Errorf("store: token: %w", ErrUnauthenticated)
		}
		return User{}, "", s.wrap("authenticate token", err)
	}
	u.CreatedAt = fromTS(created)
	return u, tokenID, nil
}

// ListAPITokens lists a user's tokens (never the tokens themselves).
func (s *Store) ListAPITokens(ctx context.Context, p Principal, userID string) ([]APIToken, error) {
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at, revoked_at
		FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, s.wrap("list tokens", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var created int64
		var exp, used, rev sql.NullInt64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &created, &exp, &used, &rev); err != nil {
			return nil, s.wrap("list tokens", err)
		}
		t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromTS(created), fromNullTS(exp), fromNullTS(used), fromNullTS(rev)
		out = append(out, t)
	}
	return out, s.wrap("list tokens", rows.Err())
}

// RevokeAPIToken revokes a token of a user the principal administers.
func (s *Store) RevokeAPIToken(ctx context.Context, p Principal, tokenID string) error {
	var userID string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, tokenID).Scan(&userID)
	if err != nil {
		return notFound("token", s.wrap("revoke token", err))
	}
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, ts(s.now()), tokenID)
	return s.wrap("revoke token", err)
}

// Session is a browser session; its id is the cookie value, returned once
// by CreateSession and stored hashed.
type Session struct {
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateSession starts a browser session for an authenticated user; a user
// disabled since it signed in is ErrUnauthenticated.
func (s *Store) CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, Session, error) {
	if ttl <= 0 {
		return "", Session{}, fmt.Errorf("store: session lifetime must be positive: %w", ErrInvalid)
	}
	id := randomSecret("")
	now := s.now()
	sess := Session{UserID: userID, CreatedAt: fromTS(ts(now)), ExpiresAt: fromTS(ts(now.Add(ttl)))}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		enabled, err := s.holdEnabledUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if !enabled {
			return fmt.Errorf("store: session: %w", ErrUnauthenticated)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			secretHash(id), userID, ts(sess.CreatedAt), ts(sess.ExpiresAt))
		return s.wrap("create session", err)
	})
	if err != nil {
		return "", Session{}, err
	}
	return id, sess, nil
}

// SessionUser resolves a session cookie to its user; expired sessions and
// disabled users are ErrUnauthenticated.
func (s *Store) SessionUser(ctx context.Context, sessionID string) (User, Session, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+userColumns("u.")+`, w.created_at, w.expires_at
		FROM web_sessions w JOIN users u ON u.id = w.user_id
		WHERE w.id_hash = $1 AND w.expires_at > $2 AND u.disabled = FALSE`, secretHash(sessionID), ts(s.now()))
	var u User
	var created, sc, se int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PartnerID, &u.Disabled, &created, &sc, &se); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return User{}, Session{}, fmt.Errorf("store: session: %w", ErrUnauthenticated)
		}
		return User{}, Session{}, s.wrap("session", err)
	}
	u.CreatedAt = fromTS(created)
	return u, Session{UserID: u.ID, CreatedAt: fromTS(sc), ExpiresAt: fromTS(se)}, nil
}

// DeleteOtherSessions ends every browser session of a user but keep's (a
// password change signs out everywhere else). It returns how many ended.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keep string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = $1 AND id_hash <> $2`, userID, secretHash(keep))
	if err != nil {
		return 0, s.wrap("delete sessions", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteSession ends a session (sign-out). Unknown ids are not an error.
func (s *Store) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, secretHash(sessionID))
	return s.wrap("delete session", err)
}

// DeleteExpiredSessions removes expired sessions and link codes; the
// server calls it periodically. It returns how many rows went.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	now := ts(s.now())
	r1, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, s.wrap("expire sessions", err)
	}
	r2, err := s.db.ExecContext(ctx, `DELETE FROM telegram_link_codes WHERE expires_at <= $1`, now)
	if err != nil {
		return 0, s.wrap("expire link codes", err)
	}
	a, _ := r1.RowsAffected()
	b, _ := r2.RowsAffected()
	return a + b, nil
}
