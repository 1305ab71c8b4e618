package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("the BAU team", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("lets an admin add, disable and enable staff on the page and over the API; BAU staff only read it; partners get nothing", func() {
				h := startHub(backend)
				acme := h.partner("Acme Pay")
				h.partner("Bravo Bank")
				partnerUser, partnerTok := h.partnerUser(acme.ID, "dev@acme.example")
				admin := h.signIn("admin@bau.example", adminPassword)
				const (
					bauPassword  = "bau member passphrase"
					leadPassword = "second admin passphrase"
				)

				By("adding a BAU member on the page")
				resp := admin.post("/team/members", url.Values{"email": {"Bea@BAU.example"}, "name": {"Bea"},
					"role": {"bau"}, "password": {bauPassword}})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(Equal("/team"))

				By("adding an admin over the API")
				r := h.api(h.adminTok, "POST", "/users", map[string]any{"email": "lead@bau.example", "name": "Lee",
					"role": "admin", "password": leadPassword})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var lead server.UserJSON
				r.json(&lead)
				Expect(lead.Role).To(Equal("admin"))
				Expect(lead.Disabled).To(BeFalse())

				By("listing the staff accounts only")
				team := listTeam(h, h.adminTok)
				Expect(team).To(HaveKey("admin@bau.example"))
				Expect(team).To(HaveKey("lead@bau.example"))
				Expect(team).To(HaveKey("bea@bau.example"), "the email is stored in lower case")
				Expect(team).NotTo(HaveKey(partnerUser.Email))
				bea := team["bea@bau.example"]
				Expect(bea.Role).To(Equal("bau"))
				Expect(bea.Name).To(Equal("Bea"))
				_, page := admin.get("/team")
				Expect(page).To(ContainSubstring("bea@bau.example"))
				Expect(page).To(ContainSubstring(`action="/team/members/` + bea.ID + `/disable"`))
				Expect(page).NotTo(ContainSubstring(`action="/team/members/`+h.admin.ID+`/disable"`), "no button to disable yourself")
				Expect(page).NotTo(ContainSubstring(partnerUser.Email))

				By("the BAU member signing in: every partner, the team without its forms, and no changes to it")
				bau := h.signIn("bea@bau.example", bauPassword)
				_, page = bau.get("/")
				Expect(page).To(ContainSubstring("Acme Pay"))
				Expect(page).To(ContainSubstring("Bravo Bank"))
				Expect(page).To(ContainSubstring(`href="/team"`))
				resp, page = bau.get("/team")
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				Expect(page).To(ContainSubstring("lead@bau.example"))
				Expect(page).NotTo(ContainSubstring(`action="/team/members`))
				Expect(bau.post("/team/members", url.Values{"email": {"sneaky@bau.example"}, "role": {"admin"},
					"password": {bauPassword}}).StatusCode).To(Equal(http.StatusForbidden))
				Expect(bau.post("/team/members/"+lead.ID+"/disable", url.Values{}).StatusCode).To(Equal(http.StatusForbidden))
				r = h.api(h.adminTok, "POST", "/users/"+bea.ID+"/tokens", map[string]any{"name": "ci"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var tok server.TokenJSON
				r.json(&tok)
				Expect(listTeam(h, tok.Token)).To(HaveLen(3))
				r = h.api(tok.Token, "POST", "/users", map[string]any{"email": "sneaky@bau.example", "role": "admin", "password": bauPassword})
				Expect(r.status).To(Equal(http.StatusForbidden))
				r = h.api(tok.Token, "POST", "/users/"+lead.ID+"/disable", nil)
				Expect(r.status).To(Equal(http.StatusForbidden))

				By("refusing a partner's user the team, on the page and over the API")
				partnerWeb := h.signIn(partnerUser.Email, adminPassword)
				_, page = partnerWeb.get("/")
				Expect(page).NotTo(ContainSubstring(`href="/team"`))
				resp, page = partnerWeb.get("/team")
				Expect(resp.StatusCode).To(Equal(http.StatusForbidden))
				r = h.api(partnerTok, "GET", "/users", nil)
				Expect(r.status).To(Equal(http.StatusForbidden))
				for _, body := range []string{page, string(r.body)} {
					Expect(body).NotTo(ContainSubstring("bea@bau.example"))
					Expect(body).NotTo(ContainSubstring("lead@bau.example"))
				}
				r = h.api(partnerTok, "POST", "/users", map[string]any{"email": "mole@bau.example", "role": "admin", "password": bauPassword})
				Expect(r.status).To(Equal(http.StatusForbidden))
				r = h.api(partnerTok, "POST", "/users/"+bea.ID+"/disable", nil)
				Expect(r.status).To(Equal(http.StatusForbidden))
				Expect(listTeam(h, h.adminTok)).To(HaveLen(3))

				By("answering bad input with a 4xx and a one-line message")
				for _, c := range []struct {
					body   string
					status int
				}{
					{`{"email":"x@bau.example","role":"bau","password":"long enough password","admin":true}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","role":"partner","password":"long enough password"}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","role":"root","password":"long enough password"}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","password":"long enough password"}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","role":"bau","password":"short"}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","role":"bau"}`, http.StatusBadRequest},
					{`{"email":"not an email","role":"bau","password":"long enough password"}`, http.StatusBadRequest},
					{`{"email":"x@bau.example","name":"a\u0000b","role":"bau","password":"long enough password"}`, http.StatusBadRequest},
					{`{"email":"BEA@bau.example","role":"bau","password":"long enough password"}`, http.StatusConflict},
					{`{"email":"dev@acme.example","role":"admin","password":"long enough password"}`, http.StatusConflict},
				} {
					r = h.api(h.adminTok, "POST", "/users", c.body)
					Expect(r.status).To(Equal(c.status), c.body+": "+string(r.body))
					var e server.APIError
					r.json(&e)
					Expect(e.Error).NotTo(BeEmpty())
					Expect(e.Error).NotTo(ContainSubstring("\n"))
				}
				Expect(admin.post("/team/members", url.Values{"email": {"x@bau.example"}, "role": {"partner"},
					"password": {"long enough password"}}).StatusCode).To(Equal(http.StatusBadRequest))
				r = h.api(h.adminTok, "POST", "/users/"+h.admin.ID+"/disable", nil)
				Expect(r.status).To(Equal(http.StatusForbidden), "nobody disables themselves")
				r = h.api(h.adminTok, "POST", "/users/"+partnerUser.ID+"/disable", nil)
				Expect(r.status).To(Equal(http.StatusNotFound), "a partner's user is not a team member")
				r = h.api(h.adminTok, "POST", "/users/nobody/enable", nil)
				Expect(r.status).To(Equal(http.StatusNotFound))
				Expect(listTeam(h, h.adminTok)).To(HaveLen(3), "nothing was added")

				By("disabling the BAU member: no session, no token, no sign-in")
				resp = admin.post("/team/members/"+bea.ID+"/disable", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(listTeam(h, h.adminTok)["bea@bau.example"].Disabled).To(BeTrue())
				_, page = admin.get("/team")
				Expect(page).To(ContainSubstring(`action="/team/members/` + bea.ID + `/enable"`))
				resp, _ = bau.get("/")
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(HavePrefix("/login"))
				r = h.api(tok.Token, "GET", "/me", nil)
				Expect(r.status).To(Equal(http.StatusUnauthorized))
				out := &browser{h: h}
				Expect(out.post("/login", url.Values{"email": {"bea@bau.example"}, "password": {bauPassword}}).StatusCode).
					To(Equal(http.StatusUnauthorized))

				By("enabling her again over the API: she signs in anew; her old session and token stay ended")
				r = h.api(h.adminTok, "POST", "/users/"+bea.ID+"/enable", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var back server.UserJSON
				r.json(&back)
				Expect(back.Disabled).To(BeFalse())
				Expect(h.api(tok.Token, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))
				resp, _ = bau.get("/")
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther), "the session ended with the disabling")
				Expect(resp.Header.Get("Location")).To(HavePrefix("/login"))
				again := h.signIn("bea@bau.example", bauPassword)
				resp, _ = again.get("/team")
				Expect(resp.StatusCode).To(Equal(http.StatusOK))

				By("disabling the second admin")
				r = h.api(h.adminTok, "POST", "/users/"+lead.ID+"/disable", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				r.json(&back)
				Expect(back.Disabled).To(BeTrue())

				By("auditing every change, never a password")
				audit := string(h.api(h.adminTok, "GET", "/audit", nil).body)
				for _, want := range []string{"team.add", "user bea@bau.example", "user lead@bau.example", "team.disable", "team.enable"} {
					Expect(audit).To(ContainSubstring(want))
				}
				for _, secret := range []string{bauPassword, leadPassword, "long enough password"} {
					Expect(audit).NotTo(ContainSubstring(secret))
					Expect(h.log.String()).NotTo(ContainSubstring(secret))
				}
			})
		})
	}
})

var _ = Describe("a partner's users", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("refuses a partner user's password under 12 characters, over the API and on the page, in one line", func() {
				h := startHub(backend)
				acme := h.partner("Acme Pay")
				admin := h.signIn("admin@bau.example", adminPassword)
				const short = "tiny-pw-9"
				r := h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users", map[string]any{"email": "short@acme.example",
					"password": short})
				Expect(r.status).To(Equal(http.StatusBadRequest), string(r.body))
				var e server.APIError
				r.json(&e)
				Expect(e.Error).To(ContainSubstring("at least 12 characters"))
				Expect(e.Error).NotTo(ContainSubstring("\n"))
				Expect(e.Error).NotTo(ContainSubstring(short))

				resp := admin.do("POST", "/partners/"+acme.ID+"/users", url.Values{"csrf": {admin.csrf},
					"email": {"page@acme.example"}, "password": {short}})
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
				m := regexp.MustCompile(`<p class="error" role="alert">([^<]*)</p>`).FindStringSubmatch(string(body))
				Expect(m).NotTo(BeNil(), string(body))
				Expect(m[1]).To(ContainSubstring("at least 12 characters"))
				Expect(m[1]).NotTo(ContainSubstring("\n"))
				Expect(string(body)).NotTo(ContainSubstring(short))

				users, err := h.st.ListUsers(h.ctx, store.System(), acme.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(users).To(BeEmpty(), "nothing was created")

				By("taking 12 characters, or none (tokens and Telegram only)")
				r = h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users", map[string]any{"email": "ok@acme.example",
					"password": "twelve chars"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				r = h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users", map[string]any{"email": "ci@acme.example"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))

				audit := string(h.api(h.adminTok, "GET", "/audit?partner="+acme.ID, nil).body)
				Expect(audit).To(And(ContainSubstring("user short@acme.example"), ContainSubstring("user page@acme.example"),
					ContainSubstring("error 400")))
				for _, secret := range []string{short, "twelve chars"} {
					Expect(audit).NotTo(ContainSubstring(secret))
					Expect(h.log.String()).NotTo(ContainSubstring(secret))
				}
			})
		})
	}
})

// listTeam is GET /api/v1/users by email.
func listTeam(h *hub, token string) map[string]server.UserJSON {
	GinkgoHelper()
	r := h.api(token, "GET", "/users", nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var users []server.UserJSON
	r.json(&users)
	out := map[string]server.UserJSON{}
	for _, u := range users {
		Expect(strings.ToLower(u.Email)).To(Equal(u.Email))
		out[u.Email] = u
	}
	return out
}
