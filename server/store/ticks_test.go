package store_test

import (
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("ticks", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			It("give each tick of a periodic job to exactly one of many concurrent claimers", func() {
				e := openEnv(b)
				// A second handle on the same database: another replica.
				other, err := store.Open(e.ctx, e.url)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(other.Close)
				base := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
				for tick := range 10 {
					at := base.Add(time.Duration(tick) * time.Second)
					var won atomic.Int32
					var wg sync.WaitGroup
					for i := range 8 {
						wg.Add(1)
						go func() {
							defer GinkgoRecover()
							defer wg.Done()
							s := e.s
							if i%2 == 1 {
								s = other
							}
							ok, err := s.ClaimTick(e.ctx, e.sys, "schedule/x", at)
							Expect(err).NotTo(HaveOccurred())
							if ok {
								won.Add(1)
							}
						}()
					}
					wg.Wait()
					Expect(won.Load()).To(Equal(int32(1)), "tick %d", tick)
				}
				// A late replica's earlier tick is not carried out again.
				ok, err := e.s.ClaimTick(e.ctx, e.sys, "schedule/x", base.Add(3*time.Second))
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeFalse())
				By("a tick claimed in a run's own transaction queues one run, whoever asks")
				pt, _ := e.partner("Acme")
				at := base.Add(time.Hour)
				var queued atomic.Int32
				var wg sync.WaitGroup
				for i := range 8 {
					wg.Add(1)
					go func() {
						defer GinkgoRecover()
						defer wg.Done()
						s := e.s
						if i%2 == 1 {
							s = other
						}
						_, err := s.EnqueueRun(e.ctx, e.sys, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
							Environment: store.Production, Source: store.SourceSchedule, Tick: "schedule/y", TickAt: at})
						if err == nil {
							queued.Add(1)
							return
						}
						Expect(err).To(MatchError(store.ErrTickTaken))
						Expect(err).To(MatchError(store.ErrConflict))
					}()
				}
				wg.Wait()
				Expect(queued.Load()).To(Equal(int32(1)))
				runs, err := e.s.ListRuns(e.ctx, e.sys, pt.ID, store.RunPage{})
				Expect(err).NotTo(HaveOccurred())
				Expect(runs).To(HaveLen(1))
				// Other jobs tick on their own.
				ok, err = e.s.ClaimTick(e.ctx, e.sys, "housekeeping", base)
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeTrue())
			})

			It("forget a deleted schedule's ticks with it", func() {
				e := openEnv(b)
				pt, _ := e.partner("Acme")
				sc, err := e.s.CreateSchedule(e.ctx, e.bau, pt.ID, store.ScheduleInput{Cron: "0 6 * * *", API: "collections",
					Environment: store.Production, Enabled: true})
				Expect(err).NotTo(HaveOccurred())
				at := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
				ok, err := e.s.ClaimTick(e.ctx, e.sys, store.ScheduleTick(sc.ID), at)
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeTrue())
				Expect(e.s.DeleteSchedule(e.ctx, e.bau, sc.ID)).To(Succeed())
				// Its row is gone: the same tick can be claimed again.
				ok, err = e.s.ClaimTick(e.ctx, e.sys, store.ScheduleTick(sc.ID), at)
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeTrue())
				Expect(e.s.DeleteSchedule(e.ctx, e.bau, sc.ID)).To(MatchError(store.ErrNotFound))
			})
		})
	}
})
