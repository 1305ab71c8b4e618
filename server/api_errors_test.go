package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// internals are words of the hub's own making that an error answer must
// not show: Go types, packages, SQL constraints, driver codes.
var internals = []string{"store.", "server.", "[]", "constraint", "UNIQUE", "name_key", "users_email", "(2067)", "none:"}

func expectPlain(msg string) {
	GinkgoHelper()
	for _, w := range internals {
		Expect(msg).NotTo(ContainSubstring(w), "%q shows internals", msg)
	}
}

var _ = Describe("the API's error answers", func() {
	for _, backend := range backends() {
		It("say in one plain line what is wrong, naming the thing or field, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Acme Pay", "collections")

			By("a partner name that is taken")
			msg := oneLineError(h.api(h.adminTok, "POST", "/partners", map[string]any{"name": "acme  pay"}), http.StatusConflict)
			Expect(msg).To(Equal(`a partner named "acme pay" already exists: choose another name`))
			expectPlain(msg)
			b := h.signIn("admin@bau.example", adminPassword)
			resp := b.do("POST", "/partners", url.Values{"csrf": {b.csrf}, "name": {"Acme Pay"}})
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusConflict))

			By("an email that is taken, by a partner's user or a team member")
			r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/users", map[string]any{"email": "dev@acme.example"})
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			msg = oneLineError(h.api(h.adminTok, "POST", "/partners/"+p.ID+"/users", map[string]any{"email": "Dev@acme.example"}),
				http.StatusConflict)
			Expect(msg).To(Equal(`a user with the email "dev@acme.example" already exists`))
			msg = oneLineError(h.api(h.adminTok, "POST", "/users", map[string]any{"email": "admin@bau.example",
				"role": "bau", "password": "a long enough password"}), http.StatusConflict)
			Expect(msg).To(Equal(`a user with the email "admin@bau.example" already exists`))

			By("JSON of the wrong type")
			msg = oneLineError(h.api(h.adminTok, "POST", "/partners", `{"name":"Globex","contacts":"ann@globex.example"}`),
				http.StatusBadRequest)
			Expect(msg).To(Equal("contacts: want a list of contacts, got a string"))
			msg = oneLineError(h.api(h.adminTok, "POST", "/partners", `[{"name":"Globex"}]`), http.StatusBadRequest)
			Expect(msg).To(Equal("the body: want a JSON object, got a list"))
			msg = oneLineError(h.api(h.adminTok, "POST", "/partners/"+p.ID+"/runs", `{"allowWrites":"yes"}`), http.StatusBadRequest)
			Expect(msg).To(Equal("allowWrites: want true or false, got a string"))
			msg = oneLineError(h.api(h.adminTok, "PUT", "/partners/"+p.ID+"/apis", `{"apis":[1]}`), http.StatusBadRequest)
			Expect(msg).To(HavePrefix("apis"))
			Expect(msg).To(HaveSuffix("want a string, got a number"))
			expectPlain(msg)

			By("a sign-off on a run that failed")
			_, err := h.st.PutEnvironment(h.ctx, store.PrincipalOf(h.admin), p.ID, store.EnvironmentInput{Name: store.Staging,
				BaseURL: h.sandbox, TLS: store.TLSSettings{CAPEM: "not a certificate"}})
			Expect(err).NotTo(HaveOccurred())
			failed := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
			Expect(failed.State).To(Equal(store.RunFailed))
			run := strconv.FormatInt(failed.ID, 10)
			msg = oneLineError(h.api(h.adminTok, "POST", "/runs/"+run+"/signoff", map[string]any{"decision": "go"}), http.StatusConflict)
			Expect(msg).To(Equal("run " + run + " failed before a verdict (the hub could not carry it out): " +
				"a go-live sign-off needs a finished run whose verdict is CERTIFIED or CERTIFIED WITH OBSERVATIONS"))

			By("no token, or one that is no token: the API takes tokens, not browser sessions")
			for _, tok := range []string{"", "glv_not-a-token"} {
				msg = oneLineError(h.api(tok, "GET", "/partners", nil), http.StatusUnauthorized)
				Expect(msg).To(HavePrefix("an API token is required: send 'Authorization: Bearer glv_...'"))
				Expect(strings.ToLower(msg)).NotTo(ContainSubstring("session"))
			}
			req, _ := http.NewRequest("GET", h.url+"/api/v1/partners", nil)
			req.AddCookie(&http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value})
			resp, err = http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized), "a browser session is not an API credential")

			By("the audit log records the refusals in the same words")
			audit := string(h.api(h.adminTok, "GET", "/audit", nil).body)
			Expect(audit).To(ContainSubstring(`a partner named \"acme pay\" already exists`))
			expectPlain(strings.NewReplacer("[", "", "]", "").Replace(audit))
		})

		It("refuses what it would otherwise ignore: fields of a body that takes none, a bad ?limit, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Quiet Co", "collections")
			codes := "/partners/" + p.ID + "/link-codes"
			msg := oneLineError(h.api(h.adminTok, "POST", codes, `{"bogus":1}`), http.StatusBadRequest)
			Expect(msg).To(Equal(`unknown field "bogus"`))
			msg = oneLineError(h.api(h.adminTok, "POST", codes, `[1]`), http.StatusBadRequest)
			Expect(msg).To(Equal("the body: want a JSON object, got a list"))
			Expect(h.api(h.adminTok, "POST", codes, `{}`).status).To(Equal(http.StatusCreated))
			Expect(h.api(h.adminTok, "POST", codes, nil).status).To(Equal(http.StatusCreated))
			_, partnerTok := h.partnerUser(p.ID, "dev@quiet.example")
			Expect(h.api(partnerTok, "POST", codes, `{"bogus":1}`).status).To(Equal(http.StatusForbidden),
				"who may comes before what the body says")

			for _, bad := range []string{"limit=abc", "limit=0", "limit=1001", "limit=", "before=x", "before=-1"} {
				msg = oneLineError(h.api(h.adminTok, "GET", "/audit?"+bad, nil), http.StatusBadRequest)
				Expect(msg).To(Or(HavePrefix("limit must be"), HavePrefix("before must be")), bad)
			}
			var all, first, next []server.AuditJSON
			h.api(h.adminTok, "GET", "/audit", nil).json(&all)
			Expect(len(all)).To(BeNumerically(">=", 3))
			h.api(h.adminTok, "GET", "/audit?limit=1", nil).json(&first)
			Expect(first).To(HaveLen(1))
			Expect(first[0].ID).To(Equal(all[0].ID))
			h.api(h.adminTok, "GET", "/audit?limit=2&before="+strconv.FormatInt(first[0].ID, 10), nil).json(&next)
			Expect(next).To(HaveLen(2))
			Expect(next[0].ID).To(Equal(all[1].ID))
			Expect(next[1].ID).To(Equal(all[2].ID))
		})
	}
})
