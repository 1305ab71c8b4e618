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
				// Other jobs tick on their own.
				ok, err = e.s.ClaimTick(e.ctx, e.sys, "housekeeping", base)
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeTrue())
			})
		})
	}
})
