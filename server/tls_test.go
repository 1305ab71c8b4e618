package server_test

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("an environment's TLS settings", func() {
	It("reach the run: the server name verifies a certificate for another name, skip-verify is said loudly", func() {
		ca, err := testnet.NewCA("golive test CA")
		Expect(err).NotTo(HaveOccurred())
		cert, err := ca.Issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "partner.internal")
		Expect(err).NotTo(HaveOccurred())
		sb, err := sandbox.New(sandbox.WithSettleAfter(50*time.Millisecond),
			sandbox.WithCredentials(sandbox.DefaultClientID, plantedSecret))
		Expect(err).NotTo(HaveOccurred())
		target := httptest.NewUnstartedServer(sb)
		target.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		target.StartTLS() // https://127.0.0.1:PORT, a certificate for partner.internal only
		DeferCleanup(func() { target.Close(); sb.Close() })
		caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}))

		h := startHub("sqlite")
		p := h.partner("TLS Co", "collections")
		put := func(env string, body map[string]any) apiResp {
			body["baseUrl"] = target.URL
			body["credentials"] = map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": plantedSecret,
				"checksumKey": sandbox.DefaultChecksumKey}
			return h.api(h.adminTok, "PUT", "/partners/"+p.ID+"/environments/"+env, body)
		}

		By("with the server name: the certificate is verified for partner.internal and the run passes")
		Expect(put("staging", map[string]any{"caPem": caPEM, "serverName": "partner.internal"}).status).To(Equal(http.StatusOK))
		run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
		Expect(run.State).To(Equal(store.RunDone), run.Failure)
		Expect(run.Verdict).To(Equal(results.Certified))

		By("without it: the certificate does not carry 127.0.0.1, and the run fails on the TLS layer")
		Expect(put("staging", map[string]any{"caPem": caPEM}).status).To(Equal(http.StatusOK))
		run = h.waitRun(h.startRun(h.adminTok, p.ID, nil))
		Expect(run.State).To(Equal(store.RunDone), run.Failure)
		Expect(run.Verdict).NotTo(Equal(results.Certified))
		doc, err := runDoc(h, run.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Problems).NotTo(BeEmpty())
		Expect(doc.Problems[0].Kind).To(Equal(results.CauseTransport))
		var layers []string
		for _, it := range doc.Items {
			if it.Cause != nil {
				layers = append(layers, it.Cause.Layer)
			}
		}
		Expect(layers).NotTo(BeEmpty())
		Expect(layers).To(HaveEach("tls"))

		By("skipping verification (staging only): the run passes, and its verdict opens with the warning")
		Expect(put("staging", map[string]any{"insecureSkipVerify": true}).status).To(Equal(http.StatusOK))
		run = h.waitRun(h.startRun(h.adminTok, p.ID, nil))
		Expect(run.State).To(Equal(store.RunDone), run.Failure)
		doc, err = runDoc(h, run.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(doc.Verdict.Reason).To(HavePrefix(certify.InsecureTLSWarning))
		html := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(run.ID, 10)+"/artifacts/report.html", nil)
		Expect(html.status).To(Equal(http.StatusOK))
		Expect(string(html.body)).To(ContainSubstring("TLS certificate verification was skipped"))

		By("saving the endpoint from the partner page keeps the TLS settings, unless asked not to")
		Expect(put("staging", map[string]any{"caPem": caPEM, "serverName": "partner.internal"}).status).To(Equal(http.StatusOK))
		b := h.signIn("admin@bau.example", adminPassword)
		form := url.Values{"name": {"staging"}, "base_url": {target.URL}, "keep_credentials": {"1"}, "keep_tls": {"1"}}
		Expect(b.post("/partners/"+p.ID+"/environments", form).StatusCode).To(Equal(http.StatusSeeOther))
		env, err := h.st.GetEnvironment(h.ctx, store.System(), p.ID, "staging")
		Expect(err).NotTo(HaveOccurred())
		Expect(env.TLS.ServerName).To(Equal("partner.internal"))
		Expect(env.TLS.CAPEM).To(Equal(caPEM))
		Expect(env.HasCredentials).To(BeTrue())
		_, page := b.get("/partners/" + p.ID)
		Expect(page).To(ContainSubstring("partner.internal"))
		form.Del("keep_tls")
		Expect(b.post("/partners/"+p.ID+"/environments", form).StatusCode).To(Equal(http.StatusSeeOther))
		env, err = h.st.GetEnvironment(h.ctx, store.System(), p.ID, "staging")
		Expect(err).NotTo(HaveOccurred())
		Expect(env.TLS).To(BeZero())

		By("and never in production")
		r := put("production", map[string]any{"insecureSkipVerify": true})
		Expect(r.status).To(Equal(http.StatusBadRequest), string(r.body))
		Expect(strings.ToLower(string(r.body))).To(ContainSubstring("production"))
	})
})

func runDoc(h *hub, id int64) (*results.Run, error) {
	raw, err := h.st.RunResults(h.ctx, store.System(), id)
	if err != nil {
		return nil, err
	}
	return results.Read(bytes.NewReader(raw))
}
