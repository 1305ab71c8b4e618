package server_test

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// servedReplica is a replica with its own HTTP listener, advertised to the
// others at that address.
func (h *hub) servedReplica(name string, opts ...hubOption) (string, *replica) {
	GinkgoHelper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	url := "http://" + ln.Addr().String()
	r := h.replica(name, append(opts, func(c *server.Config) { c.AdvertiseURL = url })...)
	ts := httptest.NewUnstartedServer(r.srv.Handler())
	_ = ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	DeferCleanup(ts.Close)
	r.http = ts
	return url, r
}

// at points the hub's API helpers at one replica.
func (h *hub) at(url string) {
	h.url = url
	h.loadOpenAPI()
}

var _ = Describe("a live UAT session behind several replicas", func() {
	for _, backend := range backends() {
		It("is served through any replica: its sandbox, its event stream and its Close reach the one that runs it, on "+backend, func() {
			h := startHub(backend, withUAT)
			p := h.partner("Relay Pay", "collections")
			h.srv.Stop()
			h.http.Close()
			aURL, _ := h.servedReplica("a", withUAT)
			bURL, _ := h.servedReplica("b", withUAT)

			By("a session opened on replica a")
			h.at(aURL)
			o := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
			Expect(o.Session.BaseURL).To(HavePrefix(aURL))

			By("its sandbox answers through replica b, with the session's credentials only")
			throughB := bURL + server.UATPrefix + o.Session.ID
			Expect(tokenCall(throughB, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(http.StatusOK))
			Expect(tokenCall(throughB, o.Credentials.ClientID, "wrong")).To(Equal(http.StatusUnauthorized))

			By("its event stream through b comes from a, and ends when the session is closed through b")
			h.at(bURL)
			req, err := http.NewRequest("GET", bURL+"/api/v1/partners/"+p.ID+"/uat-sessions/"+o.Session.ID+"/events", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Authorization", "Bearer "+h.adminTok)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			lines := bufio.NewScanner(resp.Body)
			Expect(lines.Scan()).To(BeTrue())
			// Only the replica running the session streams it as open.
			Expect(lines.Text()).To(Equal(": session open"))
			r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/uat-sessions/"+o.Session.ID+"/close", nil)
			Expect(r.status).To(Equal(http.StatusOK), string(r.body))
			var doneLine string
			for lines.Scan() {
				if strings.HasPrefix(lines.Text(), "data: ") {
					doneLine = lines.Text()
				}
				if lines.Text() == "event: done" {
					Expect(lines.Scan()).To(BeTrue())
					doneLine = lines.Text()
					break
				}
			}
			Expect(doneLine).To(ContainSubstring(`"state":"closed"`))
			u, err := h.st.GetUATSession(h.ctx, store.System(), o.Session.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(u.State).To(Equal(store.UATClosed))
			Expect(u.Owner).To(Equal("a"))

			By("a replica that restarts interrupts only the sessions it served")
			h.at(aURL)
			live := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
			h.replica("b", withUAT) // b again: its start-up recovery
			u, err = h.st.GetUATSession(h.ctx, store.System(), live.Session.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(u.State).To(Equal(store.UATOpen), "a's session lives on")
			Expect(tokenCall(bURL+server.UATPrefix+live.Session.ID, live.Credentials.ClientID, live.Credentials.APIKey)).
				To(Equal(http.StatusOK))
		})
	}
})
