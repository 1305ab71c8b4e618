package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/uat"
)

func (s *Server) setAPIs(r *http.Request, c *caller, partnerID string, apis []string) error {
	if _, err := s.store.GetPartner(r.Context(), c.p, partnerID); err != nil {
		return err // who may see the partner first: validation says nothing to others
	}
	for _, a := range apis {
		if !slices.Contains(specs.Builtin(), strings.TrimSpace(a)) && strings.TrimSpace(a) != "" {
			return badRequest("unknown API %q: the hub certifies the built-in APIs (%s)", truncate(a, 40),
				strings.Join(specs.Builtin(), ", "))
		}
	}
	err := s.store.SetPartnerAPIs(r.Context(), c.p, partnerID, apis)
	s.audit(r.Context(), c.p, partnerID, "partner.apis", "partner "+partnerID,
		map[string]string{"apis": strings.Join(apis, ",")}, err)
	return err
}

// credentialEnv lists the credentials an environment stores: the built-in
// suites' secret variables, each with the environment variable the CLI
// reads it from (a run refers to it by that name, so it is masked as the
// CLI masks it).
var credentialEnv = map[string]string{
	"clientId":    "GOLIVE_CLIENT_ID",
	"apiKey":      "GOLIVE_API_KEY",
	"checksumKey": "GOLIVE_CHECKSUM_KEY",
}

// putEnvironment registers a partner endpoint. Credentials are a map of
// the suite variables the partner's API needs (clientId, apiKey, ...);
// they are sealed by the store and never shown back, and the audit log
// records only their names.
func (s *Server) putEnvironment(r *http.Request, c *caller, partnerID, name string, in environmentBody) (store.Environment, error) {
	if _, err := s.store.GetPartner(r.Context(), c.p, partnerID); err != nil {
		return store.Environment{}, err
	}
	if name != store.Staging && name != store.Production {
		return store.Environment{}, badRequest("environment must be staging or production")
	}
	if err := checkEnvironment(in); err != nil {
		return store.Environment{}, err
	}
	names := make([]string, 0, len(in.Credentials))
	for k := range in.Credentials {
		names = append(names, k)
	}
	slices.Sort(names)
	e, err := s.store.PutEnvironment(r.Context(), c.p, partnerID, store.EnvironmentInput{Name: name,
		BaseURL: strings.TrimSpace(in.BaseURL), TLS: store.TLSSettings{CAPEM: in.CAPEM,
			ServerName: strings.TrimSpace(in.ServerName), InsecureSkipVerify: in.InsecureSkipVerify},
		Credentials: in.Credentials})
	s.audit(r.Context(), c.p, partnerID, "environment.put", name,
		map[string]string{"baseUrl": in.BaseURL, "credential names": strings.Join(names, ","),
			"serverName": in.ServerName, "insecureSkipVerify": strconv.FormatBool(in.InsecureSkipVerify)}, err)
	return e, err
}

// checkEnvironment refuses what would only fail when a run starts, in one
// line naming the field, and never echoes a value that may be a secret:
// a base URL with a user name or password (it would be shown back, logged
// and audited), a CA that holds no certificate, a credential the suites
// do not read (a typo such as apikey would leave apiKey unset).
func checkEnvironment(in environmentBody) error {
	u, err := url.Parse(strings.TrimSpace(in.BaseURL))
	switch {
	case strings.TrimSpace(in.BaseURL) == "":
		return badRequest("baseUrl is required: the partner's endpoint, e.g. https://staging.partner.example")
	case err != nil:
		return badRequest("baseUrl is not a URL: want the partner's endpoint, e.g. https://staging.partner.example")
	case u.User != nil:
		return badRequest("baseUrl must not hold a user name or password: give the endpoint alone and the secrets as credentials (%s)",
			strings.Join(credentialNames(), ", "))
	case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return badRequest("baseUrl must be an absolute http(s) URL, e.g. https://staging.partner.example")
	}
	if strings.TrimSpace(in.CAPEM) != "" {
		if err := checkCAPEM(in.CAPEM); err != nil {
			return badRequest("caPem: %v", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Credentials)) {
		if _, ok := credentialEnv[k]; !ok {
			hint := ""
			for known := range credentialEnv {
				if strings.EqualFold(known, k) {
					hint = fmt.Sprintf(" (did you mean %s?)", known)
				}
			}
			return badRequest("credentials: unknown key %q%s: the keys are %s", truncate(k, 40), hint,
				strings.Join(credentialNames(), ", "))
		}
		if in.Credentials[k] == "" {
			return badRequest("credentials: %s is empty: give its value, or leave it out", k)
		}
	}
	return nil
}

// credentialNames are the credential keys, in the order the docs give them.
func credentialNames() []string { return []string{"clientId", "apiKey", "checksumKey"} }

// checkCAPEM wants at least one certificate, every one of them readable,
// and no private key (a CA's key has no business on the hub).
func checkCAPEM(text string) error {
	n := 0
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return errors.New("holds a private key: give the CA's certificate only (-----BEGIN CERTIFICATE-----)")
		case block.Type != "CERTIFICATE":
			continue
		}
		n++
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d cannot be read: %v", n, err)
		}
	}
	if n == 0 {
		return errors.New("holds no PEM certificate: want the CA's certificate, -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----")
	}
	return nil
}

// progress is the partner's checklist progress on each registered API.
func (s *Server) progress(ctx context.Context, p store.Principal, partnerID string) ([]store.Progress, error) {
	apis, err := s.store.ListPartnerAPIs(ctx, p, partnerID)
	if err != nil {
		return nil, err
	}
	out := make([]store.Progress, 0, len(apis))
	for _, a := range apis {
		pr, err := s.store.ChecklistProgress(ctx, p, partnerID, a)
		if err != nil {
			return nil, err
		}
		out = append(out, withChecklist(pr, s.checklists[a]))
	}
	return out, nil
}

// diff compares the run in the path with ?against= (default: the
// partner's previous finished run). Both must be the caller's to see and
// of the same partner.
func (s *Server) diff(r *http.Request, c *caller) (results.Diff, store.Run, store.Run, error) {
	afterID, err := runParam(r, "run")
	if err != nil {
		return results.Diff{}, store.Run{}, store.Run{}, err
	}
	after, err := s.store.GetRun(r.Context(), c.p, afterID)
	if err != nil {
		return results.Diff{}, store.Run{}, store.Run{}, err
	}
	var before store.Run
	if v := r.URL.Query().Get("against"); v != "" {
		id, err := runParam(r, "against")
		if err != nil {
			return results.Diff{}, store.Run{}, store.Run{}, badRequest("against must be a run number, got %q", truncate(v, 40))
		}
		if before, err = s.store.GetRun(r.Context(), c.p, id); err != nil {
			return results.Diff{}, store.Run{}, store.Run{}, err
		}
		if before.PartnerID != after.PartnerID {
			return results.Diff{}, store.Run{}, store.Run{}, badRequest("runs %d and %d belong to different partners", before.ID, after.ID)
		}
	} else {
		prev, err := s.store.ListRuns(r.Context(), c.p, after.PartnerID, store.RunPage{Before: after.ID, Limit: 100})
		if err != nil {
			return results.Diff{}, store.Run{}, store.Run{}, err
		}
		i := slices.IndexFunc(prev, func(x store.Run) bool { return x.State == store.RunDone })
		if i < 0 {
			return results.Diff{}, store.Run{}, store.Run{}, notFoundf("run %d has no earlier finished run to compare with", after.ID)
		}
		before = prev[i]
	}
	if !hasResults(before) || !hasResults(after) {
		return results.Diff{}, store.Run{}, store.Run{}, &InputError{Status: http.StatusConflict,
			Msg: "both runs must have finished with results to be compared"}
	}
	d, err := s.compareRuns(r.Context(), c.p, before.ID, after.ID)
	return d, before, after, err
}

func hasResults(r store.Run) bool {
	return r.State == store.RunDone || (r.State == store.RunInterrupted && r.Verdict != "")
}

// serveArtifact serves a stored file. A report comes from a partner's
// target (and, for published runs, from the partner itself), so it is
// served sandboxed: no script in it runs with the hub's origin.
func (s *Server) serveArtifact(w http.ResponseWriter, r *http.Request, c *caller, name string, download bool) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	info, content, err := s.store.GetArtifact(r.Context(), c.p, id, name)
	if err != nil {
		return err
	}
	if info.Pruned {
		return &InputError{Status: http.StatusGone, Msg: fmt.Sprintf("%s of run %d was removed by retention; its hash %s remains", name, id, info.SHA256)}
	}
	filename := ""
	if download {
		filename = fmt.Sprintf("run-%d-%s", id, name)
	}
	writeArtifact(w, info, content, filename)
	return nil
}

// writeArtifact answers a stored file (a run's or a UAT session's). A
// report is a whole page of its own: the sandbox CSP keeps its script from
// reaching the hub; a filename makes it a download.
func writeArtifact(w http.ResponseWriter, info store.ArtifactInfo, content []byte, filename string) {
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("Content-Security-Policy", "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("X-Golive-SHA256", info.SHA256)
	if filename != "" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filename))
	}
	_, _ = w.Write(content)
}

// artifactsJSON lists stored files as the API shows them.
func artifactsJSON(arts []store.ArtifactInfo) []ArtifactJSON {
	out := make([]ArtifactJSON, 0, len(arts))
	for _, a := range arts {
		out = append(out, ArtifactJSON{Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256, Pruned: a.Pruned})
	}
	return out
}

// linkCodeTTL is how long a Telegram link code works.
const linkCodeTTL = 24 * time.Hour

// partnerLinkCode issues a one-time code that links a Telegram chat to a
// partner (staff only).
func (s *Server) partnerLinkCode(ctx context.Context, p store.Principal, partnerID string) (string, time.Time, error) {
	pt, err := s.store.GetPartner(ctx, p, partnerID)
	if err != nil {
		return "", time.Time{}, err
	}
	if !p.Staff() {
		return "", time.Time{}, &InputError{Status: http.StatusForbidden, Msg: "BAU staff issue Telegram link codes"}
	}
	code, exp, err := PartnerLinkCode(ctx, s.store, pt.ID)
	s.audit(ctx, p, pt.ID, "telegram.link-code", "partner "+pt.Name, nil, err)
	return code, exp, err
}

// PartnerLinkCode issues a partner's link code as the hub itself (the
// server's pages and `golive partner link`). The store links chats to
// users, so each partner has one bot user (no password, created on first
// use) whose linked chats are the partner's chats.
func PartnerLinkCode(ctx context.Context, st *store.Store, partnerID string) (string, time.Time, error) {
	u, err := botUser(ctx, st, partnerID)
	if err != nil {
		return "", time.Time{}, err
	}
	return st.CreateLinkCode(ctx, store.PrincipalOf(u), linkCodeTTL)
}

// botUserEmail names a partner's Telegram user (.invalid never resolves).
func botUserEmail(partnerID string) string {
	return "telegram+" + partnerID + "@partners.golive.invalid"
}

func botUser(ctx context.Context, st *store.Store, partnerID string) (store.User, error) {
	users, err := st.ListUsers(ctx, store.System(), partnerID)
	if err != nil {
		return store.User{}, err
	}
	for _, u := range users {
		if u.Email == botUserEmail(partnerID) {
			return u, nil
		}
	}
	return st.CreateUser(ctx, store.System(), store.NewUser{Email: botUserEmail(partnerID), Name: "Telegram",
		Role: store.RolePartner, PartnerID: partnerID})
}

// StaffLinkCode issues a code that links a chat to a staff user (BAU chats
// get every notification).
func (s *Server) staffLinkCode(ctx context.Context, p store.Principal) (string, time.Time, error) {
	if !p.Staff() || p.UserID == "" {
		return "", time.Time{}, &InputError{Status: http.StatusForbidden, Msg: "only a signed-in staff user links a staff chat"}
	}
	return s.store.CreateLinkCode(ctx, p, linkCodeTTL)
}

// withChecklist adds the checklist items no run has reached yet, so a
// partner that has run nothing reads "0 of 64", not "0 of 0".
func withChecklist(pr store.Progress, checklist []string) store.Progress {
	seen := make(map[string]bool, len(pr.Items))
	for _, it := range pr.Items {
		seen[it.ItemID] = true
	}
	for _, id := range checklist {
		if !seen[id] {
			pr.Items = append(pr.Items, store.ItemProgress{ItemID: id, NotRun: true})
			pr.NotRun++
		}
	}
	return pr
}

// checklistsOf lists each built-in API's checklist item ids: its suite's
// items, then its client checklist (UAT sessions) where it has one.
func checklistsOf() (map[string][]string, error) {
	out := map[string][]string{}
	for _, api := range specs.Builtin() {
		if !suites.IsBuiltin(api) {
			continue
		}
		st, err := suites.Load(api)
		if err != nil {
			return nil, fmt.Errorf("server: checklist of %s: %w", api, err)
		}
		for _, it := range st.Items {
			out[api] = append(out[api], it.ID)
		}
		if uat.IsAPI(api) {
			for _, it := range uat.Checklist(api) {
				out[api] = append(out[api], it.ID)
			}
		}
	}
	return out, nil
}

// ChatLinkJSON is a Telegram chat linked to one of a partner's users (its
// bot user, for chats linked with a partner code).
type ChatLinkJSON struct {
	ChatID   int64     `json:"chatId"`
	UserID   string    `json:"userId"`
	User     string    `json:"user"` // the user's email, or "partner code" for the partner's bot user
	LinkedAt time.Time `json:"linkedAt"`
}

// partnerChats lists the chats linked to the partner's users; staff only.
func (s *Server) partnerChats(ctx context.Context, p store.Principal, partnerID string) ([]ChatLinkJSON, error) {
	if _, err := s.store.GetPartner(ctx, p, partnerID); err != nil {
		return nil, err
	}
	if !p.Staff() {
		return nil, &InputError{Status: http.StatusForbidden, Msg: "BAU staff manage the partner's Telegram chats"}
	}
	users, err := s.store.ListUsers(ctx, p, partnerID)
	if err != nil {
		return nil, err
	}
	out := []ChatLinkJSON{}
	for _, u := range users {
		links, err := s.store.ListTelegramLinks(ctx, p, u.ID)
		if err != nil {
			return nil, err
		}
		name := u.Email
		if u.Email == botUserEmail(partnerID) {
			name = "partner code"
		}
		for _, l := range links {
			out = append(out, ChatLinkJSON{ChatID: l.ChatID, UserID: u.ID, User: name, LinkedAt: l.LinkedAt})
		}
	}
	return out, nil
}

// revokeChat unlinks one of the partner's chats: its next command gets
// only the instructions to link. A chat of another partner is not found.
func (s *Server) revokeChat(ctx context.Context, p store.Principal, partnerID, rawChat string) error {
	chat, err := strconv.ParseInt(rawChat, 10, 64)
	if err != nil {
		return notFoundf("no such chat: %q is not a chat id", truncate(rawChat, 40))
	}
	chats, err := s.partnerChats(ctx, p, partnerID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(chats, func(c ChatLinkJSON) bool { return c.ChatID == chat }) {
		return notFoundf("no chat %d is linked to this partner", chat)
	}
	err = s.store.UnlinkTelegram(ctx, p, chat)
	s.audit(ctx, p, partnerID, "telegram.revoke", fmt.Sprintf("chat %d", chat), nil, err)
	return err
}
