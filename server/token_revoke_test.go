package server_test

import (
	"net/http"
	"net/url"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("revoking an API token", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("refuses the token at once, audits the revoke without the token, and keeps other users' tokens out of reach", func() {
				h := startHub(backend)
				pt := h.partner("Alpha Pay")
				dev, devTok := h.partnerUser(pt.ID, "dev@alpha.example")
				other, otherTok := h.partnerUser(pt.ID, "ops@alpha.example")
				idOf := func(userID string) string {
					GinkgoHelper()
					ts, err := h.st.ListAPITokens(h.ctx, store.System(), userID)
					Expect(err).NotTo(HaveOccurred())
					Expect(ts).To(HaveLen(1))
					return ts[0].ID
				}
				devTokID, otherTokID := idOf(dev.ID), idOf(other.ID)
				Expect(h.api(devTok, "GET", "/me", nil).status).To(Equal(http.StatusOK))

				By("refusing another user's token as not found: a partner user, even of the same partner")
				r := h.api(devTok, "DELETE", "/users/"+other.ID+"/tokens/"+otherTokID, nil)
				Expect(r.status).To(Equal(http.StatusNotFound), string(r.body))
				r = h.api(devTok, "DELETE", "/users/"+dev.ID+"/tokens/"+otherTokID, nil)
				Expect(r.status).To(Equal(http.StatusNotFound), "someone else's token under your own user")
				r = h.api(devTok, "DELETE", "/users/"+dev.ID+"/tokens/no-such-token", nil)
				Expect(r.status).To(Equal(http.StatusNotFound))
				Expect(h.api(otherTok, "GET", "/me", nil).status).To(Equal(http.StatusOK), "the other user's token still works")

				By("revoking your own token: refused on the very next call")
				r = h.api(devTok, "DELETE", "/users/"+dev.ID+"/tokens/"+devTokID, nil)
				Expect(r.status).To(Equal(http.StatusNoContent), string(r.body))
				Expect(h.api(devTok, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))

				By("an admin revoking a partner user's token")
				r = h.api(h.adminTok, "DELETE", "/users/"+other.ID+"/tokens/"+otherTokID, nil)
				Expect(r.status).To(Equal(http.StatusNoContent), string(r.body))
				Expect(h.api(otherTok, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))

				By("auditing each revoke by token id, never the token")
				audit := h.api(h.adminTok, "GET", "/audit", nil)
				Expect(audit.status).To(Equal(http.StatusOK))
				Expect(strings.Count(string(audit.body), "token.revoke")).To(Equal(2), string(audit.body))
				Expect(string(audit.body)).To(ContainSubstring(devTokID))
				Expect(string(audit.body)).To(ContainSubstring(otherTokID))
				for _, secret := range []string{devTok, otherTok} {
					Expect(string(audit.body)).NotTo(ContainSubstring(secret))
					Expect(h.log.String()).NotTo(ContainSubstring(secret))
				}
			})

			It("revokes from the account page, one button per live token, CSRF-checked", func() {
				h := startHub(backend)
				web := h.signIn("admin@bau.example", adminPassword)
				r := h.api(h.adminTok, "POST", "/users/"+h.admin.ID+"/tokens", map[string]any{"name": "ci"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var tok server.TokenJSON
				r.json(&tok)
				Expect(h.api(tok.Token, "GET", "/me", nil).status).To(Equal(http.StatusOK))
				_, page := web.get("/account")
				Expect(page).To(ContainSubstring(`action="/account/tokens/` + tok.ID + `/revoke"`))

				forged := web.post("/account/tokens/"+tok.ID+"/revoke", url.Values{"csrf": {"0000"}})
				Expect(forged.StatusCode).NotTo(Equal(http.StatusOK))
				Expect(h.api(tok.Token, "GET", "/me", nil).status).To(Equal(http.StatusOK), "a forged form revokes nothing")

				resp := web.post("/account/tokens/"+tok.ID+"/revoke", url.Values{})
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				Expect(h.api(tok.Token, "GET", "/me", nil).status).To(Equal(http.StatusUnauthorized))
				_, page = web.get("/account")
				Expect(page).To(ContainSubstring("ci: created"))
				Expect(page).NotTo(ContainSubstring(`action="/account/tokens/`+tok.ID+`/revoke"`), "no button for a revoked token")
			})
		})
	}
})
