package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Access is how a route authenticates.
type Access int

const (
	AccessPublic Access = iota // no credentials (sign-in page, health, the API's document)
	AccessWeb                  // a browser session; forms carry the CSRF token
	AccessAPI                  // an API token: Authorization: Bearer glv_...
	// AccessReplica is a call from another replica of the hub, signed for
	// the user it acts as (replica_call.go); no person's credential.
	AccessReplica
)

// Route is one endpoint. Pattern is an http.ServeMux pattern; its path
// parameters are named after what they hold ({partner}, {run}, {schedule},
// {env}, {name}, {user}, {chat}, {webhook}, {delivery}, {message}, ...), which is how the isolation test fills them in.
type Route struct {
	Method  string
	Pattern string
	Access  Access
	handle  func(w http.ResponseWriter, r *http.Request, c *caller) error
}

// buildRoutes is the hub's whole surface, in one table.
func (s *Server) buildRoutes() []Route {
	pub := func(m, p string, h func(http.ResponseWriter, *http.Request, *caller) error) Route {
		return Route{Method: m, Pattern: p, Access: AccessPublic, handle: h}
	}
	web := func(m, p string, h func(http.ResponseWriter, *http.Request, *caller) error) Route {
		return Route{Method: m, Pattern: p, Access: AccessWeb, handle: h}
	}
	api := func(m, p string, h func(http.ResponseWriter, *http.Request, *caller) error) Route {
		return Route{Method: m, Pattern: "/api/v1" + p, Access: AccessAPI, handle: h}
	}
	return []Route{
		pub("GET", "/login", s.pageLogin),
		pub("POST", "/login", s.doLogin),
		pub("GET", "/static/{name}", s.static),
		pub("GET", "/healthz", s.healthz),
		pub("GET", "/api/v1/openapi.yaml", s.openapiDoc),

		web("POST", "/logout", s.doLogout),
		web("GET", "/{$}", s.pageOverview),
		web("POST", "/partners", s.formCreatePartner),
		web("GET", "/partners/{partner}", s.pagePartner),
		web("POST", "/partners/{partner}/environments", s.formEnvironment),
		web("POST", "/partners/{partner}/apis", s.formAPIs),
		web("POST", "/partners/{partner}/status", s.formStatus),
		web("POST", "/partners/{partner}/runs", s.formStartRun),
		web("POST", "/partners/{partner}/schedules", s.formCreateSchedule),
		web("POST", "/partners/{partner}/link-codes", s.formLinkCode),
		web("POST", "/partners/{partner}/chats/{chat}/revoke", s.formRevokeChat),
		web("POST", "/partners/{partner}/webhooks", s.formCreateWebhook),
		web("POST", "/partners/{partner}/webhooks/{webhook}/delete", s.formDeleteWebhook),
		web("POST", "/partners/{partner}/webhooks/{webhook}/edit", s.formEditWebhook),
		web("POST", "/partners/{partner}/webhooks/{webhook}/rotate-secret", s.formRotateWebhookSecret),
		web("POST", "/partners/{partner}/webhooks/{webhook}/deliveries/{delivery}/redeliver", s.formRedeliver),
		web("POST", "/partners/{partner}/users", s.formCreateUser),
		web("POST", "/partners/{partner}/users/{user}/disable", formSwitchUser(s.setPartnerUserDisabled, true, s.backToPartnerUsers)),
		web("POST", "/partners/{partner}/users/{user}/enable", formSwitchUser(s.setPartnerUserDisabled, false, s.backToPartnerUsers)),
		web("POST", "/partners/{partner}/tools/{tool}", s.formCallTool),
		web("GET", "/runs/{run}", s.pageRun),
		web("GET", "/runs/{run}/events", s.streamEvents),
		web("GET", "/runs/{run}/report", s.webReport),
		web("GET", "/runs/{run}/artifacts/{name}", s.webArtifact),
		web("GET", "/runs/{run}/diff", s.pageDiff),
		web("POST", "/runs/{run}/signoff", s.formSignOff),
		web("POST", "/schedules/{schedule}/delete", s.formDeleteSchedule),
		web("GET", "/audit", s.pageAudit),
		web("GET", "/deliveries", s.pageDeliveries),
		web("POST", "/deliveries/telegram/{message}/retry", s.formRetryTelegram),
		web("GET", "/schedules", s.pageSchedules),
		web("GET", "/team", s.pageTeam),
		web("POST", "/team/members", s.formAddTeamMember),
		web("POST", "/team/members/{user}/disable", formSwitchUser(s.setTeamMemberDisabled, true, backToTeam)),
		web("POST", "/team/members/{user}/enable", formSwitchUser(s.setTeamMemberDisabled, false, backToTeam)),
		web("GET", "/account", s.pageAccount),
		web("POST", "/account/tokens", s.formCreateToken),
		web("POST", "/account/tokens/{token}/revoke", s.formRevokeToken),
		web("POST", "/account/password", s.formChangePassword),
		web("POST", "/account/link-code", s.formStaffLinkCode),
		web("POST", "/partners/{partner}/uat-sessions", s.formOpenUAT),
		web("POST", "/partners/{partner}"+uatHARSuffix, s.formGradeHAR),
		web("GET", "/partners/{partner}/uat-sessions/{session}", s.pageUAT),
		web("POST", "/partners/{partner}/uat-sessions/{session}/close", s.onOwner(s.formCloseUAT)),
		web("GET", "/partners/{partner}/uat-sessions/{session}/events", s.onOwner(s.streamUAT)),
		web("GET", "/partners/{partner}/uat-sessions/{session}/report", s.webUATReport),
		web("GET", "/partners/{partner}/uat-sessions/{session}/artifacts/{name}", s.webUATArtifact),

		api("GET", "/me", s.apiMe),
		api("GET", "/partners", s.apiListPartners),
		api("POST", "/partners", s.apiCreatePartner),
		api("GET", "/partners/{partner}", s.apiGetPartner),
		api("PUT", "/partners/{partner}/apis", s.apiSetAPIs),
		api("PUT", "/partners/{partner}/environments/{env}", s.apiPutEnvironment),
		api("GET", "/partners/{partner}/progress", s.apiProgress),
		api("GET", "/partners/{partner}/runs", s.apiListRuns),
		api("POST", "/partners/{partner}/runs", s.apiStartRun),
		api("POST", "/partners/{partner}/publish", s.apiPublish),
		api("GET", "/partners/{partner}/signoffs", s.apiListSignOffs),
		api("GET", "/partners/{partner}/schedules", s.apiListSchedules),
		api("POST", "/partners/{partner}/schedules", s.apiCreateSchedule),
		api("GET", "/partners/{partner}/users", s.apiListPartnerUsers),
		api("POST", "/partners/{partner}/users", s.apiCreateUser),
		api("POST", "/partners/{partner}/users/{user}/disable", apiSwitchUser(s.setPartnerUserDisabled, true)),
		api("POST", "/partners/{partner}/users/{user}/enable", apiSwitchUser(s.setPartnerUserDisabled, false)),
		api("POST", "/partners/{partner}/link-codes", s.apiLinkCode),
		api("GET", "/partners/{partner}/chats", s.apiListChats),
		api("DELETE", "/partners/{partner}/chats/{chat}", s.apiRevokeChat),
		api("GET", "/partners/{partner}/webhooks", s.apiListWebhooks),
		api("POST", "/partners/{partner}/webhooks", s.apiCreateWebhook),
		api("PATCH", "/partners/{partner}/webhooks/{webhook}", s.apiUpdateWebhook),
		api("DELETE", "/partners/{partner}/webhooks/{webhook}", s.apiDeleteWebhook),
		api("POST", "/partners/{partner}/webhooks/{webhook}/rotate-secret", s.apiRotateWebhookSecret),
		api("GET", "/partners/{partner}/webhooks/{webhook}/deliveries", s.apiListDeliveries),
		api("POST", "/partners/{partner}/webhooks/{webhook}/deliveries/{delivery}/redeliver", s.apiRedeliver),
		api("DELETE", "/schedules/{schedule}", s.apiDeleteSchedule),
		api("GET", "/users", s.apiListTeam),
		api("POST", "/users", s.apiAddTeamMember),
		api("POST", "/users/{user}/disable", apiSwitchUser(s.setTeamMemberDisabled, true)),
		api("POST", "/users/{user}/enable", apiSwitchUser(s.setTeamMemberDisabled, false)),
		api("POST", "/users/{user}/tokens", s.apiCreateToken),
		api("DELETE", "/users/{user}/tokens/{token}", s.apiRevokeToken),
		api("GET", "/runs/{run}", s.apiGetRun),
		api("GET", "/runs/{run}/results", s.apiRunResults),
		api("GET", "/runs/{run}/artifacts", s.apiListArtifacts),
		api("GET", "/runs/{run}/artifacts/{name}", s.apiArtifact),
		api("GET", "/runs/{run}/events", s.streamEvents),
		api("GET", "/runs/{run}/diff", s.apiDiff),
		api("POST", "/runs/{run}/signoff", s.apiSignOff),
		api("GET", "/audit", s.apiAudit),
		api("GET", "/deliveries", s.apiDeliveries),
		api("POST", "/deliveries/telegram/{message}/retry", s.apiRetryTelegram),
		api("GET", "/partners/{partner}/uat-sessions", s.apiListUAT),
		api("POST", "/partners/{partner}/uat-sessions", s.apiOpenUAT),
		api("POST", "/partners/{partner}"+uatHARSuffix, s.apiGradeHAR),
		api("GET", "/partners/{partner}/uat-sessions/{session}", s.apiGetUAT),
		api("POST", "/partners/{partner}/uat-sessions/{session}/close", s.onOwner(s.apiCloseUAT)),
		api("GET", "/partners/{partner}/uat-sessions/{session}/events", s.onOwner(s.streamUAT)),
		api("GET", "/partners/{partner}/uat-sessions/{session}/results", s.apiUATResults),
		api("GET", "/partners/{partner}/uat-sessions/{session}/artifacts", s.apiListUATArtifacts),
		api("GET", "/partners/{partner}/uat-sessions/{session}/artifacts/{name}", s.apiUATArtifact),

		{Method: "POST", Pattern: internalPrefix + "/partners/{partner}/uat-sessions/{session}/close", Access: AccessReplica,
			handle: s.replicaCloseUAT},
	}
}

// mount serves the routes. Every handler's error becomes a 4xx with a
// message (JSON for the API, a page for people); a panic is logged and
// answered 500 without taking the server down.
func (s *Server) mount(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, s.serve(rt))
	}
	// UAT sessions' sandboxes: the partner's client authenticates with the
	// session's own credentials, not a hub account.
	mux.HandleFunc(UATPrefix+"{session}/", s.serveUATSandbox)
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, notFoundf("no such API endpoint: %s %s (the API is described at /api/v1/openapi.yaml)", r.Method, r.URL.Path))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, notFoundf("no such page: %s", r.URL.Path))
	})
	return securityHeaders(mux)
}

func (s *Server) serve(rt Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("handler panic", "route", rt.Method+" "+rt.Pattern, "panic", v)
				s.fail(w, r, nil, errPanic)
			}
		}()
		limit := int64(maxJSONBody)
		if strings.HasSuffix(rt.Pattern, "/publish") {
			limit = maxPublishBody
		}
		if strings.HasSuffix(rt.Pattern, uatHARSuffix) {
			limit = int64(s.maxHAR()) + maxFormBody // the recording and the form around it
			if r.ContentLength > limit {
				s.fail(w, r, nil, &InputError{Status: http.StatusRequestEntityTooLarge,
					Msg: "the HAR recording exceeds " + sizeText(s.maxHAR())})
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		c, err := s.authenticate(r, rt.Access)
		if err != nil {
			if rt.Access == AccessWeb && r.Method == http.MethodGet && isUnauthenticated(err) {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		if err := checkPathValues(r, rt.Pattern); err != nil {
			s.fail(w, r, c, err)
			return
		}
		if err := rt.handle(w, r, c); err != nil {
			s.fail(w, r, c, err)
		}
	}
}

// checkPathValues refuses a path parameter no record could have (a NUL, a
// control character, text that is not UTF-8) before it reaches the store:
// PostgreSQL would refuse such a string with an error, not a miss.
func checkPathValues(r *http.Request, pattern string) error {
	for _, seg := range strings.Split(pattern, "/") {
		if !strings.HasPrefix(seg, "{") || !strings.HasSuffix(seg, "}") || seg == "{$}" {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(seg, "{}"), "...")
		v := r.PathValue(name)
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return notFoundf("no such %s", name)
		}
	}
	return nil
}

// errPanic is never an InputError: it maps to 500.
var errPanic = &panicError{}

type panicError struct{}

func (*panicError) Error() string { return "handler panic" }

func isUnauthenticated(err error) bool {
	status, _ := statusOf(err)
	return status == http.StatusUnauthorized
}

// fail answers an error: JSON {"error": ...} under /api/, a page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *caller, err error) {
	status, msg := statusOf(err)
	if status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized && strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="golive"`)
		msg = apiUnauthenticated
	}
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, internalPrefix+"/") ||
		r.Header.Get("Accept") == "text/event-stream" {
		writeJSON(w, status, APIError{Error: msg, Status: status})
		return
	}
	s.renderError(w, c, status, msg)
}

// APIError is the body of every API error.
type APIError struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to do
}

// securityHeaders applies to every answer: no framing, no sniffing, and
// pages load scripts and styles from the hub only (no inline script).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}
