package store_test

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("the webhook outbox", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			It("writes a delivery per subscribed webhook and gives each attempt to one of two replicas", func() {
				e := openEnv(b)
				acme, _ := e.partner("Acme")
				globex, _ := e.partner("Globex")
				hook := func(partnerID string, events ...string) store.Webhook {
					w, err := e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: partnerID,
						URL: "https://hooks.example/" + partnerID, Events: events, Secret: "s"})
					Expect(err).NotTo(HaveOccurred())
					return w
				}
				mine := hook(acme.ID, "run.finished")
				hook(acme.ID, "partner.regressed") // another event
				hook(globex.ID, "run.finished")    // another partner
				for range 20 {
					n, err := e.s.EnqueueDeliveries(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished",
						PartnerID: acme.ID, Payload: []byte(`{"event":"run.finished"}`)})
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(Equal(1))
				}

				other, err := store.Open(e.ctx, e.url)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(other.Close)
				var mu sync.Mutex
				claimed := map[int64]int{}
				var wg sync.WaitGroup
				for i := range 4 {
					wg.Add(1)
					go func() {
						defer GinkgoRecover()
						defer wg.Done()
						s := e.s
						if i%2 == 1 {
							s = other
						}
						for {
							ds, err := s.ClaimDeliveries(e.ctx, e.sys, 3, time.Hour)
							Expect(err).NotTo(HaveOccurred())
							if len(ds) == 0 {
								return
							}
							mu.Lock()
							for _, d := range ds {
								Expect(d.WebhookID).To(Equal(mine.ID))
								Expect(d.URL).To(Equal(mine.URL))
								Expect(d.HasSecret).To(BeTrue())
								Expect(d.Attempts).To(Equal(1))
								claimed[d.ID]++
							}
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				Expect(claimed).To(HaveLen(20))
				for id, n := range claimed {
					Expect(n).To(Equal(1), "delivery %d claimed %d times", id, n)
				}

				By("an outcome: retry later, then delivered; recording twice is a conflict")
				var id int64
				for k := range claimed {
					id = k
					break
				}
				Expect(e.s.RecordDelivery(e.ctx, e.sys, id, store.DeliveryOutcome{Err: "webhook answered 500",
					RetryAt: time.Now().Add(-time.Second)})).To(Succeed())
				ds, err := e.s.ClaimDeliveries(e.ctx, e.sys, 10, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(HaveLen(1))
				Expect(ds[0].Attempts).To(Equal(2))
				Expect(ds[0].LastError).To(Equal("webhook answered 500"))
				Expect(e.s.RecordDelivery(e.ctx, e.sys, id, store.DeliveryOutcome{})).To(Succeed())
				Expect(e.s.RecordDelivery(e.ctx, e.sys, id, store.DeliveryOutcome{})).To(MatchError(store.ErrConflict))
				list, err := e.s.ListDeliveries(e.ctx, e.bau, mine.ID, 100)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(HaveLen(20))
				for _, d := range list {
					if d.ID == id {
						Expect(d.State).To(Equal(store.DeliveryDelivered))
						Expect(d.LastError).To(BeEmpty())
						Expect(d.DeliveredAt).NotTo(BeZero())
					}
				}
			})
		})
	}
})
