package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

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
			It("lets an admin disable and enable one on the partner's page and over the API, ending its sessions, tokens and chats", func() {
				h := startHub(backend)
				acme := h.partner("Acme Pay")
				bravo := h.partner("Bravo Bank")
				dev, devTok := h.partnerUser(acme.ID, "dev@acme.example")
				ops, opsTok := h.partnerUser(acme.ID, "ops@acme.example")
				_, bravoTok := h.partnerUser(bravo.ID, "dev@bravo.example")
				devWeb := h.signIn(dev.Email, adminPassword)
				const devChat = 515151
				code, _, err := h.st.CreateLinkCode(h.ctx, store.PrincipalOf(dev), time.Hour)
				Expect(err).NotTo(HaveOccurred())
				_, err = h.st.RedeemLinkCode(h.ctx, code, devChat)
				Expect(err).NotTo(HaveOccurred())
				_, _, err = server.PartnerLinkCode(h.ctx, h.st, acme.ID) // the partner's own Telegram user
				Expect(err).NotTo(HaveOccurred())
				bot := botUserOf(h, acme.ID)
				const bauPassword = "bau member passphrase"
				r := h.api(h.adminTok, "POST", "/users", map[string]any{"email": "bea@bau.example", "role": "bau", "password": bauPassword})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var bea server.UserJSON
				r.json(&bea)
				r = h.api(h.adminTok, "POST", "/users/"+bea.ID+"/tokens", map[string]any{"name": "ci"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var beaTok server.TokenJSON
				r.json(&beaTok)
				admin := h.signIn("admin@bau.example", adminPassword)
				bau := h.signIn("bea@bau.example", bauPassword)
				devWorks := func() bool {
					GinkgoHelper()
					resp, _ := devWeb.get("/")
					_, chatErr := h.st.ChatUser(h.ctx, devChat)
					return resp.StatusCode == http.StatusOK && h.api(devTok, "GET", "/me", nil).status == http.StatusOK && chatErr == nil
				}
				Expect(devWorks()).To(BeTrue())
				disable := func(partnerID, userID string) string {
					return "/partners/" + partnerID + "/users/" + userID + "/disable"
				}

				By("listing the users on the partner's page, with a Disable button for an admin only")
				_, page := admin.get("/partners/" + acme.ID)
				Expect(page).To(And(ContainSubstring(dev.Email), ContainSubstring(ops.Email)))
				Expect(page).To(ContainSubstring(`action="` + disable(acme.ID, dev.ID) + `"`))
				Expect(page).NotTo(ContainSubstring(bot.Email), "the partner's Telegram user is the hub's own")
				_, page = bau.get("/partners/" + acme.ID)
				Expect(page).To(ContainSubstring(dev.Email))
				Expect(page).NotTo(ContainSubstring(`/users/` + dev.ID + `/disable`))

				By("refusing BAU staff, the partner's own users and another partner's")
				Expect(h.api(beaTok.Token, "POST", disable(acme.ID, dev.ID), nil).status).To(Equal(http.StatusForbidden))
				Expect(bau.post(disable(acme.ID, dev.ID), url.Values{}).StatusCode).To(Equal(http.StatusForbidden))
				Expect(h.api(opsTok, "POST", disable(acme.ID, dev.ID), nil).status).To(Equal(http.StatusForbidden))
				Expect(h.api(devTok, "POST", disable(acme.ID, dev.ID), nil).status).To(Equal(http.StatusForbidden), "nor itself")
				Expect(devWeb.post(disable(acme.ID, ops.ID), url.Values{}).StatusCode).To(Equal(http.StatusForbidden))
				Expect(h.api(bravoTok, "POST", disable(acme.ID, dev.ID), nil).status).To(Equal(http.StatusNotFound))
				for _, path := range []string{
					disable(bravo.ID, dev.ID),     // not Bravo's user
					disable(acme.ID, h.admin.ID),  // a staff account, managed on /team
					disable(acme.ID, bea.ID),      // the same
					disable(acme.ID, bot.ID),      // the partner's Telegram user: its chats are revoked one by one
					disable(acme.ID, "nobody"),    // no such user
					disable("no-partner", dev.ID), // no such partner
				} {
					r = h.api(h.adminTok, "POST", path, nil)
					Expect(r.status).To(Equal(http.StatusNotFound), path+": "+string(r.body))
				}
				Expect(devWorks()).To(BeTrue(), "nothing was disabled")
				Expect(listTeam(h, h.adminTok)["bea@bau.example"].Disabled).To(BeFalse())

				By("disabling over the API: the user's session, token and chat end, another user's stay")
				r = h.api(h.adminTok, "POST", disable(acme.ID, dev.ID), nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var got server.UserJSON
				r.json(&got)
				Expect(got.ID).To(Equal(dev.ID))
				Expect(got.Disabled).To(BeTrue())
				resp, _ := devWeb.get("/")
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(HavePrefix("/login"))
				Expect(h.api(devTok, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))
				_, err = h.st.ChatUser(h.ctx, devChat)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				out := &browser{h: h}
				Expect(out.post("/login", url.Values{"email": {dev.Email}, "password": {adminPassword}}).StatusCode).
					To(Equal(http.StatusUnauthorized))
				Expect(h.api(opsTok, "GET", "/me", nil).status).To(Equal(http.StatusOK))
				_, page = admin.get("/partners/" + acme.ID)
				Expect(page).To(ContainSubstring(`action="/partners/` + acme.ID + `/users/` + dev.ID + `/enable"`))

				By("enabling on the page: the user signs in anew; its old session, token and chat stay ended")
				resp = admin.post("/partners/"+acme.ID+"/users/"+dev.ID+"/enable", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(Equal("/partners/" + acme.ID + "#users"))
				Expect(devWorks()).To(BeFalse())
				Expect(h.api(devTok, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))
				_, err = h.st.ChatUser(h.ctx, devChat)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				resp, _ = h.signIn(dev.Email, adminPassword).get("/partners/" + acme.ID)
				Expect(resp.StatusCode).To(Equal(http.StatusOK))

				By("disabling on the page too")
				resp = admin.post(disable(acme.ID, ops.ID), url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(h.api(opsTok, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))
				r = h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users/"+ops.ID+"/enable", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				r.json(&got)
				Expect(got.Disabled).To(BeFalse())

				By("auditing every change under the partner, never a password")
				audit := string(h.api(h.adminTok, "GET", "/audit?partner="+acme.ID, nil).body)
				for _, want := range []string{"user.disable", "user.enable", "user " + dev.Email, "user " + ops.Email} {
					Expect(audit).To(ContainSubstring(want))
				}
				for _, secret := range []string{adminPassword, bauPassword, devTok, opsTok, beaTok.Token, code} {
					Expect(audit).NotTo(ContainSubstring(secret))
					Expect(h.log.String()).NotTo(ContainSubstring(secret))
				}
			})

			It("lists a partner's users to staff and to the partner's own users, never to another partner, with no secret", func() {
				h := startHub(backend)
				acme := h.partner("Acme Pay")
				bravo := h.partner("Bravo Bank")
				dev, devTok := h.partnerUser(acme.ID, "dev@acme.example")
				r := h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users", map[string]any{"email": "ci@acme.example", "name": "CI"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body)) // no password: tokens only
				var ci server.UserJSON
				r.json(&ci)
				ciTok, _, err := h.st.CreateAPIToken(h.ctx, store.PrincipalOf(h.admin), ci.ID, "ci", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				bravoDev, bravoTok := h.partnerUser(bravo.ID, "dev@bravo.example")
				_, _, err = server.PartnerLinkCode(h.ctx, h.st, acme.ID) // the partner's own Telegram user
				Expect(err).NotTo(HaveOccurred())
				bot := botUserOf(h, acme.ID)
				r = h.api(h.adminTok, "POST", "/users", map[string]any{"email": "bea@bau.example", "role": "bau",
					"password": "bau member passphrase"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var bea server.UserJSON
				r.json(&bea)
				beaTok, _, err := h.st.CreateAPIToken(h.ctx, store.PrincipalOf(h.admin), bea.ID, "ci", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				Expect(h.api(h.adminTok, "POST", "/partners/"+acme.ID+"/users/"+ci.ID+"/disable", nil).status).To(Equal(http.StatusOK))
				users := func(token, partnerID string) apiResp {
					GinkgoHelper()
					return h.api(token, "GET", "/partners/"+partnerID+"/users", nil)
				}

				By("showing the same list to an admin, BAU staff and the partner's own user: by email, the Telegram user left out")
				want := []server.UserJSON{
					{ID: ci.ID, Email: "ci@acme.example", Name: "CI", Role: "partner", PartnerID: acme.ID, Disabled: true},
					{ID: dev.ID, Email: dev.Email, Name: dev.Name, Role: "partner", PartnerID: acme.ID},
				}
				for who, token := range map[string]string{"admin": h.adminTok, "bau": beaTok, "the partner's user": devTok} {
					r := users(token, acme.ID)
					Expect(r.status).To(Equal(http.StatusOK), who+": "+string(r.body))
					var got []server.UserJSON
					r.json(&got)
					Expect(got).To(HaveLen(len(want)), who)
					for i := range got {
						Expect(got[i].CreatedAt.IsZero()).To(BeFalse(), who)
						got[i].CreatedAt = time.Time{}
					}
					Expect(got).To(Equal(want), who)
					var raw []map[string]any
					r.json(&raw)
					for _, u := range raw {
						Expect(u).To(HaveEach(Not(BeNil())))
						keys := make([]string, 0, len(u))
						for k := range u {
							keys = append(keys, k)
						}
						Expect(keys).To(ConsistOf("id", "email", "name", "role", "partnerId", "disabled", "createdAt"), who)
					}
					body := string(r.body)
					for _, never := range []string{bot.ID, bot.Email, "argon2", "password", "hash", adminPassword, devTok, ciTok,
						bravoDev.ID, bravoDev.Email, bea.Email, h.admin.Email} {
						Expect(body).NotTo(ContainSubstring(never), who)
					}
				}

				By("answering another partner's id, and a missing partner, as not found")
				Expect(users(bravoTok, acme.ID).status).To(Equal(http.StatusNotFound))
				Expect(users(devTok, bravo.ID).status).To(Equal(http.StatusNotFound))
				Expect(users(h.adminTok, "no-partner").status).To(Equal(http.StatusNotFound))
				Expect(users(devTok, "no-partner").status).To(Equal(http.StatusNotFound))
				Expect(users("", acme.ID).status).To(Equal(http.StatusUnauthorized))
				Expect(users(ciTok, acme.ID).status).To(Equal(http.StatusUnauthorized), "a disabled user's token is revoked")
				r = users(bravoTok, bravo.ID)
				Expect(r.status).To(Equal(http.StatusOK))
				var got []server.UserJSON
				r.json(&got)
				Expect(got).To(HaveLen(1))
				Expect(got[0].ID).To(Equal(bravoDev.ID))

				By("listing a partner without users as [], never null")
				empty := h.partner("Charlie Cash")
				r = users(h.adminTok, empty.ID)
				Expect(r.status).To(Equal(http.StatusOK))
				Expect(strings.TrimSpace(string(r.body))).To(Equal("[]"))

				By("matching the users the partner page lists")
				_, page := h.signIn("admin@bau.example", adminPassword).get("/partners/" + acme.ID)
				Expect(page).To(And(ContainSubstring(dev.Email), ContainSubstring("ci@acme.example")))
				Expect(page).NotTo(ContainSubstring(bot.Email))
			})

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

// botUserOf is the partner's own Telegram user (PartnerLinkCode makes it).
func botUserOf(h *hub, partnerID string) store.User {
	GinkgoHelper()
	users, err := h.st.ListUsers(h.ctx, store.System(), partnerID)
	Expect(err).NotTo(HaveOccurred())
	for _, u := range users {
		if strings.HasSuffix(u.Email, ".invalid") {
			return u
		}
	}
	Fail("the partner has no Telegram user")
	return store.User{}
}

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
