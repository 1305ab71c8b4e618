package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("a run the hub could not carry out", func() {
	for _, backend := range backends() {
		It("carries the exit code the CLI would give: 2 for the partner's input, 4 for the hub's fault, on "+backend, func() {
			scratch := filepath.Join(GinkgoT().TempDir(), "scratch")
			Expect(os.Mkdir(scratch, 0o700)).To(Succeed())
			h := startHub(backend, func(c *server.Config) { c.ScratchDir = scratch })
			p := h.partner("Exit Co", "collections")
			runJSON := func(id int64) server.RunJSON {
				GinkgoHelper()
				r := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(id, 10), nil)
				Expect(r.status).To(Equal(http.StatusOK))
				var run server.RunJSON
				r.json(&run)
				return run
			}

			By("a registration certify refuses (a CA stored before the hub checked it): invalid input, nothing sent")
			_, err := h.st.PutEnvironment(h.ctx, store.PrincipalOf(h.admin), p.ID, store.EnvironmentInput{Name: store.Staging,
				BaseURL: h.sandbox, TLS: store.TLSSettings{CAPEM: "not a certificate"}})
			Expect(err).NotTo(HaveOccurred())
			id := h.startRun(h.adminTok, p.ID, nil)
			Expect(h.waitRun(id).State).To(Equal(store.RunFailed))
			run := runJSON(id)
			Expect(run.State).To(Equal("failed"))
			Expect(run.ExitCode).To(Equal(int(exitcode.InvalidInput)))

			By("a scratch directory the hub cannot use: an internal error")
			h.endpoint(p.ID, "staging", h.sandbox)
			Expect(os.Remove(scratch)).To(Succeed())
			id = h.startRun(h.adminTok, p.ID, nil)
			Expect(h.waitRun(id).State).To(Equal(store.RunFailed))
			run = runJSON(id)
			Expect(run.ExitCode).To(Equal(int(exitcode.Internal)))

			By("the partner's run history says the same")
			var runs []server.RunJSON
			h.api(h.adminTok, "GET", "/partners/"+p.ID+"/runs", nil).json(&runs)
			Expect(runs).To(HaveLen(2))
			Expect(runs[0].ExitCode).To(Equal(int(exitcode.Internal)))
			Expect(runs[1].ExitCode).To(Equal(int(exitcode.InvalidInput)))
		})
	}
})
