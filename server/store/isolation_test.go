package store_test

import (
	"reflect"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/server/store"
)

// Every Store method that takes a Principal is listed here, against partner
// B's rows, called as partner A's user; a reflection check below fails when
// a new method is added without an entry.
var _ = Describe("Isolation", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			var (
				e          *env
				a, bp      store.Partner
				ua, ub     store.Principal
				bRun       store.Run
				bUAT       store.UATSession
				bSchedule  store.Schedule
				bHook      store.Webhook
				bDelivery  int64
				bTokenID   string
				bChat      int64
				calls      map[string]func() error
				scopedList map[string]func() ([]string, error)
			)

			BeforeEach(func() {
				e = openEnv(b)
				a, ua = e.partner("Acme")
				bp, ub = e.partner("Globex")
				_, err := e.s.PutEnvironment(e.ctx, e.bau, bp.ID, store.EnvironmentInput{Name: store.Staging,
					BaseURL: "https://globex.example", Credentials: map[string]string{"X-Api-Key": "globex-secret"}})
				Expect(err).NotTo(HaveOccurred())
				bRun = e.publish(bp.ID, certifiedDoc())
				e.publish(a.ID, certifiedDoc())
				queued, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: bp.ID, APIs: []string{"collections"},
					Environment: store.Staging, Source: store.SourceWeb})
				Expect(err).NotTo(HaveOccurred())
				bUAT, err = e.s.OpenUATSession(e.ctx, ub, bp.ID, []string{"collections"})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.OpenUATSession(e.ctx, ua, a.ID, []string{"payouts"})
				Expect(err).NotTo(HaveOccurred())
				bSchedule, err = e.s.CreateSchedule(e.ctx, e.bau, bp.ID, store.ScheduleInput{Cron: "0 6 * * *",
					API: "collections", Environment: store.Production, Enabled: true})
				Expect(err).NotTo(HaveOccurred())
				bHook, err = e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: bp.ID,
					URL: "https://hooks.globex.example", Events: []string{"run.finished"}, Secret: "s"})
				Expect(err).NotTo(HaveOccurred())
				// B's delivery that failed: staff could redeliver it, A may not.
				_, _, err = e.s.EnqueueEvent(e.ctx, e.sys, store.OutboxEvent{Event: "run.finished", PartnerID: bp.ID,
					Payload: []byte(`{"event":"run.finished"}`)})
				Expect(err).NotTo(HaveOccurred())
				claimed, err := e.s.ClaimDeliveries(e.ctx, e.sys, 10, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(claimed).To(HaveLen(1))
				bDelivery = claimed[0].ID
				Expect(e.s.RecordDelivery(e.ctx, e.sys, bDelivery, store.DeliveryOutcome{Err: "webhook answered 500", Status: 500})).To(Succeed())
				_, tok, err := e.s.CreateAPIToken(e.ctx, ub, ub.UserID, "ci", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				bTokenID = tok.ID
				code, _, err := e.s.CreateLinkCode(e.ctx, ub, time.Minute)
				Expect(err).NotTo(HaveOccurred())
				bChat = 4242
				_, err = e.s.RedeemLinkCode(e.ctx, code, bChat)
				Expect(err).NotTo(HaveOccurred())
				Expect(e.s.Audit(e.ctx, ub, store.AuditEntry{PartnerID: bp.ID, Action: "run.start", Outcome: "ok"})).To(Succeed())

				ctx := e.ctx
				s := e.s
				sched := store.ScheduleInput{Cron: "0 7 * * *", API: "collections", Environment: store.Staging}
				calls = map[string]func() error{
					"GetUser":         func() error { _, err := s.GetUser(ctx, ua, ub.UserID); return err },
					"ListUsers":       func() error { _, err := s.ListUsers(ctx, ua, bp.ID); return err },
					"SetPassword":     func() error { return s.SetPassword(ctx, ua, ub.UserID, "a long new password") },
					"SetUserDisabled": func() error { return s.SetUserDisabled(ctx, ua, ub.UserID, true) },
					"CreateUser": func() error {
						_, err := s.CreateUser(ctx, ua, store.NewUser{Email: "x@globex.example", Role: store.RolePartner, PartnerID: bp.ID})
						return err
					},
					"CreateAPIToken":    func() error { _, _, err := s.CreateAPIToken(ctx, ua, ub.UserID, "x", time.Time{}); return err },
					"ListAPITokens":     func() error { _, err := s.ListAPITokens(ctx, ua, ub.UserID); return err },
					"RevokeAPIToken":    func() error { return s.RevokeAPIToken(ctx, ua, bTokenID) },
					"ListTelegramLinks": func() error { _, err := s.ListTelegramLinks(ctx, ua, ub.UserID); return err },
					"UnlinkTelegram":    func() error { return s.UnlinkTelegram(ctx, ua, bChat) },

					"CreatePartner": func() error { _, err := s.CreatePartner(ctx, ua, store.PartnerInput{Name: "Mine"}); return err },
					"GetPartner":    func() error { _, err := s.GetPartner(ctx, ua, bp.ID); return err },
					"UpdatePartner": func() error {
						_, err := s.UpdatePartner(ctx, ua, bp.ID, store.PartnerInput{Name: "Hacked"})
						return err
					},
					"SetPartnerStatus": func() error { return s.SetPartnerStatus(ctx, ua, bp.ID, store.StatusLive) },
					"SetPartnerAPIs":   func() error { return s.SetPartnerAPIs(ctx, ua, bp.ID, nil) },
					"ListPartnerAPIs":  func() error { _, err := s.ListPartnerAPIs(ctx, ua, bp.ID); return err },

					"PutEnvironment": func() error {
						_, err := s.PutEnvironment(ctx, ua, bp.ID, store.EnvironmentInput{Name: store.Staging, BaseURL: "https://evil.example"})
						return err
					},
					"GetEnvironment":     func() error { _, err := s.GetEnvironment(ctx, ua, bp.ID, store.Staging); return err },
					"ListEnvironments":   func() error { _, err := s.ListEnvironments(ctx, ua, bp.ID); return err },
					"DecryptCredentials": func() error { _, err := s.DecryptCredentials(ctx, ua, bp.ID, store.Staging); return err },
					"RotateSecrets":      func() error { _, err := s.RotateSecrets(ctx, ua); return err },

					"EnqueueRun": func() error {
						_, err := s.EnqueueRun(ctx, ua, store.NewRun{PartnerID: bp.ID, APIs: []string{"collections"},
							Environment: store.Staging, Source: store.SourceAPI})
						return err
					},
					"PublishRun": func() error {
						_, err := s.PublishRun(ctx, ua, store.Publication{PartnerID: bp.ID, Results: certifiedDoc()})
						return err
					},
					"CompleteRun": func() error {
						_, err := s.CompleteRun(ctx, ua, queued.ID, store.Completion{Results: certifiedDoc()})
						return err
					},
					"FailRun":          func() error { return s.FailRun(ctx, ua, queued.ID, exitcode.Internal, "x") },
					"ClaimRun":         func() error { _, _, err := s.ClaimRun(ctx, ua, "w"); return err },
					"InterruptRunning": func() error { _, err := s.InterruptRunning(ctx, ua, ""); return err },
					"PruneArtifacts":   func() error { _, err := s.PruneArtifacts(ctx, ua, time.Now()); return err },
					"ClaimDeliveries":  func() error { _, err := s.ClaimDeliveries(ctx, ua, 10, time.Minute); return err },
					"RecordDelivery":   func() error { return s.RecordDelivery(ctx, ua, 1, store.DeliveryOutcome{}) },
					"ListDeliveries":   func() error { _, err := s.ListDeliveries(ctx, ua, bHook.ID, 10); return err },
					"EnqueueEvent": func() error {
						_, _, err := s.EnqueueEvent(ctx, ua, store.OutboxEvent{Event: "run.finished", PartnerID: bp.ID, Payload: []byte("{}"),
							Chats: []store.ChatMessage{{ChatID: 1, Text: "verdict"}}})
						return err
					},
					"ClaimChatMessages": func() error { _, err := s.ClaimChatMessages(ctx, ua, 10, time.Minute); return err },
					"RecordChatMessage": func() error { return s.RecordChatMessage(ctx, ua, 1, store.DeliveryOutcome{}) },
					"ListChatMessages":  func() error { _, err := s.ListChatMessages(ctx, ua, 10); return err },
					"ListOutbox": func() error {
						_, _, err := s.ListOutbox(ctx, ua, store.OutboxFilter{Limit: 10})
						return err
					},
					"RetryChatMessage":  func() error { _, err := s.RetryChatMessage(ctx, ua, 1); return err },
					"PruneChatMessages": func() error { _, err := s.PruneChatMessages(ctx, ua, time.Now()); return err },
					"PruneDeliveries":   func() error { _, err := s.PruneDeliveries(ctx, ua, time.Now()); return err },
					"ClaimTick": func() error {
						_, err := s.ClaimTick(ctx, ua, store.ScheduleTick(bSchedule.ID), time.Now())
						return err
					},
					"GetRun":            func() error { _, err := s.GetRun(ctx, ua, bRun.ID); return err },
					"ListRuns":          func() error { _, err := s.ListRuns(ctx, ua, bp.ID, store.RunPage{}); return err },
					"RunResults":        func() error { _, err := s.RunResults(ctx, ua, bRun.ID); return err },
					"RunItems":          func() error { _, err := s.RunItems(ctx, ua, bRun.ID); return err },
					"ListArtifacts":     func() error { _, err := s.ListArtifacts(ctx, ua, bRun.ID); return err },
					"GetArtifact":       func() error { _, _, err := s.GetArtifact(ctx, ua, bRun.ID, "report.html"); return err },
					"ChecklistProgress": func() error { _, err := s.ChecklistProgress(ctx, ua, bp.ID, "collections"); return err },

					"OpenUATSession":           func() error { _, err := s.OpenUATSession(ctx, ua, bp.ID, []string{"collections"}); return err },
					"GetUATSession":            func() error { _, err := s.GetUATSession(ctx, ua, bUAT.ID); return err },
					"ListUATSessions":          func() error { _, err := s.ListUATSessions(ctx, ua, bp.ID); return err },
					"CloseUATSession":          func() error { _, err := s.CloseUATSession(ctx, ua, bUAT.ID, certifiedDoc()); return err },
					"UATResults":               func() error { _, err := s.UATResults(ctx, ua, bUAT.ID); return err },
					"InterruptOpenUATSessions": func() error { _, err := s.InterruptOpenUATSessions(ctx, ua, ""); return err },
					"OpenUATSessionWith": func() error {
						_, err := s.OpenUATSessionWith(ctx, ua, store.NewUATSession{PartnerID: bp.ID, APIs: []string{"collections"}})
						return err
					},
					"CompleteUATSession": func() error {
						_, err := s.CompleteUATSession(ctx, ua, bUAT.ID, store.UATCompletion{Results: certifiedDoc()})
						return err
					},
					"RecordUATGrade": func() error {
						_, err := s.RecordUATGrade(ctx, ua, bp.ID, store.UATCompletion{Results: certifiedDoc()})
						return err
					},
					"ListUATArtifacts": func() error { _, err := s.ListUATArtifacts(ctx, ua, bUAT.ID); return err },
					"GetUATArtifact":   func() error { _, _, err := s.GetUATArtifact(ctx, ua, bUAT.ID, "report.html"); return err },

					"RecordSignOff": func() error {
						_, err := s.RecordSignOff(ctx, ua, store.SignOffInput{RunID: bRun.ID, Decision: store.DecisionGo, EvidenceSHA256: sha("x")})
						return err
					},
					"ListSignOffs": func() error { _, err := s.ListSignOffs(ctx, ua, bp.ID); return err },

					"CreateSchedule":  func() error { _, err := s.CreateSchedule(ctx, ua, bp.ID, sched); return err },
					"GetSchedule":     func() error { _, err := s.GetSchedule(ctx, ua, bSchedule.ID); return err },
					"UpdateSchedule":  func() error { _, err := s.UpdateSchedule(ctx, ua, bSchedule.ID, sched); return err },
					"DeleteSchedule":  func() error { return s.DeleteSchedule(ctx, ua, bSchedule.ID) },
					"ListSchedules":   func() error { _, err := s.ListSchedules(ctx, ua, bp.ID); return err },
					"MarkScheduleRun": func() error { return s.MarkScheduleRun(ctx, ua, bSchedule.ID, bRun.ID) },

					"CreateWebhook": func() error {
						_, err := s.CreateWebhook(ctx, ua, store.WebhookInput{PartnerID: bp.ID, URL: "https://x.example", Events: []string{"e"}})
						return err
					},
					"ListWebhooks":  func() error { _, err := s.ListWebhooks(ctx, ua, bp.ID); return err },
					"DeleteWebhook": func() error { return s.DeleteWebhook(ctx, ua, bHook.ID) },
					"UpdateWebhook": func() error {
						_, _, err := s.UpdateWebhook(ctx, ua, bHook.ID, store.WebhookChange{URL: "https://x.example", Events: []string{"e"}})
						return err
					},
					"WebhookSecret":       func() error { _, err := s.WebhookSecret(ctx, ua, bHook.ID); return err },
					"RotateWebhookSecret": func() error { _, _, err := s.RotateWebhookSecret(ctx, ua, bHook.ID); return err },
					"RedeliverDelivery":   func() error { _, err := s.RedeliverDelivery(ctx, ua, bHook.ID, bDelivery); return err },

					"ListAudit": func() error { _, err := s.ListAudit(ctx, ua, store.AuditFilter{PartnerID: bp.ID}); return err },
				}
				// Methods that list without a partner argument: they must return
				// partner A's rows only (ids of the partners the rows belong to).
				scopedList = map[string]func() ([]string, error){
					"ListPartners": func() ([]string, error) {
						ps, err := s.ListPartners(ctx, ua)
						var ids []string
						for _, p := range ps {
							ids = append(ids, p.ID)
						}
						return ids, err
					},
					"OpenUATAPIs": func() ([]string, error) {
						open, err := s.OpenUATAPIs(ctx, ua)
						var ids []string
						for id := range open {
							ids = append(ids, id)
						}
						return ids, err
					},
					"PartnersOverview": func() ([]string, error) {
						ov, err := s.PartnersOverview(ctx, ua)
						var ids []string
						for _, o := range ov {
							ids = append(ids, o.Partner.ID)
						}
						return ids, err
					},
				}
			})

			It("covers every Store method that takes a principal", func() {
				// Acting on yourself only, never on another partner's rows.
				own := map[string]string{
					"Audit":          "appends an entry as the principal; a denied attempt on another partner is recorded too",
					"CreateLinkCode": "links the principal's own user",
				}
				pt := reflect.TypeOf(store.Principal{})
				var missing []string
				st := reflect.TypeOf(&store.Store{})
				for i := range st.NumMethod() {
					m := st.Method(i)
					takes := false
					for j := 1; j < m.Type.NumIn(); j++ {
						takes = takes || m.Type.In(j) == pt
					}
					_, c := calls[m.Name]
					_, l := scopedList[m.Name]
					_, o := own[m.Name]
					if takes && !c && !l && !o {
						missing = append(missing, m.Name)
					}
				}
				sort.Strings(missing)
				Expect(missing).To(BeEmpty(), "add these methods to the isolation table")
			})

			It("refuses partner A's user every read and write of partner B's rows", func() {
				names := make([]string, 0, len(calls))
				for n := range calls {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					err := calls[n]()
					Expect(err).To(Or(MatchError(store.ErrNotFound), MatchError(store.ErrForbidden)), n)
				}
				for n, list := range scopedList {
					ids, err := list()
					Expect(err).NotTo(HaveOccurred(), n)
					Expect(ids).To(Equal([]string{a.ID}), n)
				}

				// Nothing of B's changed.
				got, err := e.s.GetPartner(e.ctx, e.bau, bp.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Name).To(Equal("Globex"))
				Expect(got.Status).To(Equal(store.StatusNotStarted))
				runs, err := e.s.ListRuns(e.ctx, e.bau, bp.ID, store.RunPage{})
				Expect(err).NotTo(HaveOccurred())
				Expect(runs).To(HaveLen(2))
				Expect(runs[0].State).To(Equal(store.RunQueued))
				creds, err := e.s.DecryptCredentials(e.ctx, e.sys, bp.ID, store.Staging)
				Expect(err).NotTo(HaveOccurred())
				Expect(creds).To(HaveKeyWithValue("X-Api-Key", "globex-secret"))
				scheds, err := e.s.ListSchedules(e.ctx, e.bau, bp.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(scheds).To(HaveLen(1))
				Expect(scheds[0].Cron).To(Equal("0 6 * * *"))
				_, err = e.s.ChatUser(e.ctx, bChat)
				Expect(err).NotTo(HaveOccurred())
				u, err := e.s.GetUser(e.ctx, e.bau, ub.UserID)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Disabled).To(BeFalse())
				hooks, err := e.s.ListWebhooks(e.ctx, e.bau, bp.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(hooks).To(HaveLen(1))
				Expect(hooks[0].URL).To(Equal("https://hooks.globex.example"))
				Expect(hooks[0].Events).To(Equal([]string{"run.finished"}))
				secret, err := e.s.WebhookSecret(e.ctx, e.sys, bHook.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(secret).To(Equal("s"), "B's webhook secret is the one it had")
				ds, err := e.s.ListDeliveries(e.ctx, e.bau, bHook.ID, 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(ConsistOf(And(HaveField("ID", bDelivery), HaveField("State", store.DeliveryFailed))),
					"no redelivery of B's was queued")
			})

			It("reads nothing of another partner's that looks different from a missing row", func() {
				_, err := e.s.GetRun(e.ctx, ua, bRun.ID)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.GetRun(e.ctx, ua, 999999)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.GetPartner(e.ctx, ua, bp.ID)
				Expect(err).To(MatchError(store.ErrNotFound))
			})

			It("lets a partner's user act on its own partner but not manage it", func() {
				_, err := e.s.EnqueueRun(e.ctx, ua, store.NewRun{PartnerID: a.ID, APIs: []string{"collections"},
					Environment: store.Staging, Source: store.SourceWeb})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.PutEnvironment(e.ctx, ua, a.ID, store.EnvironmentInput{Name: store.Staging, BaseURL: "https://a.example"})
				Expect(err).To(MatchError(store.ErrForbidden))
				_, err = e.s.DecryptCredentials(e.ctx, ua, a.ID, store.Staging)
				Expect(err).To(MatchError(store.ErrForbidden))
				runs, err := e.s.ListRuns(e.ctx, ua, a.ID, store.RunPage{})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.RecordSignOff(e.ctx, ua, store.SignOffInput{RunID: runs[len(runs)-1].ID,
					Decision: store.DecisionGo, EvidenceSHA256: sha("x")})
				Expect(err).To(MatchError(store.ErrForbidden))
				var zero store.Principal
				_, err = e.s.GetPartner(e.ctx, zero, a.ID)
				Expect(err).To(MatchError(store.ErrNotFound))
				_, err = e.s.ListPartners(e.ctx, zero)
				Expect(err).To(MatchError(store.ErrForbidden))
			})
		})
	}
})
