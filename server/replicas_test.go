package server_test

import (
	"log/slog"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// replica is a second hub process over the same database as a hub: its
// own store handle, server and log.
type replica struct {
	st  *store.Store
	srv *server.Server
	log *syncBuffer
}

func (h *hub) replica(name string, opts ...hubOption) *replica {
	GinkgoHelper()
	kr, err := store.NewKeyring(h.key)
	Expect(err).NotTo(HaveOccurred())
	st, err := store.Open(h.ctx, h.dbURL, store.WithKeyring(kr))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(st.Close)
	r := &replica{st: st, log: &syncBuffer{}}
	cfg := h.cfg
	cfg.Store = st
	cfg.WorkerName = name
	cfg.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, o := range opts {
		o(&cfg)
	}
	r.srv, err = server.New(h.ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	Expect(r.srv.Start(h.ctx)).To(Succeed())
	DeferCleanup(r.srv.Stop)
	return r
}

var firedRe = regexp.MustCompile(`msg="schedule fired" schedule=(\w+) at=(\S+) run=(\d+)`)

var _ = Describe("replicas on one database", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("queue each schedule fire once, whichever replica's cron fires first", func() {
				h := startHub(backend, func(c *server.Config) { c.WorkerName = "a" })
				p := h.partner("Cron Co", "collections")
				// Every second, before either replica loads its schedules; in
				// production, at a closed port, so each run ends quickly.
				h.endpoint(p.ID, "production", "http://127.0.0.1:1")
				h.srv.Stop()
				_, err := h.st.CreateSchedule(h.ctx, store.PrincipalOf(h.admin), p.ID, store.ScheduleInput{
					Cron: "* * * * * *", API: "collections", Environment: store.Production, Enabled: true})
				Expect(err).NotTo(HaveOccurred())
				a := h.replica("a")
				b := h.replica("b")

				scheduled := func() []store.Run {
					runs, err := h.st.ListRuns(h.ctx, store.System(), p.ID, store.RunPage{Limit: 200})
					Expect(err).NotTo(HaveOccurred())
					var out []store.Run
					for _, r := range runs {
						if r.Source == store.SourceSchedule {
							out = append(out, r)
						}
					}
					return out
				}
				// Both replicas' crons fire every second; wait until a few
				// fires were queued and each replica lost at least one race
				// (so both were firing). The bound only stops a broken hub.
				lost := func(r *replica) bool {
					return strings.Contains(r.log.String(), "schedule fire taken by another replica")
				}
				Eventually(func() int { return len(scheduled()) }).WithTimeout(3*time.Minute).
					WithPolling(100*time.Millisecond).Should(BeNumerically(">=", 6), func() string { return a.log.String() + b.log.String() })
				Eventually(func() bool { return lost(a) || lost(b) }).WithTimeout(3 * time.Minute).
					WithPolling(100 * time.Millisecond).Should(BeTrue())
				a.srv.Stop()
				b.srv.Stop()

				runs := scheduled()
				fires := map[string]string{} // fire time -> run
				for _, r := range []*replica{a, b} {
					for _, m := range firedRe.FindAllStringSubmatch(r.log.String(), -1) {
						Expect(fires).NotTo(HaveKey(m[2]), "fire %s queued twice: runs %s and %s", m[2], fires[m[2]], m[3])
						fires[m[2]] = m[3]
					}
				}
				Expect(fires).To(HaveLen(len(runs)), "every scheduled run comes from one claimed fire")
			})
		})
	}
})
