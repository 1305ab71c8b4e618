package server_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// streamBound only keeps a broken hub from hanging the suite: the specs
// wait on what the streams say, never on time.
const streamBound = 2 * time.Minute

// withStreamRecheck makes live streams re-check their caller's credential
// every 100 ms instead of every 15 s.
func withStreamRecheck(c *server.Config) { c.StreamRecheck = 100 * time.Millisecond }

// withHeldRequests lets a run's requests wait as long as its endpoint
// holds them (see heldTarget), instead of tune's 5 s.
func withHeldRequests(c *server.Config) {
	c.Tune = func(req *certify.Request) { req.Options.Timeout = 10 * time.Minute }
}

// heldTarget is a partner endpoint that holds every request until
// release, then passes it to the sandbox: a run against it stays running
// for as long as the spec needs. reached is closed by the first request.
func heldTarget(sandboxURL string) (target string, reached <-chan struct{}, release func()) {
	GinkgoHelper()
	sb, err := url.Parse(sandboxURL)
	Expect(err).NotTo(HaveOccurred())
	proxy := httputil.NewSingleHostReverseProxy(sb)
	gate, first := make(chan struct{}), make(chan struct{})
	var once, opened sync.Once
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(first) })
		select {
		case <-gate:
			proxy.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}))
	release = func() { opened.Do(func() { close(gate) }) }
	DeferCleanup(ts.Close)
	DeferCleanup(release) // before Close, which waits for held requests
	return ts.URL, first, release
}

// sseFollower reads an event stream in the background until the server
// ends it (ended is closed then).
type sseFollower struct {
	name  string
	mu    sync.Mutex
	text  strings.Builder
	ended chan struct{}
}

func (f *sseFollower) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.text.String()
}

// waitFor waits until the stream has said want.
func (f *sseFollower) waitFor(want string) {
	GinkgoHelper()
	Eventually(f.String, streamBound).Should(ContainSubstring(want), f.name)
}

// waitEnd waits until the server ends the stream.
func (f *sseFollower) waitEnd() {
	GinkgoHelper()
	Eventually(f.ended, streamBound).Should(BeClosed(), "%s did not end: %s", f.name, f)
}

// followStream opens an event stream at path with a bearer token or a
// browser's session cookie, and waits for its first line (the stream is
// open, authorized once).
func (h *hub) followStream(name, path, token string, b *browser, first string) *sseFollower {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	DeferCleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", h.url+path, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if b != nil {
		req.AddCookie(&http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value})
	}
	resp, err := noRedirect.Do(req)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusOK), name)
	Expect(resp.Header.Get("Content-Type")).To(Equal("text/event-stream"), name)
	f := &sseFollower{name: name, ended: make(chan struct{})}
	go func() {
		defer close(f.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			f.mu.Lock()
			f.text.WriteString(sc.Text() + "\n")
			f.mu.Unlock()
		}
	}()
	f.waitFor(first)
	return f
}

// credentialEnded is the comment a stream ends with when its sign-in no
// longer holds.
const credentialEnded = "the stream ends"

var _ = Describe("a live event stream", func() {
	for _, backend := range backends() {
		It("ends once its sign-in no longer holds (user disabled on another replica, session signed out, token revoked), and the others stream on, on "+backend, func() {
			h := startHub(backend, withUAT, withStreamRecheck, withHeldRequests)
			p := h.partner("Stream Pay", "collections")
			target, reached, release := heldTarget(h.sandbox)
			h.endpoint(p.ID, "staging", target)
			dev, devTok := h.partnerUser(p.ID, "dev@stream.example")
			ops, opsTok := h.partnerUser(p.ID, "ops@stream.example")
			spareTok, spare, err := h.st.CreateAPIToken(h.ctx, store.PrincipalOf(ops), ops.ID, "spare", time.Time{})
			Expect(err).NotTo(HaveOccurred())
			devWeb := h.signIn(dev.Email, adminPassword)
			opsWeb := h.signIn(ops.Email, adminPassword)
			opsWeb2 := h.signIn(ops.Email, adminPassword)

			By("a run held at its endpoint and an open UAT session, both started by the partner's user")
			runID := h.startRun(devTok, p.ID, map[string]any{"apis": []string{"collections"}})
			Eventually(reached, streamBound).Should(BeClosed(), "the run reached its endpoint")
			o := h.openUAT(devTok, p.ID, map[string]any{"apis": []string{"collections"}})
			hubURL := h.url
			bURL, _ := h.servedReplica("b", withUAT, withStreamRecheck, withHeldRequests)

			run := "/runs/" + strconv.FormatInt(runID, 10) + "/events"
			uat := "/partners/" + p.ID + "/uat-sessions/" + o.Session.ID + "/events"
			running := ": run " + strconv.FormatInt(runID, 10) + " is running"
			devStreams := []*sseFollower{
				h.followStream("dev's run stream (token)", "/api/v1"+run, devTok, nil, running),
				h.followStream("dev's run stream (page)", run, "", devWeb, running),
				h.followStream("dev's UAT stream (token)", "/api/v1"+uat, devTok, nil, ": session open"),
				h.followStream("dev's UAT stream (page)", uat, "", devWeb, ": session open"),
			}
			opsRun := h.followStream("ops's run stream (token)", "/api/v1"+run, opsTok, nil, running)
			opsUAT := h.followStream("ops's UAT stream (page)", uat, "", opsWeb, ": session open")
			revoked := h.followStream("ops's UAT stream (spare token)", "/api/v1"+uat, spareTok, nil, ": session open")
			signedOut := h.followStream("ops's run stream (second page)", run, "", opsWeb2, running)

			By("revoking a token and signing out a session: their streams end, the same user's others go on")
			Expect(h.st.RevokeAPIToken(h.ctx, store.PrincipalOf(ops), spare.ID)).To(Succeed())
			Expect(opsWeb2.post("/logout", url.Values{}).StatusCode).To(Equal(http.StatusSeeOther))
			for _, f := range []*sseFollower{revoked, signedOut} {
				f.waitEnd()
				Expect(f.String()).To(ContainSubstring(credentialEnded), f.name)
				Expect(f.String()).NotTo(ContainSubstring("event: done"), f.name)
			}

			By("disabling the partner's user through replica b: every stream of it ends on replica a")
			h.at(bURL)
			r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/users/"+dev.ID+"/disable", nil)
			Expect(r.status).To(Equal(http.StatusOK), string(r.body))
			h.at(hubURL)
			for _, f := range devStreams {
				f.waitEnd()
				Expect(f.String()).To(ContainSubstring(credentialEnded), f.name)
				Expect(f.String()).NotTo(ContainSubstring("event: done"), f.name)
			}
			Expect(h.log.String()).To(ContainSubstring("event stream ended: its credential no longer holds"))

			By("the enabled user's streams going on: a UAT exchange, then the run's and the session's ends")
			Expect(tokenCall(o.Session.BaseURL, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(http.StatusOK))
			opsUAT.waitFor(`"exchanges":1`)
			release()
			opsRun.waitFor("event: done")
			opsRun.waitEnd()
			Expect(h.waitRun(runID).State).To(Equal(store.RunDone), "the run itself was not cut short")
			r = h.api(h.adminTok, "POST", "/partners/"+p.ID+"/uat-sessions/"+o.Session.ID+"/close", nil)
			Expect(r.status).To(Equal(http.StatusOK), string(r.body))
			opsUAT.waitFor("event: done")
			opsUAT.waitEnd()
			for _, f := range []*sseFollower{opsRun, opsUAT} {
				Expect(f.String()).NotTo(ContainSubstring(credentialEnded), f.name)
			}
		})
	}
})
