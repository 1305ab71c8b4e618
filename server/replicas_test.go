package server_test

import (
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testlog"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// replica is a second hub process over the same database as a hub: its
// own store handle, server and log.
type replica struct {
	st  *store.Store
	srv *server.Server
	log *testlog.Buffer
	// http is its listener, for a replica made with servedReplica.
	http *httptest.Server
}

func (h *hub) replica(name string, opts ...hubOption) *replica {
	GinkgoHelper()
	kr, err := store.NewKeyring(h.key)
	Expect(err).NotTo(HaveOccurred())
	st, err := store.Open(h.ctx, h.dbURL, store.WithKeyring(kr))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(st.Close)
	r := &replica{st: st, log: &testlog.Buffer{}}
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

var roundRe = regexp.MustCompile(`msg=housekeeping round=(\S+)`)

var _ = Describe("housekeeping", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("prunes old artifacts once a round across replicas, keeping signed-off runs and the last good run", func() {
				h := startHub(backend, func(c *server.Config) { c.WorkerName = "a" })
				p := h.partner("Retention Co", "collections")
				var ids []int64
				for range 3 {
					run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
					Expect(run.Certified()).To(BeTrue(), run.Failure)
					ids = append(ids, run.ID)
				}
				_, err := h.st.RecordSignOff(h.ctx, store.PrincipalOf(h.admin), store.SignOffInput{RunID: ids[0],
					Decision: store.DecisionGo, EvidenceSHA256: strings.Repeat("ab", 32)})
				Expect(err).NotTo(HaveOccurred())
				h.srv.Stop()
				// Two replicas, a round every second, artifacts kept for a
				// nanosecond: every finished run is past retention.
				tight := func(c *server.Config) {
					c.KeepArtifacts = time.Nanosecond
					c.HousekeepingInterval = time.Second
				}
				a := h.replica("a", tight)
				b := h.replica("b", tight)
				pruned := func(id int64) bool {
					info, _, err := h.st.GetArtifact(h.ctx, store.System(), id, "report.html")
					Expect(err).NotTo(HaveOccurred())
					return info.Pruned
				}
				Eventually(func() bool { return pruned(ids[1]) }).WithTimeout(3 * time.Minute).
					WithPolling(100 * time.Millisecond).Should(BeTrue())
				// A few more rounds, so both replicas compete for some.
				rounds := func() int {
					return len(roundRe.FindAllString(a.log.String(), -1)) + len(roundRe.FindAllString(b.log.String(), -1))
				}
				Eventually(rounds).WithTimeout(3 * time.Minute).WithPolling(100 * time.Millisecond).Should(BeNumerically(">=", 4))
				a.srv.Stop()
				b.srv.Stop()
				Expect(pruned(ids[0])).To(BeFalse(), "a signed-off run keeps its reports")
				Expect(pruned(ids[2])).To(BeFalse(), "the partner's last good run keeps its reports")
				seen := map[string]bool{}
				for _, r := range []*replica{a, b} {
					for _, m := range roundRe.FindAllStringSubmatch(r.log.String(), -1) {
						Expect(seen).NotTo(HaveKey(m[1]), "round %s carried out twice", m[1])
						seen[m[1]] = true
					}
				}
			})
		})
	}
})
