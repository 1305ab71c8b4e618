package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// PartnerStatus is where a partner stands in the program.
type PartnerStatus string

const (
	StatusNotStarted PartnerStatus = "not-started"
	StatusSIT        PartnerStatus = "sit"
	StatusUAT        PartnerStatus = "uat"
	StatusCertified  PartnerStatus = "certified"
	StatusLive       PartnerStatus = "live"
	StatusRegressed  PartnerStatus = "regressed"
	StatusArchived   PartnerStatus = "archived"
)

func (s PartnerStatus) valid() bool {
	switch s {
	case StatusNotStarted, StatusSIT, StatusUAT, StatusCertified, StatusLive, StatusRegressed, StatusArchived:
		return true
	}
	return false
}

// Contact is a person at the partner.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Role  string `json:"role,omitempty"`
}

// Partner is a merchant, bank or aggregator in the program.
type Partner struct {
	ID        string
	Name      string
	Contacts  []Contact
	Status    PartnerStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// PartnerInput creates or updates a partner's profile.
type PartnerInput struct {
	Name     string
	Contacts []Contact
	Status   PartnerStatus // "" = not-started on create, unchanged on update
}

const partnerCols = `id, name, contacts, status, created_at, updated_at`

func scanPartner(row interface{ Scan(...any) error }) (Partner, error) {
	var pt Partner
	var contacts string
	var created, updated int64
	if err := row.Scan(&pt.ID, &pt.Name, &contacts, &pt.Status, &created, &updated); err != nil {
		return Partner{}, err
	}
	if err := json.Unmarshal([]byte(contacts), &pt.Contacts); err != nil {
		return Partner{}, fmt.Errorf("contacts of partner %s: %w", pt.ID, err)
	}
	pt.CreatedAt, pt.UpdatedAt = fromTS(created), fromTS(updated)
	return pt, nil
}

func partnerName(name string) (display, key string, err error) {
	display = strings.Join(strings.Fields(name), " ")
	if display == "" || len(display) > 200 {
		return "", "", fmt.Errorf("store: partner name must have 1 to 200 characters: %w", ErrInvalid)
	}
	return display, strings.ToLower(display), nil
}

// CreatePartner adds a partner (staff only). Names are unique ignoring case
// and spacing: a duplicate is ErrConflict.
func (s *Store) CreatePartner(ctx context.Context, p Principal, in PartnerInput) (Partner, error) {
	if err := p.staffOnly(); err != nil {
		return Partner{}, err
	}
	name, key, err := partnerName(in.Name)
	if err != nil {
		return Partner{}, err
	}
	if in.Status == "" {
		in.Status = StatusNotStarted
	}
	if !in.Status.valid() {
		return Partner{}, fmt.Errorf("store: partner status %q: %w", in.Status, ErrInvalid)
	}
	contacts, err := contactsJSON(in.Contacts)
	if err != nil {
		return Partner{}, err
	}
	now := fromTS(ts(s.now()))
	pt := Partner{ID: newID(), Name: name, Contacts: in.Contacts, Status: in.Status, CreatedAt: now, UpdatedAt: now}
	if pt.Contacts == nil {
		pt.Contacts = []Contact{}
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO partners (id, name, name_key, contacts, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, pt.ID, name, key, contacts, string(pt.Status), ts(now))
	if err != nil {
		return Partner{}, s.wrap("create partner", err)
	}
	return pt, nil
}

func contactsJSON(cs []Contact) (string, error) {
	if cs == nil {
		cs = []Contact{}
	}
	b, err := json.Marshal(cs)
	if err != nil {
		return "", fmt.Errorf("store: contacts: %w", err)
	}
	return string(b), nil
}

// GetPartner returns one partner the principal may see.
func (s *Store) GetPartner(ctx context.Context, p Principal, id string) (Partner, error) {
	if err := p.canRead(id); err != nil {
		return Partner{}, err
	}
	pt, err := scanPartner(s.db.QueryRowContext(ctx, `SELECT `+partnerCols+` FROM partners WHERE id = $1`, id))
	if err != nil {
		return Partner{}, notFound("partner", s.wrap("get partner", err))
	}
	return pt, nil
}

// ListPartners lists the partners the principal may see, by name.
func (s *Store) ListPartners(ctx context.Context, p Principal) ([]Partner, error) {
	q, args := `SELECT `+partnerCols+` FROM partners ORDER BY name_key`, []any{}
	if !p.Staff() {
		if p.Role != RolePartner || p.PartnerID == "" {
			return nil, fmt.Errorf("store: partners: %w", ErrForbidden)
		}
		q, args = `SELECT `+partnerCols+` FROM partners WHERE id = $1`, []any{p.PartnerID}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("list partners", err)
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		pt, err := scanPartner(rows)
		if err != nil {
			return nil, s.wrap("list partners", err)
		}
		out = append(out, pt)
	}
	return out, s.wrap("list partners", rows.Err())
}

// UpdatePartner changes name, contacts and (when set) status; staff only.
func (s *Store) UpdatePartner(ctx context.Context, p Principal, id string, in PartnerInput) (Partner, error) {
	if err := p.canManage(id); err != nil {
		return Partner{}, err
	}
	name, key, err := partnerName(in.Name)
	if err != nil {
		return Partner{}, err
	}
	if in.Status != "" && !in.Status.valid() {
		return Partner{}, fmt.Errorf("store: partner status %q: %w", in.Status, ErrInvalid)
	}
	contacts, err := contactsJSON(in.Contacts)
	if err != nil {
		return Partner{}, err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE partners SET name = $1, name_key = $2, contacts = $3,
		status = CASE WHEN $4 = '' THEN status ELSE $4 END, updated_at = $5 WHERE id = $6`,
		name, key, contacts, string(in.Status), ts(s.now()), id)
	if err := affectedOne(res, err, "partner", s); err != nil {
		return Partner{}, err
	}
	return s.GetPartner(ctx, p, id)
}

// SetPartnerStatus moves a partner through the program (staff, or the hub
// itself when a scheduled run regresses).
func (s *Store) SetPartnerStatus(ctx context.Context, p Principal, id string, status PartnerStatus) error {
	if err := p.canManage(id); err != nil {
		return err
	}
	if !status.valid() {
		return fmt.Errorf("store: partner status %q: %w", status, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE partners SET status = $1, updated_at = $2 WHERE id = $3`,
		string(status), ts(s.now()), id)
	return affectedOne(res, err, "partner", s)
}

func affectedOne(res sql.Result, err error, what string, s *Store) error {
	if err != nil {
		return s.wrap("update "+what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap("update "+what, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return nil
}

// SetPartnerAPIs replaces the set of BAU APIs a partner integrates.
func (s *Store) SetPartnerAPIs(ctx context.Context, p Principal, partnerID string, apis []string) error {
	if err := p.canManage(partnerID); err != nil {
		return err
	}
	apis = normalizeAPIs(apis)
	for _, a := range apis {
		if !validName(a) {
			return fmt.Errorf("store: API name %q: %w", a, ErrInvalid)
		}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockPartner(ctx, tx, partnerID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM partner_apis WHERE partner_id = $1`, partnerID); err != nil {
			return s.wrap("set partner APIs", err)
		}
		now := ts(s.now())
		for _, a := range apis {
			if _, err := tx.ExecContext(ctx, `INSERT INTO partner_apis (partner_id, api, added_at, latest_run_id, done_run_id)
				VALUES ($1, $2, $3,
					(SELECT MAX(x.run_id) FROM run_apis x WHERE x.partner_id = $1 AND x.api = $2),
					(SELECT MAX(x.run_id) FROM run_apis x WHERE x.partner_id = $1 AND x.api = $2 AND x.state = 'done'))`,
				partnerID, a, now); err != nil {
				return s.wrap("set partner APIs", err)
			}
		}
		return nil
	})
}

// lockPartner checks the partner exists inside a transaction and locks its
// row, so that concurrent replacements of its child rows (APIs,
// environments) run one after the other instead of failing on a key.
func (s *Store) lockPartner(ctx context.Context, tx *sql.Tx, partnerID string) error {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM partners WHERE id = $1`+s.dialect.forUpdate, partnerID).Scan(&id)
	if err != nil {
		return notFound("partner", s.wrap("lock partner", err))
	}
	return nil
}

// ListPartnerAPIs lists the APIs a partner integrates, by name.
func (s *Store) ListPartnerAPIs(ctx context.Context, p Principal, partnerID string) ([]string, error) {
	if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT api FROM partner_apis WHERE partner_id = $1 ORDER BY api`, partnerID)
	if err != nil {
		return nil, s.wrap("list partner APIs", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, s.wrap("list partner APIs", err)
		}
		out = append(out, a)
	}
	return out, s.wrap("list partner APIs", rows.Err())
}

func normalizeAPIs(apis []string) []string {
	out := make([]string, 0, len(apis))
	for _, a := range apis {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// validName accepts API, environment and item-like names: letters, digits,
// '-', '_', '.', at most 100 characters (they end up in URLs and filters).
func validName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Environment names.
const (
	Staging    = "staging"
	Production = "production"
)

// TLSSettings for reaching a partner environment.
type TLSSettings struct {
	CAPEM              string // extra roots for a private CA, PEM
	ServerName         string // SNI / verification name override
	InsecureSkipVerify bool   // staging only, shown loudly in reports
}

// Environment is a partner endpoint. Credentials are never part of it:
// HasCredentials says whether some are stored, CredentialsKeyID under which
// key; DecryptCredentials is the one way to read them.
type Environment struct {
	PartnerID        string
	Name             string
	BaseURL          string
	TLS              TLSSettings
	HasCredentials   bool
	CredentialsKeyID string
	UpdatedAt        time.Time
}

// EnvironmentInput sets an environment. Credentials nil keeps what is
// stored; an empty non-nil map removes it.
type EnvironmentInput struct {
	Name        string
	BaseURL     string
	TLS         TLSSettings
	Credentials map[string]string
}

func envAAD(partnerID, env string) string { return "golive/env-credentials/" + partnerID + "/" + env }

// PutEnvironment creates or replaces a partner environment (staff only).
// Credentials are sealed with AES-256-GCM under the keyring's current key.
func (s *Store) PutEnvironment(ctx context.Context, p Principal, partnerID string, in EnvironmentInput) (Environment, error) {
	if err := p.canManage(partnerID); err != nil {
		return Environment{}, err
	}
	if in.Name != Staging && in.Name != Production {
		return Environment{}, fmt.Errorf("store: environment must be staging or production: %w", ErrInvalid)
	}
	u, err := url.Parse(in.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Environment{}, fmt.Errorf("store: base URL must be an absolute http(s) URL: %w", ErrInvalid)
	}
	if u.User != nil {
		// A password there would be a secret in a plain column, shown back
		// by every getter: credentials are sealed, a URL is not.
		return Environment{}, fmt.Errorf("store: base URL must not hold a user name or password: %w", ErrInvalid)
	}
	if in.TLS.InsecureSkipVerify && in.Name == Production {
		return Environment{}, fmt.Errorf("store: TLS verification cannot be skipped in production: %w", ErrInvalid)
	}
	var sealed []byte
	var keyID string
	if len(in.Credentials) > 0 {
		plain, err := json.Marshal(in.Credentials)
		if err != nil {
			return Environment{}, fmt.Errorf("store: credentials: %w", err)
		}
		if sealed, keyID, err = s.keys.seal(plain, envAAD(partnerID, in.Name)); err != nil {
			return Environment{}, err
		}
	}
	now := ts(s.now())
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockPartner(ctx, tx, partnerID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO environments
			(partner_id, name, base_url, tls_ca_pem, tls_server_name, tls_insecure, credentials, credentials_key, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (partner_id, name) DO UPDATE SET base_url = excluded.base_url,
				tls_ca_pem = excluded.tls_ca_pem, tls_server_name = excluded.tls_server_name,
				tls_insecure = excluded.tls_insecure, updated_at = excluded.updated_at`,
			partnerID, in.Name, in.BaseURL, in.TLS.CAPEM, in.TLS.ServerName, in.TLS.InsecureSkipVerify,
			sealed, nullString(keyID), now)
		if err != nil {
			return s.wrap("put environment", err)
		}
		if in.Credentials != nil {
			_, err = tx.ExecContext(ctx, `UPDATE environments SET credentials = $1, credentials_key = $2
				WHERE partner_id = $3 AND name = $4`, sealed, nullString(keyID), partnerID, in.Name)
		}
		return s.wrap("put environment", err)
	})
	if err != nil {
		return Environment{}, err
	}
	return s.GetEnvironment(ctx, p, partnerID, in.Name)
}

const envCols = `partner_id, name, base_url, tls_ca_pem, tls_server_name, tls_insecure,
	credentials IS NOT NULL, COALESCE(credentials_key, ''), updated_at`

func scanEnvironment(row interface{ Scan(...any) error }) (Environment, error) {
	var e Environment
	var updated int64
	err := row.Scan(&e.PartnerID, &e.Name, &e.BaseURL, &e.TLS.CAPEM, &e.TLS.ServerName, &e.TLS.InsecureSkipVerify,
		&e.HasCredentials, &e.CredentialsKeyID, &updated)
	e.UpdatedAt = fromTS(updated)
	return e, err
}

// GetEnvironment returns one environment, without credentials.
func (s *Store) GetEnvironment(ctx context.Context, p Principal, partnerID, name string) (Environment, error) {
	if err := p.canRead(partnerID); err != nil {
		return Environment{}, err
	}
	e, err := scanEnvironment(s.db.QueryRowContext(ctx, `SELECT `+envCols+` FROM environments
		WHERE partner_id = $1 AND name = $2`, partnerID, name))
	if err != nil {
		return Environment{}, notFound("environment", s.wrap("get environment", err))
	}
	return e, nil
}

// ListEnvironments lists a partner's environments, without credentials.
func (s *Store) ListEnvironments(ctx context.Context, p Principal, partnerID string) ([]Environment, error) {
	if err := p.canRead(partnerID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+envCols+` FROM environments WHERE partner_id = $1 ORDER BY name`, partnerID)
	if err != nil {
		return nil, s.wrap("list environments", err)
	}
	defer rows.Close()
	var out []Environment
	for rows.Next() {
		e, err := scanEnvironment(rows)
		if err != nil {
			return nil, s.wrap("list environments", err)
		}
		out = append(out, e)
	}
	return out, s.wrap("list environments", rows.Err())
}

// DecryptCredentials is the one path that returns credentials in plain
// form, for starting a run. Only staff and the hub itself may call it (a
// partner's user starts runs through the queue, whose worker acts as
// System); the caller records it in the audit log.
func (s *Store) DecryptCredentials(ctx context.Context, p Principal, partnerID, env string) (map[string]string, error) {
	if err := p.canManage(partnerID); err != nil {
		return nil, err
	}
	var sealed []byte
	var keyID sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT credentials, credentials_key FROM environments
		WHERE partner_id = $1 AND name = $2`, partnerID, env).Scan(&sealed, &keyID)
	if err != nil {
		return nil, notFound("environment", s.wrap("decrypt credentials", err))
	}
	if sealed == nil {
		return map[string]string{}, nil
	}
	plain, err := s.keys.open(sealed, keyID.String, envAAD(partnerID, env))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("store: credentials: %w", ErrDecrypt)
	}
	return out, nil
}
