package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/server/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *caller) error {
	v, err := s.store.SchemaVersion(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "database": s.store.Dialect(), "schema": v})
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, _ *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, userJSON(c.user))
	return nil
}

func (s *Server) apiListPartners(w http.ResponseWriter, r *http.Request, c *caller) error {
	rows, err := s.store.PartnersOverview(r.Context(), c.p)
	if err != nil {
		return err
	}
	out := make([]PartnerJSON, 0, len(rows))
	for _, po := range rows {
		out = append(out, partnerJSON(po))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type partnerBody struct {
	Name     string          `json:"name"`
	Contacts []store.Contact `json:"contacts"`
	APIs     []string        `json:"apis"`
}

func (s *Server) apiCreatePartner(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in partnerBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	pt, err := s.createPartner(r, c, in)
	if err != nil {
		return err
	}
	po, err := s.partnerOverview(r.Context(), c.p, pt.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, partnerJSON(po))
	return nil
}

func (s *Server) createPartner(r *http.Request, c *caller, in partnerBody) (store.Partner, error) {
	pt, err := s.store.CreatePartner(r.Context(), c.p, store.PartnerInput{Name: in.Name, Contacts: in.Contacts})
	err = taken(err, "a partner named %q already exists: choose another name", truncate(strings.Join(strings.Fields(in.Name), " "), 100))
	s.audit(r.Context(), c.p, pt.ID, "partner.create", "partner "+pt.Name, nil, err)
	if err != nil {
		return store.Partner{}, err
	}
	if len(in.APIs) > 0 {
		if err := s.setAPIs(r, c, pt.ID, in.APIs); err != nil {
			return pt, err
		}
	}
	return pt, nil
}

func (s *Server) apiGetPartner(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("partner")
	po, err := s.partnerOverview(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	envs, err := s.store.ListEnvironments(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	out := partnerJSON(po)
	for _, e := range envs {
		out.Environments = append(out.Environments, envJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSetAPIs(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		APIs []string `json:"apis"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.setAPIs(r, c, r.PathValue("partner"), in.APIs); err != nil {
		return err
	}
	return s.apiGetPartner(w, r, c)
}

type environmentBody struct {
	BaseURL     string            `json:"baseUrl"`
	Credentials map[string]string `json:"credentials"`
	CAPEM       string            `json:"caPem"`
	ServerName  string            `json:"serverName"`
	// InsecureSkipVerify: staging only (the store refuses it for
	// production); every run against it says so in its verdict.
	InsecureSkipVerify bool `json:"insecureSkipVerify"`
}

func (s *Server) apiPutEnvironment(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in environmentBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, err := s.putEnvironment(r, c, r.PathValue("partner"), r.PathValue("env"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, envJSON(e))
	return nil
}

func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request, c *caller) error {
	prs, err := s.progress(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	out := make([]ProgressJSON, 0, len(prs))
	for _, pr := range prs {
		pj := ProgressJSON{API: pr.API, LatestRunID: pr.LatestRunID, Passed: pr.Passed, FailingNow: pr.FailingNow,
			Total: pr.TotalEverRun + pr.NotRun, NotRun: pr.NotRun, Items: []ItemProgressJSON{}}
		for _, it := range pr.Items {
			pj.Items = append(pj.Items, ItemProgressJSON{ID: it.ItemID, EverPassed: it.EverPassed,
				Latest: string(it.Latest), Severity: string(it.Severity), NotRun: it.NotRun})
		}
		out = append(out, pj)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiListRuns(w http.ResponseWriter, r *http.Request, c *caller) error {
	pg := store.RunPage{}
	q := r.URL.Query()
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return badRequest("before must be a run number")
		}
		pg.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return badRequest("limit must be a number from 1 to 500")
		}
		pg.Limit = n
	}
	runs, err := s.store.ListRuns(r.Context(), c.p, r.PathValue("partner"), pg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(runs, runJSON))
	return nil
}

type startBody struct {
	APIs        []string `json:"apis"`
	Environment string   `json:"environment"`
	AllowWrites bool     `json:"allowWrites"`
}

func (s *Server) apiStartRun(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in startBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	run, err := s.startRun(r.Context(), c.p, r.PathValue("partner"), startInput{APIs: in.APIs,
		Environment: in.Environment, AllowWrites: in.AllowWrites, Source: store.SourceAPI})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/runs/"+strconv.FormatInt(run.ID, 10))
	writeJSON(w, http.StatusAccepted, runJSON(run))
	return nil
}

// convertAll converts each item (to its JSON form, to the bot's): [] when
// there are none, never null.
func convertAll[T, J any](items []T, conv func(T) J) []J {
	out := make([]J, 0, len(items))
	for _, it := range items {
		out = append(out, conv(it))
	}
	return out
}

func (s *Server) apiListSignOffs(w http.ResponseWriter, r *http.Request, c *caller) error {
	sos, err := s.store.ListSignOffs(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(sos, signOffJSON))
	return nil
}

func (s *Server) apiGetRun(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	run, err := s.store.GetRun(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, runJSON(run))
	return nil
}

func (s *Server) apiRunResults(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	raw, err := s.store.RunResults(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(raw)
	return nil
}

func (s *Server) apiListArtifacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	arts, err := s.store.ListArtifacts(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, artifactsJSON(arts))
	return nil
}

func (s *Server) apiArtifact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.serveArtifact(w, r, c, r.PathValue("name"), true)
}

func (s *Server) apiDiff(w http.ResponseWriter, r *http.Request, c *caller) error {
	d, _, _, err := s.diff(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

type signOffBody struct {
	Decision       string `json:"decision"`
	Note           string `json:"note"`
	EvidenceSHA256 string `json:"evidenceSha256"`
}

func (s *Server) apiSignOff(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	var in signOffBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	so, err := s.signOff(r.Context(), c.p, id, signOffInput{Decision: in.Decision, Note: in.Note, Evidence: in.EvidenceSHA256})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, signOffJSON(so))
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	entries, err := s.auditEntries(r, c)
	if err != nil {
		return err
	}
	out := make([]AuditJSON, 0, len(entries))
	for _, e := range entries {
		out = append(out, AuditJSON{ID: e.ID, At: e.At, Actor: e.Actor, Role: string(e.Role), PartnerID: e.PartnerID,
			Action: e.Action, Subject: e.Subject, Params: e.Params, Outcome: e.Outcome})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// auditEntries: staff read every entry (or one partner's with
// ?partner=); a partner's user reads its own partner's.
// ?limit (1 to 1000, default 200) and ?before (an entry id: older ones,
// for the next page) are checked, never ignored.
func (s *Server) auditEntries(r *http.Request, c *caller) ([]store.AuditEntry, error) {
	f, err := auditFilter(r, c)
	if err != nil {
		return nil, err
	}
	return s.store.ListAudit(r.Context(), c.p, f)
}

// auditFilter is the audit log's query (?partner, ?limit, ?before) checked
// and narrowed to what the caller may read.
func auditFilter(r *http.Request, c *caller) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{PartnerID: q.Get("partner"), Limit: 200}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > 1000 {
			return store.AuditFilter{}, badRequest("limit must be a number from 1 to 1000, got %q", truncate(q.Get("limit"), 20))
		}
		f.Limit = n
	}
	if q.Has("before") {
		n, err := strconv.ParseInt(q.Get("before"), 10, 64)
		if err != nil || n < 1 {
			return store.AuditFilter{}, badRequest("before must be an audit entry id (a positive number), got %q", truncate(q.Get("before"), 20))
		}
		f.Before = n
	}
	if !c.p.Staff() {
		if f.PartnerID != "" && f.PartnerID != c.p.PartnerID {
			return store.AuditFilter{}, store.ErrNotFound
		}
		f.PartnerID = c.p.PartnerID
	}
	return f, nil
}

type userBody struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in userBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.createPartnerUser(r, c, r.PathValue("partner"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

// createPartnerUser adds a user to a partner (staff). The store checks the
// password (MinPassword, or none: tokens and Telegram only). The audit
// entry names the email, never the password; a refused attempt is
// recorded with what was typed made storable.
func (s *Server) createPartnerUser(r *http.Request, c *caller, partnerID string, in userBody) (store.User, error) {
	u, err := s.store.CreateUser(r.Context(), c.p, store.NewUser{Email: in.Email, Name: in.Name, Role: store.RolePartner,
		PartnerID: partnerID, Password: in.Password})
	err = taken(err, "a user with the email %q already exists", plainText(strings.ToLower(strings.TrimSpace(in.Email)), 200))
	email := u.Email
	if email == "" {
		email = plainText(in.Email, 200)
	}
	s.audit(r.Context(), c.p, partnerID, "user.create", "user "+email, nil, err)
	return u, err
}

// TokenJSON is a new API token: the only time the token is shown.
type TokenJSON struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in struct {
		Name      string `json:"name"`
		ExpiresIn string `json:"expiresIn"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var exp time.Time
	if in.ExpiresIn != "" {
		d, err := time.ParseDuration(in.ExpiresIn)
		if err != nil || d <= 0 {
			return badRequest("expiresIn must be a positive duration such as 720h")
		}
		exp = s.cfg.Now().Add(d)
	}
	userID := r.PathValue("user")
	secret, t, err := s.store.CreateAPIToken(r.Context(), c.p, userID, in.Name, exp)
	s.audit(r.Context(), c.p, "", "token.create", "user "+userID, map[string]string{"name": in.Name}, err)
	if err != nil {
		return err
	}
	out := TokenJSON{ID: t.ID, Token: secret, Name: t.Name}
	if !t.ExpiresAt.IsZero() {
		out.ExpiresAt = &t.ExpiresAt
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.revokeToken(r.Context(), c.p, r.PathValue("user"), r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeToken revokes one of a user's API tokens: your own, or (as an
// admin) a team member's or a partner user's. A token that is not the
// user's, or a user you may not administer, is not found: nobody learns
// which token ids exist. The audit names the token by id and name, never
// by its value (which the hub does not have).
func (s *Server) revokeToken(ctx context.Context, p store.Principal, userID, tokenID string) error {
	tokens, err := s.store.ListAPITokens(ctx, p, userID)
	if errors.Is(err, store.ErrForbidden) {
		err = fmt.Errorf("server: token: %w", store.ErrNotFound)
	}
	var name string
	if err == nil {
		err = fmt.Errorf("server: token: %w", store.ErrNotFound)
		for _, t := range tokens {
			if t.ID == tokenID {
				name, err = t.Name, nil
				break
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return err // nothing of anyone's was touched: no audit entry
	}
	if err == nil {
		err = s.store.RevokeAPIToken(ctx, p, tokenID)
	}
	// The id goes in the subject: a param named like "token" is masked.
	s.audit(ctx, p, "", "token.revoke", "token "+tokenID+" of user "+userID, map[string]string{"name": name}, err)
	return err
}

// LinkCodeJSON is a one-time Telegram link code.
type LinkCodeJSON struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
	Command   string    `json:"command"`
}

func (s *Server) apiLinkCode(w http.ResponseWriter, r *http.Request, c *caller) error {
	// The body says nothing (an empty one, or {}), and anything else in
	// it is refused as in every other JSON endpoint; after the access
	// checks, so another partner's id is a 404 whatever the body.
	if _, err := s.store.GetPartner(r.Context(), c.p, r.PathValue("partner")); err != nil {
		return err
	}
	if c.p.Staff() {
		if err := decodeNothing(r); err != nil {
			return err
		}
	}
	code, exp, err := s.partnerLinkCode(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, LinkCodeJSON{Code: code, ExpiresAt: exp, Command: "/start " + code})
	return nil
}

type webhookBody struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

// WebhookJSON describes a webhook; its secret is never shown back.
type WebhookJSON struct {
	ID        string   `json:"id"`
	PartnerID string   `json:"partnerId,omitempty"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	HasSecret bool     `json:"hasSecret"`
}

func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in webhookBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.createWebhook(r.Context(), c.p, r.PathValue("partner"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookJSON(h))
	return nil
}

// createWebhook subscribes a URL to the partner's events (staff).
func (s *Server) createWebhook(ctx context.Context, p store.Principal, partnerID string, in webhookBody) (store.Webhook, error) {
	if _, err := s.store.GetPartner(ctx, p, partnerID); err != nil {
		return store.Webhook{}, err
	}
	if err := checkWebhookEvents(in.Events); err != nil {
		return store.Webhook{}, err
	}
	h, err := s.store.CreateWebhook(ctx, p, store.WebhookInput{PartnerID: partnerID, URL: in.URL,
		Events: in.Events, Secret: in.Secret})
	s.audit(ctx, p, partnerID, "webhook.create", "webhook "+h.ID, map[string]string{"url": in.URL}, err)
	return h, err
}

func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.deleteWebhook(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkWebhookEvents is what the store does not check itself: that every
// event is one the hub sends (the store takes any well-formed name).
func checkWebhookEvents(events []string) error {
	for _, e := range events {
		if !slices.Contains(webhookEvents(), e) {
			return badRequest("unknown event %q: want some of %s", truncate(e, 40), strings.Join(webhookEvents(), ", "))
		}
	}
	return nil
}

// partnerWebhook is one of the partner's webhooks (staff). Another
// partner's webhook reads exactly like a missing one.
func (s *Server) partnerWebhook(ctx context.Context, p store.Principal, partnerID, id string) (store.Webhook, error) {
	hooks, err := s.store.ListWebhooks(ctx, p, partnerID)
	if err != nil {
		return store.Webhook{}, err
	}
	i := slices.IndexFunc(hooks, func(h store.Webhook) bool { return h.ID == id })
	if i < 0 {
		return store.Webhook{}, notFoundf("no webhook %q for this partner", truncate(id, 40))
	}
	return hooks[i], nil
}

// deleteWebhook removes one of the partner's webhooks (staff), with its
// deliveries: pending ones are never sent.
func (s *Server) deleteWebhook(ctx context.Context, p store.Principal, partnerID, id string) error {
	if _, err := s.partnerWebhook(ctx, p, partnerID, id); err != nil {
		return err
	}
	err := s.store.DeleteWebhook(ctx, p, id)
	s.audit(ctx, p, partnerID, "webhook.delete", "webhook "+id, nil, err)
	return err
}

// webhookPatch changes a webhook: what it leaves out stays as it is. The
// secret is not changed here (rotateWebhookSecret).
type webhookPatch struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
}

func (s *Server) apiUpdateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	var in webhookPatch
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.updateWebhook(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookJSON(h))
	return nil
}

// updateWebhook changes the URL or the events (or both) of one of the
// partner's webhooks (staff), checked as a new webhook is. Its secret
// stays; its pending deliveries of the events it no longer subscribes to
// are cancelled (audited with their number), and the others go to the
// new URL.
func (s *Server) updateWebhook(ctx context.Context, p store.Principal, partnerID, id string, in webhookPatch) (store.Webhook, error) {
	cur, err := s.partnerWebhook(ctx, p, partnerID, id)
	if err != nil {
		return store.Webhook{}, err
	}
	if in.URL == nil && in.Events == nil {
		return store.Webhook{}, badRequest("nothing to change: send the webhook's url, its events or both")
	}
	change := store.WebhookChange{URL: cur.URL, Events: cur.Events}
	if in.URL != nil {
		change.URL = *in.URL
	}
	if in.Events != nil {
		change.Events = *in.Events
	}
	if err := checkWebhookEvents(change.Events); err != nil {
		return store.Webhook{}, err
	}
	h, cancelled, err := s.store.UpdateWebhook(ctx, p, id, change)
	params := map[string]string{"url": change.URL, "events": strings.Join(change.Events, ",")}
	if cancelled > 0 {
		params["cancelledDeliveries"] = strconv.Itoa(cancelled)
	}
	s.audit(ctx, p, partnerID, "webhook.update", "webhook "+id, params, err)
	return h, err
}

func webhookJSON(h store.Webhook) WebhookJSON {
	return WebhookJSON{ID: h.ID, PartnerID: h.PartnerID, URL: h.URL, Events: h.Events, HasSecret: h.HasSecret}
}

func (s *Server) apiListChats(w http.ResponseWriter, r *http.Request, c *caller) error {
	chats, err := s.partnerChats(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chats)
	return nil
}

func (s *Server) apiRevokeChat(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.revokeChat(r.Context(), c.p, r.PathValue("partner"), r.PathValue("chat")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
