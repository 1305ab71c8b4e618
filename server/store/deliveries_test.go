package store_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("the outboxes across partners (the Deliveries page)", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			var e *env
			BeforeEach(func() { e = openEnv(b) })

			It("lists failed and pending webhook deliveries and Telegram messages of every partner, newest first, page by page; retries a failed message", func() {
				acme, acmeUser := e.partner("Acme")
				bravo, _ := e.partner("Bravo")
				acmeHook, err := e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: acme.ID,
					URL: "https://hooks.example/acme", Events: []string{"run.finished"}})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: bravo.ID,
					URL: "https://hooks.example/bravo", Events: []string{"run.finished"}})
				Expect(err).NotTo(HaveOccurred())
				for _, pid := range []string{acme.ID, bravo.ID} {
					_, _, err := e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished", PartnerID: pid,
						Payload: []byte(`{"event":"run.finished"}`), Chats: []store.ChatMessage{{ChatID: 7001, Text: "Run finished"}}})
					Expect(err).NotTo(HaveOccurred())
				}

				By("every row pending: four items, two of each outbox, each event's Telegram message before its delivery")
				all, more, err := e.s.ListOutbox(e.ctx, e.bau, store.OutboxFilter{Limit: 100})
				Expect(err).NotTo(HaveOccurred())
				Expect(more).To(BeFalse())
				Expect(all).To(HaveLen(4))
				Expect(all[0]).To(And(HaveField("Kind", store.OutboxTelegram), HaveField("PartnerID", bravo.ID),
					HaveField("PartnerName", "Bravo"), HaveField("ChatID", int64(7001)), HaveField("State", "pending")))
				Expect(all[1]).To(And(HaveField("Kind", store.OutboxWebhook), HaveField("PartnerID", bravo.ID),
					HaveField("URL", "https://hooks.example/bravo")))
				Expect(all[3]).To(And(HaveField("Kind", store.OutboxWebhook), HaveField("WebhookID", acmeHook.ID),
					HaveField("WebhookPartnerID", acme.ID)))
				for _, it := range all {
					Expect(it.NextAttemptAt.IsZero()).To(BeFalse(), "a pending item has its next attempt")
				}

				By("one page at a time, the cursor of a page's last item giving the next")
				var paged []store.OutboxItem
				var before *store.OutboxCursor
				for range 4 {
					page, more, err := e.s.ListOutbox(e.ctx, e.bau, store.OutboxFilter{Limit: 1, Before: before})
					Expect(err).NotTo(HaveOccurred())
					Expect(page).To(HaveLen(1))
					paged = append(paged, page...)
					c, err := store.ParseOutboxCursor(page[0].Cursor().String())
					Expect(err).NotTo(HaveOccurred())
					before = &c
					Expect(more).To(Equal(len(paged) < 4))
				}
				Expect(paged).To(Equal(all))

				By("a message given up and a delivery given up: failed, with their errors")
				msgs, err := e.s.ClaimChatMessages(e.ctx, e.sys, 10, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(msgs).To(HaveLen(1), "one chat: its messages one at a time")
				Expect(e.s.RecordChatMessage(e.ctx, e.sys, msgs[0].ID, store.DeliveryOutcome{Err: "sendMessage: 502"})).To(Succeed())
				ds, err := e.s.ClaimDeliveries(e.ctx, e.sys, 10, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(HaveLen(2))
				Expect(e.s.RecordDelivery(e.ctx, e.sys, ds[0].ID, store.DeliveryOutcome{Err: "webhook answered 500", Status: 500})).To(Succeed())
				Expect(e.s.RecordDelivery(e.ctx, e.sys, ds[1].ID, store.DeliveryOutcome{Status: 204})).To(Succeed())
				failed, _, err := e.s.ListOutbox(e.ctx, e.bau, store.OutboxFilter{State: "failed", Limit: 10})
				Expect(err).NotTo(HaveOccurred())
				Expect(failed).To(ConsistOf(
					And(HaveField("Kind", store.OutboxTelegram), HaveField("ID", msgs[0].ID), HaveField("Attempts", 1),
						HaveField("LastError", "sendMessage: 502"), HaveField("NextAttemptAt", time.Time{})),
					And(HaveField("Kind", store.OutboxWebhook), HaveField("ID", ds[0].ID), HaveField("ResponseStatus", 500),
						HaveField("LastError", "webhook answered 500"))))
				pending, _, err := e.s.ListOutbox(e.ctx, e.bau, store.OutboxFilter{State: "pending", Limit: 10})
				Expect(err).NotTo(HaveOccurred())
				Expect(pending).To(ConsistOf(HaveField("Kind", store.OutboxTelegram)), "the delivered one is not listed")

				By("retrying the failed message: pending, due now, attempts reset, error cleared")
				m, err := e.s.RetryChatMessage(e.ctx, e.bau, msgs[0].ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(m.State).To(Equal(store.ChatMessagePending))
				Expect(m.Attempts).To(BeZero())
				Expect(m.LastError).To(BeEmpty())
				again, err := e.s.ClaimChatMessages(e.ctx, e.sys, 10, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(again).To(ConsistOf(HaveField("ID", msgs[0].ID)), "claimed again, before the chat's later message")

				By("refusing what cannot be retried, and anyone but staff")
				_, err = e.s.RetryChatMessage(e.ctx, e.bau, msgs[0].ID)
				Expect(err).To(MatchError(store.ErrConflict), "still pending")
				_, err = e.s.RetryChatMessage(e.ctx, e.bau, 999999)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.RetryChatMessage(e.ctx, acmeUser, msgs[0].ID)
				Expect(err).To(MatchError(store.ErrForbidden))
				_, _, err = e.s.ListOutbox(e.ctx, acmeUser, store.OutboxFilter{Limit: 10})
				Expect(err).To(MatchError(store.ErrForbidden))
				_, _, err = e.s.ListOutbox(e.ctx, e.bau, store.OutboxFilter{State: "delivered", Limit: 10})
				Expect(err).To(MatchError(store.ErrInvalid))
				for _, bad := range []string{"", "1.x.2", "a.w.1", "1.w.0", "1.w", "1.w.2.3"} {
					_, err = store.ParseOutboxCursor(bad)
					Expect(err).To(MatchError(store.ErrInvalid), bad)
				}
			})
		})
	}
})
