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
					n, _, err := e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished",
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

				By("pruning what is over (delivered, failed) and written before the cutoff; pending ones stay")
				var failed int64
				for k := range claimed {
					if k != id {
						failed = k
						break
					}
				}
				Expect(e.s.RecordDelivery(e.ctx, e.sys, failed, store.DeliveryOutcome{Err: "webhook answered 410"})).To(Succeed())
				n, err := e.s.PruneDeliveries(e.ctx, e.sys, time.Now().Add(-time.Hour))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(BeZero(), "nothing was written before the cutoff")
				n, err = e.s.PruneDeliveries(e.ctx, e.sys, time.Now().Add(time.Hour))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(int64(2)))
				list, err = e.s.ListDeliveries(e.ctx, e.bau, mine.ID, 100)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(HaveLen(18))
				Expect(list).To(HaveEach(HaveField("State", store.DeliveryPending)))
			})
		})
	}
})

var _ = Describe("the Telegram outbox", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			It("keeps each chat's messages in order, gives each attempt to one of two replicas, deletes what was sent and prunes the rest", func() {
				e := openEnv(b)
				acme, _ := e.partner("Acme")
				doc := &store.ChatDocument{Name: "golive-run-1.html", RunID: 1, File: "report.html"}
				for range 10 {
					_, n, err := e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished", PartnerID: acme.ID,
						Payload: []byte(`{}`), Chats: []store.ChatMessage{{ChatID: 1, Text: "verdict"},
							{ChatID: 1, Text: "Report 1", Doc: doc}, {ChatID: -2, Text: "[acme] verdict"}}})
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(Equal(3))
				}
				_, _, err := e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished", Payload: []byte(`{}`),
					Chats: []store.ChatMessage{{ChatID: 3}}})
				Expect(err).To(MatchError(store.ErrInvalid), "a message with neither text nor document")

				other, err := store.Open(e.ctx, e.url)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(other.Close)
				var mu sync.Mutex
				sent := map[int64][]int64{} // chat -> message ids, in the order sent
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
							mu.Lock()
							total := len(sent[1]) + len(sent[-2])
							mu.Unlock()
							if total == 30 {
								return
							}
							ms, err := s.ClaimChatMessages(e.ctx, e.sys, 5, time.Hour)
							Expect(err).NotTo(HaveOccurred())
							if len(ms) == 0 {
								// Another claimer holds each chat's next message.
								time.Sleep(time.Millisecond)
								continue
							}
							mu.Lock()
							for _, m := range ms {
								Expect(m.Attempts).To(Equal(1), "each attempt is one replica's")
								sent[m.ChatID] = append(sent[m.ChatID], m.ID)
							}
							mu.Unlock()
							for _, m := range ms {
								Expect(s.RecordChatMessage(e.ctx, e.sys, m.ID, store.DeliveryOutcome{})).To(Succeed())
							}
						}
					}()
				}
				wg.Wait()
				Expect(sent[1]).To(HaveLen(20))
				Expect(sent[-2]).To(HaveLen(10))
				for _, ids := range sent {
					for i := 1; i < len(ids); i++ {
						Expect(ids[i]).To(BeNumerically(">", ids[i-1]), "a chat's messages in order")
					}
				}
				left, err := e.s.ListChatMessages(e.ctx, e.sys, 100)
				Expect(err).NotTo(HaveOccurred())
				Expect(left).To(BeEmpty(), "a sent message's row is deleted")

				By("a retry waits its time; a failed message stays until pruned")
				_, _, err = e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "uat.completed", Payload: []byte(`{}`),
					Chats: []store.ChatMessage{{ChatID: 4, Text: "Report u", Doc: &store.ChatDocument{Name: "u.html",
						UATSessionID: "u", File: "report.html"}}}})
				Expect(err).NotTo(HaveOccurred())
				ms, err := e.s.ClaimChatMessages(e.ctx, e.sys, 5, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(ms).To(ConsistOf(HaveField("Doc", Equal(&store.ChatDocument{Name: "u.html", UATSessionID: "u", File: "report.html"}))))
				Expect(e.s.RecordChatMessage(e.ctx, e.sys, ms[0].ID, store.DeliveryOutcome{Err: "502",
					RetryAt: time.Now().Add(time.Hour)})).To(Succeed())
				again, err := e.s.ClaimChatMessages(e.ctx, e.sys, 5, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(again).To(BeEmpty(), "not due yet")
				Expect(e.s.RecordChatMessage(e.ctx, e.sys, ms[0].ID, store.DeliveryOutcome{Err: "403 blocked"})).To(Succeed())
				Expect(e.s.RecordChatMessage(e.ctx, e.sys, ms[0].ID, store.DeliveryOutcome{})).To(MatchError(store.ErrConflict))
				left, err = e.s.ListChatMessages(e.ctx, e.sys, 100)
				Expect(err).NotTo(HaveOccurred())
				Expect(left).To(ConsistOf(And(HaveField("State", store.ChatMessageFailed), HaveField("LastError", "403 blocked"))))
				n, err := e.s.PruneChatMessages(e.ctx, e.sys, time.Now().Add(time.Hour))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(int64(1)))
				_, err = e.s.ClaimChatMessages(e.ctx, e.bau, 1, time.Hour)
				Expect(err).NotTo(HaveOccurred(), "staff may")
			})
		})
	}
})
