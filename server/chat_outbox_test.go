package server_test

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram/botapitest"
)

// Telegram notifications go through the store's outbox: the replica where
// the event happens queues them, the replica that runs the bot sends them.
var _ = Describe("Telegram notifications across replicas", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			var (
				t    *tgHub
				acme server.PartnerJSON
				bau  botapitest.Chat
			)
			alice := botapitest.PrivateChat(7001)
			bau = botapitest.PrivateChat(7009)
			// Retries come quickly in these specs; the lease is long unless
			// a spec shortens it, so a live sender always records first.
			quick := func(c *server.Config) {
				c.TelegramBackoff = []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}
			}

			BeforeEach(func() {
				t = startTelegramHub(backend, quick)
				acme = t.partner("Acme Pay", "collections")
				t.link(alice, acme.ID)
				staffCode, _, err := t.st.CreateLinkCode(t.ctx, store.PrincipalOf(t.admin), time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(t.say(bau, "/start "+staffCode)).To(HavePrefix("Linked"))
				t.srv.Stop()
				t.http.Close()
			})

			// sentTo is what the Bot API server received for chat, text or
			// caption matching m.
			sentTo := func(chat botapitest.Chat, m types.GomegaMatcher) func() []botapitest.Sent {
				return func() []botapitest.Sent {
					var out []botapitest.Sent
					for _, s := range t.api.SentTo(chat.ID) {
						if ok, _ := m.Match(s.Text); ok {
							out = append(out, s)
						}
					}
					return out
				}
			}
			queued := func() []store.QueuedChatMessage {
				GinkgoHelper()
				list, err := t.st.ListChatMessages(t.ctx, store.System(), 100)
				Expect(err).NotTo(HaveOccurred())
				return list
			}
			// drained waits until the outbox holds nothing: every message
			// was sent (and its row deleted), so none can be sent again.
			drained := func(logs ...*replica) {
				GinkgoHelper()
				Eventually(queued).WithTimeout(2*time.Minute).WithPolling(50*time.Millisecond).Should(BeEmpty(), func() string {
					var b strings.Builder
					for _, r := range logs {
						b.WriteString(r.log.String())
					}
					return b.String()
				})
			}
			finished := func(st *store.Store, id int64) store.Run {
				GinkgoHelper()
				var run store.Run
				Eventually(func() bool {
					var err error
					run, err = st.GetRun(t.ctx, store.System(), id)
					Expect(err).NotTo(HaveOccurred())
					return isFinal(run.State)
				}).WithTimeout(3 * time.Minute).WithPolling(50 * time.Millisecond).Should(BeTrue())
				return run
			}

			It("a run that finishes on replica b, which runs no bot, reaches the partner's chat through replica a's bot, once", func() {
				bURL, b := t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				t.at(bURL)

				By("the run is carried out by b alone: a, with the bot, is not running yet")
				id := t.startRun(t.adminTok, acme.ID, nil)
				run := finished(b.st, id)
				Expect(run.Certified()).To(BeTrue(), run.Failure)
				text := fmt.Sprintf("Run %d (collections) finished: CERTIFIED", id)
				Eventually(queued).WithTimeout(time.Minute).Should(ContainElements(
					And(HaveField("ChatID", alice.ID), HaveField("Text", HavePrefix(text)), HaveField("Doc", BeNil())),
					And(HaveField("ChatID", alice.ID), HaveField("Doc", HaveField("Name", fmt.Sprintf("golive-run-%d.html", id)))),
					And(HaveField("ChatID", bau.ID), HaveField("Text", HavePrefix("["+acme.ID+"] "+text))),
				), "b queued the chats' messages with the run's webhooks")
				for _, m := range queued() {
					Expect(m.State).To(Equal(store.ChatMessagePending))
					Expect(m.Attempts).To(BeZero(), "b runs no bot and claims none")
				}
				Expect(t.api.SentTo(alice.ID)).NotTo(ContainElement(HaveField("Text", HavePrefix(text))))

				By("replica a starts with the bot and sends them: the verdict, then the report, once each")
				_, a := t.servedReplica("a", quick)
				drained(a, b)
				got := t.api.SentTo(alice.ID)
				Expect(sentTo(alice, HavePrefix(text))()).To(HaveLen(1))
				reports := sentTo(alice, Equal(fmt.Sprintf("Report %d", id)))()
				Expect(reports).To(HaveLen(1))
				Expect(reports[0].Document).NotTo(BeNil())
				Expect(reports[0].Document.Name).To(Equal(fmt.Sprintf("golive-run-%d.html", id)))
				Expect(string(reports[0].Document.Data)).To(ContainSubstring("<html"))
				verdictAt := -1
				for i, s := range got {
					if strings.HasPrefix(s.Text, text) {
						verdictAt = i
					}
					if s.Document != nil {
						Expect(verdictAt).To(BeNumerically(">=", 0), "the verdict comes before the report")
					}
				}
				Expect(sentTo(bau, HavePrefix("["+acme.ID+"] "+text))()).To(HaveLen(1))
				Expect(a.log.String()).To(ContainSubstring(`msg="telegram message sent"`))
				Expect(b.log.String()).NotTo(ContainSubstring("telegram message"))
			})

			It("a UAT session that ends at its deadline on replica b reaches the chat through a's bot, with its report, once", func() {
				aURL, a := t.servedReplica("a", quick)
				bURL, b := t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				t.at(bURL)
				o := t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}, "deadline": "2s"})
				id := o.Session.ID
				u, err := t.st.GetUATSession(t.ctx, store.System(), id)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Owner).To(Equal("b"))
				t.at(aURL)

				text := "UAT session " + id + " (collections) completed"
				Eventually(sentTo(alice, HavePrefix(text))).WithTimeout(2*time.Minute).WithPolling(20*time.Millisecond).
					Should(HaveLen(1), func() string { return a.log.String() + b.log.String() })
				Eventually(sentTo(alice, Equal("Report "+id))).WithTimeout(time.Minute).WithPolling(20 * time.Millisecond).Should(
					ConsistOf(HaveField("Document", And(Not(BeNil()), HaveField("Name", "golive-uat-"+id+".html")))))
				drained(a, b)
				u, err = t.st.GetUATSession(t.ctx, store.System(), id)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.EndReason).To(Equal("the deadline passed"))
				Expect(sentTo(alice, HavePrefix(text))()).To(HaveLen(1))
				Expect(sentTo(alice, Equal("Report "+id))()).To(HaveLen(1))
				Expect(sentTo(bau, HavePrefix("["+acme.ID+"] "+text))()).To(HaveLen(1))
				Expect(sentTo(bau, Equal("Report "+id))()).To(BeEmpty(), "staff chats get the text only")
			})

			It("retries a message the Bot API failed, and sends it once", func() {
				bURL, b := t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				_, a := t.servedReplica("a", quick)
				t.at(bURL)
				before := t.api.Calls("sendMessage")
				t.api.FailNext(2, botapitest.Fault{Kind: botapitest.ServerError, Status: 502, Method: "sendMessage"})
				t.api.FailNext(1, botapitest.Fault{Kind: botapitest.Unreachable, Method: "sendDocument"})
				id := t.startRun(t.adminTok, acme.ID, nil)
				finished(b.st, id)
				text := fmt.Sprintf("Run %d (collections) finished", id)
				for _, want := range []func() []botapitest.Sent{sentTo(alice, HavePrefix(text)),
					sentTo(bau, HavePrefix("["+acme.ID+"] "+text)), sentTo(alice, Equal(fmt.Sprintf("Report %d", id)))} {
					Eventually(want).WithTimeout(2*time.Minute).WithPolling(20*time.Millisecond).ShouldNot(BeEmpty(),
						func() string { return a.log.String() })
				}
				drained(a, b)
				Expect(sentTo(alice, HavePrefix(text))()).To(HaveLen(1))
				Expect(sentTo(bau, HavePrefix("["+acme.ID+"] "+text))()).To(HaveLen(1))
				Expect(sentTo(alice, Equal(fmt.Sprintf("Report %d", id)))()).To(HaveLen(1))
				Expect(t.api.Calls("sendMessage")-before).To(Equal(2+2), "two failed, then alice's and bau's")
				Expect(a.log.String()).To(And(ContainSubstring(`msg="telegram message not sent"`), ContainSubstring("retry=true"),
					ContainSubstring("attempt=2")))
				Expect(a.log.String()).NotTo(ContainSubstring(tgToken))
			})

			It("gives a message up after its attempts, or at once when the Bot API refuses it for good", func() {
				bURL, b := t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				_, a := t.servedReplica("a", quick)
				t.at(bURL)
				// Every attempt at both chats' verdicts (one more than the
				// three waits each), and the report refused as a blocked bot is.
				t.api.FailNext(8, botapitest.Fault{Kind: botapitest.ServerError, Status: 500, Method: "sendMessage"})
				t.api.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 403, Method: "sendDocument"})
				id := t.startRun(t.adminTok, acme.ID, nil)
				finished(b.st, id)
				failed := func() []store.QueuedChatMessage {
					var out []store.QueuedChatMessage
					for _, m := range queued() {
						if m.State == store.ChatMessageFailed {
							out = append(out, m)
						}
					}
					return out
				}
				Eventually(failed).WithTimeout(2*time.Minute).WithPolling(50*time.Millisecond).Should(HaveLen(3),
					func() string { return a.log.String() })
				Expect(queued()).To(HaveLen(3), "nothing else is left pending")
				Expect(failed()).To(ConsistOf(
					And(HaveField("ChatID", alice.ID), HaveField("Doc", BeNil()), HaveField("Attempts", 4),
						HaveField("LastError", ContainSubstring("sendMessage"))),
					And(HaveField("ChatID", bau.ID), HaveField("Attempts", 4)),
					And(HaveField("ChatID", alice.ID), HaveField("Doc", Not(BeNil())), HaveField("Attempts", 1),
						HaveField("LastError", ContainSubstring("sendDocument")))))
				for _, m := range failed() {
					Expect(m.LastError).NotTo(ContainSubstring(tgToken))
				}
				Expect(t.api.SentTo(alice.ID)).NotTo(ContainElement(HaveField("Text", HavePrefix(fmt.Sprintf("Run %d", id)))))
			})

			It("leaves a message claimed by a replica that died to another once the lease ends, and it is sent once", func() {
				bURL, b := t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				t.at(bURL)
				id := t.startRun(t.adminTok, acme.ID, nil)
				finished(b.st, id)
				text := fmt.Sprintf("Run %d (collections) finished", id)
				Eventually(queued).WithTimeout(time.Minute).Should(ContainElement(HaveField("Doc", Not(BeNil()))),
					"b queues the messages once the run is stored")

				By("a replica with the bot claims the chat's first message and dies before it sends it")
				// Its own store handle, claiming as a sender does; it never
				// records an outcome.
				kr, err := store.NewKeyring(t.key)
				Expect(err).NotTo(HaveOccurred())
				dead, err := store.Open(t.ctx, t.dbURL, store.WithKeyring(kr))
				Expect(err).NotTo(HaveOccurred())
				claimed, err := dead.ClaimChatMessages(t.ctx, store.System(), 10, 3*time.Second)
				Expect(err).NotTo(HaveOccurred())
				Expect(claimed).NotTo(BeEmpty())
				var first store.QueuedChatMessage
				for _, m := range claimed {
					Expect(m.Attempts).To(Equal(1))
					if m.ChatID == alice.ID {
						first = m
					}
				}
				Expect(first.Text).To(HavePrefix(text))
				Expect(claimed).NotTo(ContainElement(HaveField("Doc", Not(BeNil()))),
					"the report waits behind the chat's first message")
				Expect(dead.Close()).To(Succeed())

				By("replica a takes it again after the lease: sent once, on its second attempt, then the report")
				_, a := t.servedReplica("a", quick)
				drained(a, b)
				Expect(sentTo(alice, HavePrefix(text))()).To(HaveLen(1))
				Expect(sentTo(alice, Equal(fmt.Sprintf("Report %d", id)))()).To(HaveLen(1))
				Expect(a.log.String()).To(MatchRegexp(`msg="telegram message sent" message=%d chat=%d event=run.finished attempt=2`,
					first.ID, alice.ID))
			})
		})
	}
})
