package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/specs"
)

// The pages: each reads its form or path, calls the same operations as
// the API, and renders. After a successful form, the browser is sent to a
// page (POST-redirect-GET), so a reload never submits twice.

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request, _ *caller) error {
	return s.render(w, http.StatusOK, "login", s.pageFor(nil, "Sign in",
		loginData{Next: safeNext(r.URL.Query().Get("next"))}))
}

type loginData struct{ Error, Email, Next string }

func (s *Server) doLogin(w http.ResponseWriter, r *http.Request, _ *caller) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("the sign-in form cannot be read")
	}
	email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
	u, err := s.store.Authenticate(r.Context(), email, r.PostFormValue("password"))
	if errors.Is(err, store.ErrUnauthenticated) {
		// One answer for an unknown email, a wrong password and a
		// disabled account.
		return s.render(w, http.StatusUnauthorized, "login", s.pageFor(nil, "Sign in",
			loginData{Error: "The email or the password is wrong.", Email: truncate(email, 200), Next: next}))
	}
	if err != nil {
		return err
	}
	id, sess, err := s.store.CreateSession(r.Context(), u.ID, s.cfg.SessionTTL)
	if err != nil {
		return err
	}
	s.setSessionCookie(w, id, sess.ExpiresAt)
	s.audit(r.Context(), store.PrincipalOf(u), u.PartnerID, "session.login", "user "+u.Email, nil, nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) doLogout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.store.DeleteSession(r.Context(), c.session); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

type overviewRow struct {
	ID, Name, Status string
	APIs             []APIStatusJSON
	SignOff          *signOffBrief
}

type signOffBrief struct{ Decision, Date, By string }

func (s *Server) pageOverview(w http.ResponseWriter, r *http.Request, c *caller) error {
	rows, err := s.store.PartnersOverview(r.Context(), c.p)
	if err != nil {
		return err
	}
	out := make([]overviewRow, 0, len(rows))
	for _, po := range rows {
		pj := partnerJSON(po)
		row := overviewRow{ID: pj.ID, Name: pj.Name, Status: pj.Status, APIs: pj.APIs}
		if so := po.LastSignOff; so != nil {
			row.SignOff = &signOffBrief{Decision: string(so.Decision), Date: so.DecidedAt.UTC().Format("2006-01-02"), By: so.UserEmail}
		}
		out = append(out, row)
	}
	return s.render(w, http.StatusOK, "overview", s.pageFor(c, "Partners", struct {
		Rows        []overviewRow
		BuiltinAPIs []string
	}{out, specs.Builtin()}))
}

func (s *Server) formCreatePartner(w http.ResponseWriter, r *http.Request, c *caller) error {
	in := partnerBody{Name: r.PostFormValue("name"), APIs: r.PostForm["api"]}
	if n := strings.TrimSpace(r.PostFormValue("contact_name")); n != "" || r.PostFormValue("contact_email") != "" {
		in.Contacts = []store.Contact{{Name: n, Email: strings.TrimSpace(r.PostFormValue("contact_email"))}}
	}
	pt, err := s.createPartner(r, c, in)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/partners/"+pt.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) backToPartner(w http.ResponseWriter, r *http.Request, anchor string) error {
	http.Redirect(w, r, "/partners/"+r.PathValue("partner")+anchor, http.StatusSeeOther)
	return nil
}

func (s *Server) formEnvironment(w http.ResponseWriter, r *http.Request, c *caller) error {
	in := environmentBody{BaseURL: r.PostFormValue("base_url")}
	creds, err := parseCredentials(r.PostFormValue("credentials"))
	if err != nil {
		return err
	}
	if len(creds) > 0 || r.PostFormValue("keep_credentials") == "" {
		in.Credentials = creds // nil keeps the stored ones
		if in.Credentials == nil {
			in.Credentials = map[string]string{}
		}
	}
	in.ServerName, in.CAPEM = r.PostFormValue("server_name"), r.PostFormValue("ca_pem")
	in.InsecureSkipVerify = r.PostFormValue("insecure_skip_verify") != ""
	if in.ServerName == "" && in.CAPEM == "" && !in.InsecureSkipVerify && r.PostFormValue("keep_tls") != "" {
		// Saving the endpoint must not drop TLS settings set earlier.
		old, err := s.store.GetEnvironment(r.Context(), c.p, r.PathValue("partner"), r.PostFormValue("name"))
		switch {
		case err == nil:
			in.ServerName, in.CAPEM, in.InsecureSkipVerify = old.TLS.ServerName, old.TLS.CAPEM, old.TLS.InsecureSkipVerify
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	if _, err := s.putEnvironment(r, c, r.PathValue("partner"), r.PostFormValue("name"), in); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#manage")
}

// parseCredentials reads "name=value" lines. A bad line is reported by its
// number only: its content may be a secret.
func parseCredentials(text string) (map[string]string, error) {
	var out map[string]string
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, badRequest("credentials line %d: want name=value", i+1)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

func (s *Server) formAPIs(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.setAPIs(r, c, r.PathValue("partner"), r.PostForm["api"]); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#status")
}

func (s *Server) formStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("partner")
	st := store.PartnerStatus(r.PostFormValue("status"))
	err := s.store.SetPartnerStatus(r.Context(), c.p, id, st)
	s.audit(r.Context(), c.p, id, "partner.status", "partner "+id, map[string]string{"status": string(st)}, err)
	if err != nil {
		return err
	}
	return s.backToPartner(w, r, "")
}

func (s *Server) formStartRun(w http.ResponseWriter, r *http.Request, c *caller) error {
	run, err := s.startRun(r.Context(), c.p, r.PathValue("partner"), startInput{APIs: r.PostForm["api"],
		Environment: r.PostFormValue("environment"), Source: store.SourceWeb})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/runs/"+strconv.FormatInt(run.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) formCreateSchedule(w http.ResponseWriter, r *http.Request, c *caller) error {
	_, err := s.createSchedule(r.Context(), c.p, r.PathValue("partner"), scheduleBody{Cron: r.PostFormValue("cron"),
		API: r.PostFormValue("api"), Environment: r.PostFormValue("environment")})
	if err != nil {
		return err
	}
	return s.backToPartner(w, r, "#schedules")
}

func (s *Server) formDeleteSchedule(w http.ResponseWriter, r *http.Request, c *caller) error {
	sch, err := s.store.GetSchedule(r.Context(), c.p, r.PathValue("schedule"))
	if err != nil {
		return err
	}
	if err := s.deleteSchedule(r.Context(), c.p, sch.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/partners/"+sch.PartnerID+"#schedules", http.StatusSeeOther)
	return nil
}

func (s *Server) formLinkCode(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("partner")
	code, exp, err := s.partnerLinkCode(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	pt, err := s.store.GetPartner(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "linkcode", s.pageFor(c, "Telegram link code", struct {
		Partner, PartnerID, Code string
		ExpiresAt                time.Time
	}{pt.Name, pt.ID, code, exp}))
}

func (s *Server) formCreateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	_, err := s.createPartnerUser(r, c, r.PathValue("partner"), userBody{Email: r.PostFormValue("email"),
		Name: r.PostFormValue("name"), Password: r.PostFormValue("password")})
	if err != nil {
		return err
	}
	return s.backToPartner(w, r, "#manage")
}

func (s *Server) webReport(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.serveArtifact(w, r, c, "report.html", false)
}

func (s *Server) webArtifact(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	return s.serveArtifact(w, r, c, name, !strings.HasSuffix(name, ".html"))
}

func (s *Server) formSignOff(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	so, err := s.signOff(r.Context(), c.p, id, signOffInput{Decision: r.PostFormValue("decision"),
		Note: r.PostFormValue("note"), Evidence: r.PostFormValue("evidence")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/partners/"+so.PartnerID+"#signoffs", http.StatusSeeOther)
	return nil
}

// pageAudit pages the audit log like GET /api/v1/audit (?partner, ?limit,
// ?before), with an "Older" link while older entries remain.
func (s *Server) pageAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, err := auditFilter(r, c)
	if err != nil {
		return err
	}
	page := f.Limit
	f.Limit++ // one more says whether an older page exists
	entries, err := s.store.ListAudit(r.Context(), c.p, f)
	if err != nil {
		return err
	}
	var older string
	if len(entries) > page {
		entries = entries[:page]
		q := url.Values{"before": {strconv.FormatInt(entries[len(entries)-1].ID, 10)}}
		if v := r.URL.Query().Get("partner"); v != "" {
			q.Set("partner", v)
		}
		if r.URL.Query().Has("limit") {
			q.Set("limit", strconv.Itoa(page))
		}
		older = "/audit?" + q.Encode()
	}
	return s.render(w, http.StatusOK, "audit", s.pageFor(c, "Audit log", struct {
		Entries []store.AuditEntry
		Who     map[string]string // an actor's user id: the email the caller may see
		Older   string            // the next page's address, "" on the last
		Paged   bool              // ?before= given: a "Newest" link
	}{entries, s.auditActors(r.Context(), c, entries), older, f.Before > 0}))
}

// auditActors maps the user ids among entries' actors to their emails, as
// far as the caller may read the user (staff: every user; a partner's
// user: its partner's); the page shows the id itself otherwise.
func (s *Server) auditActors(ctx context.Context, c *caller, entries []store.AuditEntry) map[string]string {
	who := map[string]string{}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Actor] || e.Actor == "" || e.Actor == "system" || e.Actor == string(e.Role) {
			continue
		}
		seen[e.Actor] = true
		if u, err := s.store.GetUser(ctx, c.p, e.Actor); err == nil {
			who[e.Actor] = u.Email
		}
	}
	return who
}

// pageBefore reads a page's ?before= keyset cursor: absent is 0 (the
// newest), anything but a positive number a 400.
func pageBefore(r *http.Request, what string) (int64, error) {
	q := r.URL.Query()
	if !q.Has("before") {
		return 0, nil
	}
	n, err := strconv.ParseInt(q.Get("before"), 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest("before must be %s (a positive number), got %q", what, truncate(q.Get("before"), 20))
	}
	return n, nil
}

type scheduleRow struct {
	ScheduleJSON
	Partner string
}

func (s *Server) pageSchedules(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID := ""
	if !c.p.Staff() {
		partnerID = c.p.PartnerID
	}
	all, err := s.store.ListSchedules(r.Context(), c.p, partnerID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	rows := make([]scheduleRow, 0, len(all))
	for _, sch := range all {
		if _, ok := names[sch.PartnerID]; !ok {
			if pt, err := s.store.GetPartner(r.Context(), c.p, sch.PartnerID); err == nil {
				names[sch.PartnerID] = pt.Name
			}
		}
		rows = append(rows, scheduleRow{ScheduleJSON: s.scheduleJSON(sch), Partner: names[sch.PartnerID]})
	}
	return s.render(w, http.StatusOK, "schedules", s.pageFor(c, "Schedules", struct{ Rows []scheduleRow }{rows}))
}

type accountPage struct {
	Tokens   []store.APIToken
	NewToken string
	LinkCode string
	Notice   string
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, c *caller, pg accountPage) error {
	tokens, err := s.store.ListAPITokens(r.Context(), c.p, c.user.ID)
	if err != nil {
		return err
	}
	pg.Tokens = tokens
	return s.render(w, http.StatusOK, "account", s.pageFor(c, "Account", pg))
}

func (s *Server) pageAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.accountPage(w, r, c, accountPage{})
}

// formCreateToken answers with the page itself (not a redirect): the token
// is shown this once and never stored in readable form.
func (s *Server) formCreateToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		return badRequest("a token needs a name of 1 to 100 characters")
	}
	secret, _, err := s.store.CreateAPIToken(r.Context(), c.p, c.user.ID, name, time.Time{})
	s.audit(r.Context(), c.p, c.user.PartnerID, "token.create", "user "+c.user.Email, map[string]string{"name": name}, err)
	if err != nil {
		return err
	}
	return s.accountPage(w, r, c, accountPage{NewToken: secret})
}

// formRevokeToken revokes one of the signed-in user's own tokens.
func (s *Server) formRevokeToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.revokeToken(r.Context(), c.p, c.user.ID, r.PathValue("token")); err != nil {
		return err
	}
	return s.accountPage(w, r, c, accountPage{Notice: "Token revoked."})
}

// formChangePassword changes the signed-in user's password, given the
// current one, and signs out the user's other browser sessions.
func (s *Server) formChangePassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	current, next := r.PostFormValue("current"), r.PostFormValue("new")
	switch {
	case c.session == "":
		return badRequest("a password is changed from a signed-in page")
	case next != r.PostFormValue("confirm"):
		return badRequest("the new password and its confirmation differ")
	case utf8.RuneCountInString(next) < store.MinPassword:
		return badRequest("the new password needs at least %d characters", store.MinPassword)
	}
	if _, err := s.store.Authenticate(r.Context(), c.user.Email, current); err != nil {
		if errors.Is(err, store.ErrUnauthenticated) {
			err = badRequest("the current password is not right")
		}
		s.audit(r.Context(), c.p, c.user.PartnerID, "password.change", "user "+c.user.Email, nil, err)
		return err
	}
	err := s.store.SetPassword(r.Context(), c.p, c.user.ID, next)
	if err == nil {
		_, err = s.store.DeleteOtherSessions(r.Context(), c.user.ID, c.session)
	}
	s.audit(r.Context(), c.p, c.user.PartnerID, "password.change", "user "+c.user.Email, nil, err)
	if err != nil {
		return err
	}
	return s.accountPage(w, r, c, accountPage{Notice: "Password changed. Your other browser sessions are signed out."})
}

func (s *Server) formStaffLinkCode(w http.ResponseWriter, r *http.Request, c *caller) error {
	code, _, err := s.staffLinkCode(r.Context(), c.p)
	s.audit(r.Context(), c.p, "", "telegram.link-code", "user "+c.user.Email, nil, err)
	if err != nil {
		return err
	}
	return s.accountPage(w, r, c, accountPage{LinkCode: code})
}

func (s *Server) formRevokeChat(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.revokeChat(r.Context(), c.p, r.PathValue("partner"), r.PathValue("chat")); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#manage")
}

func (s *Server) formDeleteWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.deleteWebhook(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook")); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#webhooks")
}

// formEditWebhook saves a webhook's edit form: its URL and the events
// ticked (none ticked is refused, as on a new webhook).
func (s *Server) formEditWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	hookURL := strings.TrimSpace(r.PostFormValue("url"))
	events := r.PostForm["event"]
	if events == nil {
		events = []string{}
	}
	if _, err := s.updateWebhook(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"),
		webhookPatch{URL: &hookURL, Events: &events}); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#webhooks")
}

func (s *Server) formCreateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := r.ParseForm(); err != nil {
		return badRequest("a form that does not parse")
	}
	in := webhookBody{URL: strings.TrimSpace(r.PostFormValue("url")), Events: r.PostForm["event"], Secret: r.PostFormValue("secret")}
	if _, err := s.createWebhook(r.Context(), c.p, r.PathValue("partner"), in); err != nil {
		return err
	}
	return s.backToPartner(w, r, "#webhooks")
}
