package server_test

import (
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the account page", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("changes the user's password given the current one, and signs out the user's other sessions", func() {
				h := startHub(backend)
				here := h.signIn("admin@bau.example", adminPassword)
				elsewhere := h.signIn("admin@bau.example", adminPassword)
				const next = "a much longer new passphrase"
				change := func(b *browser, current, next, confirm string) int {
					return b.post("/account/password", url.Values{"current": {current}, "new": {next}, "confirm": {confirm}}).StatusCode
				}

				By("refusing a wrong current password, a confirmation that differs, a short one")
				Expect(change(here, "not the password", next, next)).To(Equal(http.StatusBadRequest))
				Expect(change(here, adminPassword, next, next+"x")).To(Equal(http.StatusBadRequest))
				Expect(change(here, adminPassword, "short", "short")).To(Equal(http.StatusBadRequest))
				resp, _ := elsewhere.get("/account")
				Expect(resp.StatusCode).To(Equal(http.StatusOK), "nothing changed yet")

				By("changing it")
				resp = here.post("/account/password", url.Values{"current": {adminPassword}, "new": {next}, "confirm": {next}})
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				_, page := here.get("/account")
				Expect(page).NotTo(ContainSubstring(next))
				resp, _ = elsewhere.get("/account")
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther), "the other session is signed out")
				Expect(resp.Header.Get("Location")).To(HavePrefix("/login"))
				resp, _ = here.get("/account")
				Expect(resp.StatusCode).To(Equal(http.StatusOK), "this session stays")

				By("signing in with the new password only")
				h.signIn("admin@bau.example", next)
				b := &browser{h: h}
				Expect(b.post("/login", url.Values{"email": {"admin@bau.example"}, "password": {adminPassword}}).StatusCode).
					NotTo(Equal(http.StatusSeeOther))

				audit := h.api(h.adminTok, "GET", "/audit", nil)
				Expect(string(audit.body)).To(ContainSubstring("password.change"))
				for _, secret := range []string{next, adminPassword, "not the password"} {
					Expect(string(audit.body)).NotTo(ContainSubstring(secret))
					Expect(h.log.String()).NotTo(ContainSubstring(secret))
				}
			})
		})
	}
})
