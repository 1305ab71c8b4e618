package store_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("staff's actions on a webhook's deliveries", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			var e *env
			BeforeEach(func() { e = openEnv(b) })

			hook := func(partnerID, secret string, events ...string) store.Webhook {
				GinkgoHelper()
				w, err := e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: partnerID,
					URL: "https://hooks.example/" + partnerID, Events: events, Secret: secret})
				Expect(err).NotTo(HaveOccurred())
				return w
			}
			enqueue := func(partnerID, event, payload string) {
				GinkgoHelper()
				_, _, err := e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: event, PartnerID: partnerID,
					Payload: []byte(payload)})
				Expect(err).NotTo(HaveOccurred())
			}
			claim := func() []store.Delivery {
				GinkgoHelper()
				ds, err := e.s.ClaimDeliveries(e.ctx, e.sys, 100, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				return ds
			}
			list := func(webhookID string) map[int64]store.Delivery {
				GinkgoHelper()
				ds, err := e.s.ListDeliveries(e.ctx, e.bau, webhookID, 100)
				Expect(err).NotTo(HaveOccurred())
				out := map[int64]store.Delivery{}
				for _, d := range ds {
					out[d.ID] = d
				}
				return out
			}

			It("redeliver a failed or delivered delivery as a new one, to the webhook as it is now; nothing else", func() {
				acme, pu := e.partner("Acme")
				mine := hook(acme.ID, "s", "run.finished")
				sibling := hook(acme.ID, "", "run.finished")
				enqueue(acme.ID, "run.finished", `{"event":"run.finished","runId":1}`)
				enqueue(acme.ID, "run.finished", `{"event":"run.finished","runId":2}`)
				ds := claim()
				Expect(ds).To(HaveLen(4))
				var delivered, failed, siblings int64
				for _, d := range ds {
					switch {
					case d.WebhookID == sibling.ID:
						siblings = d.ID
						Expect(e.s.RecordDelivery(e.ctx, e.sys, d.ID, store.DeliveryOutcome{Err: "webhook answered 410", Status: 410})).To(Succeed())
					case strings.Contains(string(d.Payload), `"runId":1`):
						delivered = d.ID
						Expect(e.s.RecordDelivery(e.ctx, e.sys, d.ID, store.DeliveryOutcome{Status: 204})).To(Succeed())
					default:
						failed = d.ID
						Expect(e.s.RecordDelivery(e.ctx, e.sys, d.ID, store.DeliveryOutcome{Err: "webhook answered 502",
							Status: 502, RetryAt: time.Now().Add(-time.Second)})).To(Succeed())
					}
				}
				Expect(list(mine.ID)[failed].ResponseStatus).To(Equal(502), "the status of the attempt, retried")
				Expect(list(mine.ID)[failed].State).To(Equal(store.DeliveryPending))
				By("a reset on the retry: no status any more, and no retry left")
				Expect(claim()).To(HaveLen(1))
				Expect(e.s.RecordDelivery(e.ctx, e.sys, failed, store.DeliveryOutcome{Err: "connection reset"})).To(Succeed())
				got := list(mine.ID)
				Expect(got[failed].State).To(Equal(store.DeliveryFailed))
				Expect(got[failed].ResponseStatus).To(BeZero())
				Expect(got[delivered].State).To(Equal(store.DeliveryDelivered))
				Expect(got[delivered].ResponseStatus).To(Equal(204))

				By("the webhook moves; the failed delivery is redelivered there, as a new delivery")
				_, _, err := e.s.UpdateWebhook(e.ctx, e.bau, mine.ID, store.WebhookChange{URL: "https://moved.example/hook",
					Events: []string{"run.finished"}})
				Expect(err).NotTo(HaveOccurred())
				again, err := e.s.RedeliverDelivery(e.ctx, e.bau, mine.ID, failed)
				Expect(err).NotTo(HaveOccurred())
				Expect(again.ID).To(BeNumerically(">", max(delivered, failed, siblings)))
				Expect(again.WebhookID).To(Equal(mine.ID))
				Expect(again.PartnerID).To(Equal(acme.ID))
				Expect(again.State).To(Equal(store.DeliveryPending))
				Expect(again.Attempts).To(BeZero())
				Expect(again.RedeliveryOf).To(Equal(failed))
				Expect(again.ResponseStatus).To(BeZero())
				Expect(again.Event).To(Equal("run.finished"))
				Expect(string(again.Payload)).To(Equal(`{"event":"run.finished","runId":2}`))
				Expect(again.NextAttemptAt).To(BeTemporally("<=", time.Now()))
				Expect(again.URL).To(Equal("https://moved.example/hook"))
				redelivered, err := e.s.RedeliverDelivery(e.ctx, e.admin, mine.ID, delivered)
				Expect(err).NotTo(HaveOccurred(), "a delivered one too: the receiver lost it")
				Expect(redelivered.RedeliveryOf).To(Equal(delivered))

				By("refusing a pending delivery, another webhook's, an unknown one, and a partner's user")
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, mine.ID, again.ID)
				Expect(err).To(MatchError(store.ErrConflict))
				Expect(err.Error()).To(ContainSubstring("pending"))
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, mine.ID, siblings)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, mine.ID, 999999)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, "no-such-hook", failed)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.RedeliverDelivery(e.ctx, pu, mine.ID, failed)
				Expect(err).To(MatchError(store.ErrForbidden))
				Expect(list(mine.ID)).To(HaveLen(4), "two deliveries and their two redeliveries")

				By("the redeliveries are claimed like any delivery, naming the ones they repeat, to the URL as it is now")
				ds = claim()
				Expect(ds).To(HaveLen(2))
				for _, d := range ds {
					Expect(d.URL).To(Equal("https://moved.example/hook"))
					Expect(d.HasSecret).To(BeTrue())
					Expect(d.RedeliveryOf).To(BeElementOf(failed, delivered))
					Expect(d.Attempts).To(Equal(1))
				}
			})

			It("rotate a webhook's secret: a new one made and sealed, returned once; an unsigned webhook becomes signed", func() {
				acme, pu := e.partner("Acme")
				signed := hook(acme.ID, "old-secret", "run.finished")
				unsigned := hook(acme.ID, "", "run.finished")
				secret, w, err := e.s.RotateWebhookSecret(e.ctx, e.bau, signed.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(secret).To(HavePrefix("glvwh_"))
				Expect(len(secret)).To(BeNumerically(">=", 40), "256 random bits")
				Expect(w.ID).To(Equal(signed.ID))
				Expect(w.HasSecret).To(BeTrue())
				Expect(w.URL).To(Equal(signed.URL))
				stored, err := e.s.WebhookSecret(e.ctx, e.sys, signed.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(secret))
				var raw []byte
				Expect(e.s.DB().QueryRowContext(e.ctx, `SELECT secret FROM webhooks WHERE id = $1`, signed.ID).Scan(&raw)).To(Succeed())
				Expect(string(raw)).NotTo(ContainSubstring(secret), "stored sealed")

				next, _, err := e.s.RotateWebhookSecret(e.ctx, e.admin, signed.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(next).NotTo(Equal(secret))
				stored, err = e.s.WebhookSecret(e.ctx, e.sys, signed.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(next))

				first, w, err := e.s.RotateWebhookSecret(e.ctx, e.bau, unsigned.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(w.HasSecret).To(BeTrue())
				stored, err = e.s.WebhookSecret(e.ctx, e.sys, unsigned.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(first))

				_, _, err = e.s.RotateWebhookSecret(e.ctx, pu, signed.ID)
				Expect(err).To(MatchError(store.ErrForbidden))
				_, _, err = e.s.RotateWebhookSecret(e.ctx, e.bau, "no-such-hook")
				Expect(err).To(MatchError(store.ErrNotFound))
				stored, err = e.s.WebhookSecret(e.ctx, e.sys, signed.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(stored).To(Equal(next), "a refused rotation changed nothing")

				By("a store without a key makes no secret it could not seal")
				keyless, err := store.Open(e.ctx, e.url)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(keyless.Close)
				_, _, err = keyless.RotateWebhookSecret(e.ctx, e.bau, signed.ID)
				Expect(err).To(MatchError(store.ErrNoKey))
			})

			It("cancel the pending deliveries of the events an edit unticks, even one whose attempt is out; the others stay", func() {
				acme, _ := e.partner("Acme")
				w := hook(acme.ID, "", "run.finished", "signoff.recorded")
				other := hook(acme.ID, "", "run.finished")
				enqueue(acme.ID, "run.finished", `{"n":1}`)
				ds := claim() // run.finished #1 for both webhooks: their attempts are out
				Expect(ds).To(HaveLen(2))
				var inFlight, othersInFlight int64
				for _, d := range ds {
					if d.WebhookID == w.ID {
						inFlight = d.ID
					} else {
						othersInFlight = d.ID
					}
				}
				enqueue(acme.ID, "signoff.recorded", `{"n":2}`)
				enqueue(acme.ID, "run.finished", `{"n":3}`)
				enqueue(acme.ID, "signoff.recorded", `{"n":4}`)
				Expect(list(w.ID)).To(HaveLen(4))
				Expect(list(w.ID)).To(HaveEach(HaveField("State", store.DeliveryPending)))

				_, cancelled, err := e.s.UpdateWebhook(e.ctx, e.bau, w.ID, store.WebhookChange{URL: w.URL,
					Events: []string{"signoff.recorded"}})
				Expect(err).NotTo(HaveOccurred())
				Expect(cancelled).To(Equal(2), "run.finished #1 (out) and #3")
				got := list(w.ID)
				states := map[string]store.DeliveryState{}
				for _, d := range got {
					states[string(d.Payload)] = d.State
				}
				Expect(states).To(Equal(map[string]store.DeliveryState{`{"n":1}`: store.DeliveryCancelled,
					`{"n":2}`: store.DeliveryPending, `{"n":3}`: store.DeliveryCancelled, `{"n":4}`: store.DeliveryPending}))
				Expect(list(other.ID)).To(HaveEach(HaveField("State", store.DeliveryPending)), "another webhook's stay")

				By("the attempt that was out ends: its outcome is not recorded, it stays cancelled")
				Expect(e.s.RecordDelivery(e.ctx, e.sys, inFlight, store.DeliveryOutcome{Status: 204})).To(MatchError(store.ErrConflict))
				Expect(list(w.ID)[inFlight].State).To(Equal(store.DeliveryCancelled))
				Expect(e.s.RecordDelivery(e.ctx, e.sys, othersInFlight, store.DeliveryOutcome{Status: 204})).To(Succeed())

				By("only the subscribed events are claimed; a cancelled delivery is not redelivered")
				ds = claim()
				payloads := []string{}
				for _, d := range ds {
					payloads = append(payloads, d.WebhookID+string(d.Payload))
				}
				Expect(payloads).To(ConsistOf(w.ID+`{"n":2}`, w.ID+`{"n":4}`, other.ID+`{"n":3}`))
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, w.ID, inFlight)
				Expect(err).To(MatchError(store.ErrConflict))
				Expect(err.Error()).To(ContainSubstring("cancelled"))

				By("a delivered delivery of an event no longer subscribed to is not redelivered either")
				_, _, err = e.s.UpdateWebhook(e.ctx, e.bau, other.ID, store.WebhookChange{URL: other.URL,
					Events: []string{"uat.completed"}})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.RedeliverDelivery(e.ctx, e.bau, other.ID, othersInFlight)
				Expect(err).To(MatchError(store.ErrConflict))
				Expect(err.Error()).To(ContainSubstring("no longer subscribes"))

				By("an edit that keeps every event cancels nothing; housekeeping prunes cancelled deliveries")
				_, cancelled, err = e.s.UpdateWebhook(e.ctx, e.bau, w.ID, store.WebhookChange{URL: "https://hooks.example/new",
					Events: []string{"signoff.recorded", "run.finished"}})
				Expect(err).NotTo(HaveOccurred())
				Expect(cancelled).To(BeZero())
				n, err := e.s.PruneDeliveries(e.ctx, e.sys, time.Now().Add(time.Hour))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(int64(4)), "w's two cancelled, other's delivered one and its run.finished #3, "+
					"cancelled by other's edit; the claimed ones of w are pending")
			})

			It("leave no pending delivery of an unticked event behind, however an edit and the event interleave", func() {
				acme, _ := e.partner("Acme")
				w := hook(acme.ID, "", "run.finished", "signoff.recorded")
				enqueue(acme.ID, "run.finished", `{}`)
				stop, done := make(chan struct{}), make(chan struct{})
				go func() {
					defer GinkgoRecover()
					defer close(done)
					for {
						select {
						case <-stop:
							return
						default:
							enqueue(acme.ID, "run.finished", `{}`)
						}
					}
				}()
				// Unticked and ticked again, then unticked for good while
				// events are still being enqueued.
				events := [][]string{{"signoff.recorded"}, {"run.finished", "signoff.recorded"}}
				for i := range 41 {
					_, _, err := e.s.UpdateWebhook(e.ctx, e.bau, w.ID, store.WebhookChange{URL: w.URL, Events: events[i%2]})
					Expect(err).NotTo(HaveOccurred())
				}
				close(stop)
				Eventually(done).WithTimeout(2 * time.Minute).Should(BeClosed())
				ds, err := e.s.ListDeliveries(e.ctx, e.bau, w.ID, 200)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(HaveEach(HaveField("State", store.DeliveryCancelled)))
			})

			It("keep their rows, states and ids through migration 7, and never hand out an id twice", func() {
				// A fresh database at version 6, with deliveries; the newest
				// (id 3) was pruned, so the sequence is past the last row.
				url, cleanup := b.fresh()
				DeferCleanup(cleanup)
				db, err := store.OpenAtVersion(e.ctx, url, 6)
				Expect(err).NotTo(HaveOccurred())
				_, err = db.ExecContext(e.ctx, `INSERT INTO webhooks (id, url, events, enabled, created_at)
					VALUES ('w1', 'https://hooks.example/w1', 'run.finished', TRUE, 1)`)
				Expect(err).NotTo(HaveOccurred())
				for _, st := range []string{"pending", "failed", "delivered"} {
					_, err = db.ExecContext(e.ctx, `INSERT INTO webhook_deliveries (webhook_id, event, payload, state,
						attempts, next_attempt_at, last_error, created_at) VALUES ('w1', 'run.finished', $1, $2, 1, 1, $3, 1)`,
						[]byte(`{"state":"`+st+`"}`), st, "was "+st)
					Expect(err).NotTo(HaveOccurred())
				}
				_, err = db.ExecContext(e.ctx, `DELETE FROM webhook_deliveries WHERE id = 3`)
				Expect(err).NotTo(HaveOccurred())
				Expect(db.Close()).To(Succeed())

				s, err := store.Open(e.ctx, url)
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(s.Close)
				v, err := s.SchemaVersion(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(v).To(BeNumerically(">=", 7))
				ds, err := s.ListDeliveries(e.ctx, e.sys, "w1", 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(HaveLen(2))
				Expect(ds[0].ID).To(Equal(int64(2)))
				Expect(ds[0].State).To(Equal(store.DeliveryFailed))
				Expect(ds[0].LastError).To(Equal("was failed"))
				Expect(string(ds[0].Payload)).To(Equal(`{"state":"failed"}`))
				Expect(ds[1].ID).To(Equal(int64(1)))
				Expect(ds[1].State).To(Equal(store.DeliveryPending))
				Expect(ds[1].ResponseStatus).To(BeZero())
				Expect(ds[1].RedeliveryOf).To(BeZero())

				again, err := s.RedeliverDelivery(e.ctx, e.sys, "w1", 2)
				Expect(err).NotTo(HaveOccurred())
				Expect(again.ID).To(Equal(int64(4)), "id 3 was handed out before the migration")
			})
		})
	}
})
