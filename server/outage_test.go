package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testlog"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// tcpProxy forwards connections on 127.0.0.1 to target until cut: then it
// breaks every open connection and refuses new ones (accepts and closes
// them at once), as a database that went away; restore lets them through
// again.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPProxy(target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	DeferCleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.down { // cut while this one was being dialled: it must not survive
			p.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
		}
		go pipe(c, up)
		go pipe(up, c)
	}
}

// cut breaks every connection and refuses new ones until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

var _ = Describe("a database that goes away and comes back", func() {
	It("answers 503 with a clear message while PostgreSQL is unreachable, and recovers without a restart", func() {
		if !strings.Contains(strings.Join(backends(), ","), "postgres") {
			Skip("needs PostgreSQL: " + envPostgresURL + " is unset")
		}
		h := startHub("postgres")
		p := h.partner("Outage Co", "collections")
		h.srv.Stop() // its workers must not take the run below: the hub behind the proxy does

		// A second hub on the same database, reaching it through the proxy.
		u, err := url.Parse(h.dbURL)
		Expect(err).NotTo(HaveOccurred())
		proxy := newTCPProxy(u.Host)
		u.Host = proxy.addr()
		kr, err := store.NewKeyring(h.key)
		Expect(err).NotTo(HaveOccurred())
		st, err := store.Open(h.ctx, u.String(), store.WithKeyring(kr))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(st.Close)
		log := &testlog.Buffer{}
		cfg := h.cfg
		cfg.Store, cfg.WorkerName = st, "behind-proxy"
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
		srv, err := server.New(h.ctx, cfg)
		Expect(err).NotTo(HaveOccurred())
		Expect(srv.Start(h.ctx)).To(Succeed())
		ts := httptest.NewServer(srv.Handler())
		DeferCleanup(func() { ts.Close(); srv.Stop() })

		call := func(method, path, body string) (int, string) {
			req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("Authorization", "Bearer "+h.adminTok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		status, body := call("GET", "/api/v1/partners/"+p.ID, "")
		Expect(status).To(Equal(http.StatusOK), body)

		By("cut: every request is a 503 that says what is wrong, never a 500 or a hang")
		proxy.cut()
		for _, path := range []string{"/api/v1/partners", "/api/v1/partners/" + p.ID, "/api/v1/runs/1"} {
			status, body = call("GET", path, "")
			Expect(status).To(Equal(http.StatusServiceUnavailable), "%s: %s", path, body)
			var e server.APIError
			Expect(json.Unmarshal([]byte(body), &e)).To(Succeed())
			Expect(e.Error).To(ContainSubstring("database is unavailable"))
		}
		status, body = call("POST", "/api/v1/partners/"+p.ID+"/runs", `{}`)
		Expect(status).To(Equal(http.StatusServiceUnavailable), body)
		status, _ = call("GET", "/healthz", "")
		Expect(status).To(Equal(http.StatusServiceUnavailable))

		By("restored: the same process answers again and its workers carry out runs")
		proxy.restore()
		Eventually(func() int { s, _ := call("GET", "/api/v1/partners/"+p.ID, ""); return s }).
			WithTimeout(2 * time.Minute).WithPolling(100 * time.Millisecond).Should(Equal(http.StatusOK))
		status, body = call("POST", "/api/v1/partners/"+p.ID+"/runs", `{}`)
		Expect(status).To(Equal(http.StatusAccepted), body)
		var run server.RunJSON
		Expect(json.Unmarshal([]byte(body), &run)).To(Succeed())
		Eventually(func() store.RunState {
			r, err := h.st.GetRun(h.ctx, store.System(), run.ID)
			Expect(err).NotTo(HaveOccurred())
			return r.State
		}).WithTimeout(3 * time.Minute).WithPolling(100 * time.Millisecond).Should(Equal(store.RunDone))
		Expect(log.String()).NotTo(ContainSubstring("panic"))
	})
})
