package server_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

const urlPassword = "pw-in-the-url-93kQ"

// oneLineError is an API error answer: its status, and a message of one
// line.
func oneLineError(r apiResp, status int) string {
	GinkgoHelper()
	Expect(r.status).To(Equal(status), string(r.body))
	var e server.APIError
	r.json(&e)
	Expect(e.Error).NotTo(ContainSubstring("\n"))
	return e.Error
}

var _ = Describe("a partner environment", func() {
	for _, backend := range backends() {
		It("is refused at once, in one line naming the field, when it would only fail at run time, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Checked Co", "collections")
			put := func(body map[string]any) apiResp {
				GinkgoHelper()
				return h.api(h.adminTok, "PUT", "/partners/"+p.ID+"/environments/production", body)
			}
			creds := map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": plantedSecret,
				"checksumKey": sandbox.DefaultChecksumKey}

			By("a base URL with a user name and password: refused, and the password never shown")
			msg := oneLineError(put(map[string]any{"baseUrl": "http://merchant:" + urlPassword + "@127.0.0.1:1",
				"credentials": creds}), http.StatusBadRequest)
			Expect(msg).To(HavePrefix("baseUrl must not hold a user name or password"))
			Expect(msg).NotTo(ContainSubstring(urlPassword))

			By("a CA that holds no certificate, or a private key")
			msg = oneLineError(put(map[string]any{"baseUrl": h.sandbox, "caPem": "not a certificate"}), http.StatusBadRequest)
			Expect(msg).To(HavePrefix("caPem: holds no PEM certificate"))
			key := "-----BEGIN PRIVATE KEY-----\nTUlJQ2RnSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NBbUF3Z2dKY0FnRUFBb0dCQU1=\n-----END PRIVATE KEY-----\n"
			msg = oneLineError(put(map[string]any{"baseUrl": h.sandbox, "caPem": key}), http.StatusBadRequest)
			Expect(msg).To(HavePrefix("caPem: holds a private key"))
			msg = oneLineError(put(map[string]any{"baseUrl": h.sandbox,
				"caPem": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"}), http.StatusBadRequest)
			Expect(msg).To(HavePrefix("caPem: certificate 1 cannot be read"))

			By("a credential key the suites do not read, or an empty value")
			msg = oneLineError(put(map[string]any{"baseUrl": h.sandbox, "credentials": map[string]string{
				"clientId": sandbox.DefaultClientID, "apikey": plantedSecret}}), http.StatusBadRequest)
			Expect(msg).To(Equal(`credentials: unknown key "apikey" (did you mean apiKey?): the keys are clientId, apiKey, checksumKey`))
			msg = oneLineError(put(map[string]any{"baseUrl": h.sandbox, "credentials": map[string]string{"apiKey": ""}}),
				http.StatusBadRequest)
			Expect(msg).To(Equal("credentials: apiKey is empty: give its value, or leave it out"))

			By("the page's form refuses the same, with the same line")
			b := h.signIn("admin@bau.example", adminPassword)
			resp := b.do("POST", "/partners/"+p.ID+"/environments", url.Values{"csrf": {b.csrf}, "name": {"production"},
				"base_url": {h.sandbox}, "credentials": {"clientId=" + sandbox.DefaultClientID + "\napikey=" + plantedSecret}})
			defer resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))

			By("nothing refused was stored, shown back or audited with its secret")
			var pj server.PartnerJSON
			h.api(h.adminTok, "GET", "/partners/"+p.ID, nil).json(&pj)
			Expect(pj.Environments).To(HaveLen(1), "only the staging environment the spec registered")
			for _, text := range []string{string(h.api(h.adminTok, "GET", "/partners/"+p.ID, nil).body),
				string(h.api(h.adminTok, "GET", "/audit", nil).body), page(b, "/partners/"+p.ID), page(b, "/audit"), h.log.String()} {
				Expect(strings.Contains(text, urlPassword)).To(BeFalse())
				Expect(strings.Contains(text, plantedSecret)).To(BeFalse())
			}

			By("the documented keys are taken")
			r := put(map[string]any{"baseUrl": h.sandbox, "credentials": creds})
			Expect(r.status).To(Equal(http.StatusOK), string(r.body))
		})

		It("fails a run without showing a path of the hub's own, on "+backend, func() {
			scratch := filepath.Join(GinkgoT().TempDir(), "scratch")
			h := startHub(backend, func(c *server.Config) { c.ScratchDir = scratch })
			Expect(os.Mkdir(scratch, 0o700)).To(Succeed())
			p := h.partner("Path Co", "collections")

			By("a CA stored before the hub checked it names caPem, not the file the run wrote it to")
			_, err := h.st.PutEnvironment(h.ctx, store.PrincipalOf(h.admin), p.ID, store.EnvironmentInput{Name: store.Staging,
				BaseURL: h.sandbox, TLS: store.TLSSettings{CAPEM: "not a certificate"}})
			Expect(err).NotTo(HaveOccurred())
			run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
			Expect(run.State).To(Equal(store.RunFailed))
			Expect(run.Failure).To(HavePrefix("environment: caPem: no PEM certificate found"))
			Expect(run.Failure).NotTo(ContainSubstring(scratch))
			b := h.signIn("admin@bau.example", adminPassword)
			Expect(page(b, "/runs/"+strconv.FormatInt(run.ID, 10))).NotTo(ContainSubstring(scratch))

			By("a scratch directory the hub cannot use is the hub's fault, said without its path")
			h.endpoint(p.ID, "staging", h.sandbox)
			Expect(os.Remove(scratch)).To(Succeed())
			run = h.waitRun(h.startRun(h.adminTok, p.ID, nil))
			Expect(run.State).To(Equal(store.RunFailed))
			Expect(run.Failure).To(HavePrefix("reports: the hub cannot make a scratch directory"))
			Expect(run.Failure).NotTo(ContainSubstring(scratch))
			Expect(string(h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(run.ID, 10), nil).body)).NotTo(ContainSubstring(scratch))
			Expect(h.log.String()).To(ContainSubstring(scratch), "the log has the whole error")
		})
	}
})

func page(b *browser, path string) string {
	GinkgoHelper()
	resp, body := b.get(path)
	Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
	return body
}
