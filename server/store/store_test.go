package store_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("Open", func() {
	It("picks the backend from the URL", func() {
		ctx := GinkgoT().Context()
		s, err := store.Open(ctx, "sqlite:"+GinkgoT().TempDir()+"/a.db")
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Dialect()).To(Equal("sqlite"))
		Expect(s.Close()).To(Succeed())

		s, err = store.Open(ctx, GinkgoT().TempDir()+"/b.db")
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Dialect()).To(Equal("sqlite"))
		Expect(s.Close()).To(Succeed())

		_, err = store.Open(ctx, "mysql://nope")
		Expect(err).To(MatchError(store.ErrInvalid))
	})

	It("reads keys from the environment and refuses malformed ones without echoing them", func() {
		key := base64.StdEncoding.EncodeToString(testKey())
		old := base64.RawURLEncoding.EncodeToString(testKey())
		kr, err := store.KeyringFromEnv(func(k string) string {
			return map[string]string{store.EnvSecretKey: key, store.EnvPreviousKeys: old}[k]
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(kr.CurrentKeyID()).To(HaveLen(16))

		kr, err = store.KeyringFromEnv(func(string) string { return "" })
		Expect(err).NotTo(HaveOccurred())
		Expect(kr).To(BeNil())

		_, err = store.KeyringFromEnv(func(k string) string {
			if k == store.EnvSecretKey {
				return "c2hvcnQta2V5LXNlY3JldA==" // 16 bytes
			}
			return ""
		})
		Expect(err).To(MatchError(store.ErrInvalid))
		Expect(err.Error()).NotTo(ContainSubstring("c2hvcnQta2V5LXNlY3JldA"))
	})

	It("derives keys for a purpose, the current key's first, never the keys themselves", func() {
		cur, old := testKey(), testKey()
		kr, err := store.NewKeyring(cur, old)
		Expect(err).NotTo(HaveOccurred())
		fwd := kr.DeriveKeys("golive replica forward v1")
		Expect(fwd).To(HaveLen(2))
		want, err := hkdf.Key(sha256.New, cur, nil, "golive replica forward v1", 32)
		Expect(err).NotTo(HaveOccurred())
		Expect(fwd[0]).To(Equal(want), "HKDF-SHA256 of the current key, no salt, the purpose as info")
		Expect(fwd[0]).NotTo(Equal(cur))
		Expect(fwd[1]).NotTo(Equal(old))
		Expect(kr.DeriveKeys("another purpose")[0]).NotTo(Equal(fwd[0]))
		again, err := store.NewKeyring(cur)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.DeriveKeys("golive replica forward v1")).To(Equal(fwd[:1]), "the same key derives the same, in any process")
		var none *store.Keyring
		Expect(none.DeriveKeys("golive replica forward v1")).To(BeEmpty())
	})
})

var _ = Describe("Store", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			var e *env
			BeforeEach(func() { e = openEnv(b) })

			It("applies migrations once: reopening is a no-op", func() {
				v, err := e.s.SchemaVersion(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(v).To(BeNumerically(">=", 1))
				pt, _ := e.partner("Acme")
				for range 2 {
					s2, err := store.Open(e.ctx, e.url)
					Expect(err).NotTo(HaveOccurred())
					v2, err := s2.SchemaVersion(e.ctx)
					Expect(err).NotTo(HaveOccurred())
					Expect(v2).To(Equal(v))
					got, err := s2.GetPartner(e.ctx, e.bau, pt.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(got.Name).To(Equal("Acme"))
					Expect(s2.Close()).To(Succeed())
				}
			})

			It("bootstraps the first admin once", func() {
				_, created, err := e.s.BootstrapAdmin(e.ctx, "other@bau.example", "another long password")
				Expect(err).NotTo(HaveOccurred())
				Expect(created).To(BeFalse())
				u, err := e.s.Authenticate(e.ctx, "ADMIN@bau.example", "correct horse battery")
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Role).To(Equal(store.RoleAdmin))
				_, err = e.s.Authenticate(e.ctx, "admin@bau.example", "wrong password!!")
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				_, err = e.s.Authenticate(e.ctx, "nobody@bau.example", "correct horse battery")
				Expect(err).To(MatchError(store.ErrUnauthenticated))
			})

			It("creates, reads, updates partners; names are unique ignoring case", func() {
				pt, err := e.s.CreatePartner(e.ctx, e.bau, store.PartnerInput{Name: "Acme Pay",
					Contacts: []store.Contact{{Name: "Ann", Email: "ann@acme.example"}}})
				Expect(err).NotTo(HaveOccurred())
				Expect(pt.Status).To(Equal(store.StatusNotStarted))
				_, err = e.s.CreatePartner(e.ctx, e.bau, store.PartnerInput{Name: " acme  PAY "})
				Expect(err).To(MatchError(store.ErrConflict))
				// The message is the store's own: no constraint, table or
				// driver code, which callers would show to the person.
				Expect(err.Error()).To(Equal("store: create partner: conflict"))

				got, err := e.s.GetPartner(e.ctx, e.bau, pt.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Contacts).To(Equal(pt.Contacts))
				Expect(got.CreatedAt).To(Equal(pt.CreatedAt))

				up, err := e.s.UpdatePartner(e.ctx, e.bau, pt.ID, store.PartnerInput{Name: "Acme Payments", Status: store.StatusSIT})
				Expect(err).NotTo(HaveOccurred())
				Expect(up.Name).To(Equal("Acme Payments"))
				Expect(up.Status).To(Equal(store.StatusSIT))
				Expect(e.s.SetPartnerStatus(e.ctx, e.bau, pt.ID, "bogus")).To(MatchError(store.ErrInvalid))

				Expect(e.s.SetPartnerAPIs(e.ctx, e.bau, pt.ID, []string{"payouts", "collections", "payouts"})).To(Succeed())
				apis, err := e.s.ListPartnerAPIs(e.ctx, e.bau, pt.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(apis).To(Equal([]string{"collections", "payouts"}))

				_, err = e.s.GetPartner(e.ctx, e.bau, "missing")
				Expect(err).To(MatchError(store.ErrNotFound))
				all, err := e.s.ListPartners(e.ctx, e.bau)
				Expect(err).NotTo(HaveOccurred())
				Expect(all).To(HaveLen(1))
			})

			It("issues tokens shown once, stored hashed, revocable", func() {
				_, pu := e.partner("Acme")
				tok, info, err := e.s.CreateAPIToken(e.ctx, pu, pu.UserID, "ci", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				u, err := e.s.AuthenticateToken(e.ctx, tok)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.ID).To(Equal(pu.UserID))

				var n int
				Expect(e.s.DB().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1`, tok).Scan(&n)).To(Succeed())
				Expect(n).To(BeZero(), "the token itself is never stored")

				By("reading the token's user without counting a use (TokenUser), and counting one (AuthenticateToken)")
				late := store.WithClock(func() time.Time { return time.Now().Add(time.Hour) })
				s2, err := store.Open(e.ctx, e.url, late)
				Expect(err).NotTo(HaveOccurred())
				defer s2.Close()
				lastUsed := func() time.Time {
					list, err := e.s.ListAPITokens(e.ctx, pu, pu.UserID)
					Expect(err).NotTo(HaveOccurred())
					Expect(list).To(HaveLen(1))
					return list[0].LastUsedAt
				}
				used := lastUsed()
				Expect(used.IsZero()).To(BeFalse())
				u, err = s2.TokenUser(e.ctx, tok)
				Expect(err).NotTo(HaveOccurred())
				Expect(u).To(Equal(store.User{ID: pu.UserID, Email: u.Email, Name: u.Name, Role: store.RolePartner,
					PartnerID: pu.PartnerID, CreatedAt: u.CreatedAt}))
				Expect(lastUsed()).To(Equal(used), "a re-check is not a use")
				_, err = s2.TokenUser(e.ctx, "glv_not-a-token")
				Expect(err).To(MatchError(store.ErrUnauthenticated))

				Expect(e.s.RevokeAPIToken(e.ctx, pu, info.ID)).To(Succeed())
				_, err = e.s.AuthenticateToken(e.ctx, tok)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				_, err = e.s.TokenUser(e.ctx, tok)
				Expect(err).To(MatchError(store.ErrUnauthenticated))

				By("refusing an expired token in both")
				soon, _, err := e.s.CreateAPIToken(e.ctx, pu, pu.UserID, "soon", time.Now().Add(time.Minute))
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.TokenUser(e.ctx, soon)
				Expect(err).NotTo(HaveOccurred())
				_, err = s2.TokenUser(e.ctx, soon)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				_, err = s2.AuthenticateToken(e.ctx, soon)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				list, err := e.s.ListAPITokens(e.ctx, pu, pu.UserID)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(HaveLen(2))
				for _, t := range list {
					Expect(t.RevokedAt.IsZero()).To(Equal(t.ID != info.ID), t.Name)
				}
			})

			It("keeps browser sessions until they expire", func() {
				_, pu := e.partner("Acme")
				id, _, err := e.s.CreateSession(e.ctx, pu.UserID, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				u, _, err := e.s.SessionUser(e.ctx, id)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.PartnerID).To(Equal(pu.PartnerID))

				late := store.WithClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
				s2, err := store.Open(e.ctx, e.url, late)
				Expect(err).NotTo(HaveOccurred())
				defer s2.Close()
				_, _, err = s2.SessionUser(e.ctx, id)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				n, err := s2.DeleteExpiredSessions(e.ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(BeEquivalentTo(1))
			})

			It("ends a disabled user's sessions, tokens, chats and link codes at once, and enabling brings none back", func() {
				_, pu := e.partner("Acme")
				_, other := e.partner("Bravo")
				sess, _, err := e.s.CreateSession(e.ctx, pu.UserID, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				tok, _, err := e.s.CreateAPIToken(e.ctx, e.admin, pu.UserID, "ci", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				code, _, err := e.s.CreateLinkCode(e.ctx, pu, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.RedeemLinkCode(e.ctx, code, 31337)
				Expect(err).NotTo(HaveOccurred())
				unused, _, err := e.s.CreateLinkCode(e.ctx, pu, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				otherSess, _, err := e.s.CreateSession(e.ctx, other.UserID, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				works := func() []error {
					_, _, err1 := e.s.SessionUser(e.ctx, sess)
					_, err2 := e.s.AuthenticateToken(e.ctx, tok)
					_, err3 := e.s.ChatUser(e.ctx, 31337)
					return []error{err1, err2, err3}
				}
				Expect(works()).To(HaveEach(BeNil()))

				By("refusing BAU staff, the user itself and another partner's user")
				Expect(e.s.SetUserDisabled(e.ctx, e.bau, pu.UserID, true)).To(MatchError(store.ErrForbidden), "admins only")
				Expect(e.s.SetUserDisabled(e.ctx, pu, pu.UserID, true)).To(MatchError(store.ErrForbidden))
				Expect(e.s.SetUserDisabled(e.ctx, other, pu.UserID, true)).To(MatchError(store.ErrNotFound))
				Expect(e.s.SetUserDisabled(e.ctx, e.admin, "nobody", true)).To(MatchError(store.ErrNotFound))
				Expect(works()).To(HaveEach(BeNil()), "nothing was ended")

				By("disabling: every way in is gone from the database, not only blocked")
				Expect(e.s.SetUserDisabled(e.ctx, e.admin, pu.UserID, true)).To(Succeed())
				Expect(works()).To(HaveEach(MatchError(store.ErrUnauthenticated)))
				count := func(q string) int {
					var n int
					Expect(e.s.DB().QueryRowContext(e.ctx, q, pu.UserID).Scan(&n)).To(Succeed())
					return n
				}
				Expect(count(`SELECT COUNT(*) FROM web_sessions WHERE user_id = $1`)).To(BeZero())
				Expect(count(`SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`)).To(BeZero())
				Expect(count(`SELECT COUNT(*) FROM telegram_links WHERE user_id = $1`)).To(BeZero())
				Expect(count(`SELECT COUNT(*) FROM telegram_link_codes WHERE user_id = $1`)).To(BeZero())
				tokens, err := e.s.ListAPITokens(e.ctx, e.admin, pu.UserID)
				Expect(err).NotTo(HaveOccurred())
				Expect(tokens).To(HaveLen(1))
				Expect(tokens[0].RevokedAt.IsZero()).To(BeFalse(), "the token is listed as revoked")
				_, _, err = e.s.SessionUser(e.ctx, otherSess)
				Expect(err).NotTo(HaveOccurred(), "another user's session stays")

				By("issuing nothing to a disabled user")
				_, _, err = e.s.CreateSession(e.ctx, pu.UserID, time.Hour)
				Expect(err).To(MatchError(store.ErrUnauthenticated))
				_, _, err = e.s.CreateAPIToken(e.ctx, e.admin, pu.UserID, "ci", time.Time{})
				Expect(err).To(MatchError(store.ErrConflict))
				_, _, err = e.s.CreateLinkCode(e.ctx, pu, time.Hour)
				Expect(err).To(MatchError(store.ErrConflict))
				_, err = e.s.RedeemLinkCode(e.ctx, unused, 31338)
				Expect(err).To(MatchError(store.ErrUnauthenticated))

				By("enabling again: the old ones stay ended, new ones work")
				Expect(e.s.SetUserDisabled(e.ctx, e.admin, pu.UserID, false)).To(Succeed())
				u, err := e.s.GetUser(e.ctx, e.admin, pu.UserID)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Disabled).To(BeFalse())
				Expect(works()).To(HaveEach(MatchError(store.ErrUnauthenticated)))
				_, err = e.s.RedeemLinkCode(e.ctx, unused, 31338)
				Expect(err).To(MatchError(store.ErrUnauthenticated), "a code issued before the disabling never links")
				fresh, _, err := e.s.CreateSession(e.ctx, pu.UserID, time.Hour)
				Expect(err).NotTo(HaveOccurred())
				_, _, err = e.s.SessionUser(e.ctx, fresh)
				Expect(err).NotTo(HaveOccurred())
				newTok, _, err := e.s.CreateAPIToken(e.ctx, e.admin, pu.UserID, "ci-2", time.Time{})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.AuthenticateToken(e.ctx, newTok)
				Expect(err).NotTo(HaveOccurred())
			})

			It("lets no session or token issued while a user is being disabled outlive the disabling", func() {
				_, pu := e.partner("Acme")
				const issuers = 4
				first := make(chan struct{}, 2*issuers)
				errs := make(chan error, 2*issuers)
				var wg sync.WaitGroup
				issue := func(create func() error) {
					defer wg.Done()
					for {
						if err := create(); err != nil {
							errs <- err
							return
						}
						select {
						case first <- struct{}{}:
						default:
						}
					}
				}
				for range issuers {
					wg.Add(2)
					go issue(func() error { _, _, err := e.s.CreateSession(e.ctx, pu.UserID, time.Hour); return err })
					go issue(func() error {
						_, _, err := e.s.CreateAPIToken(e.ctx, e.admin, pu.UserID, "race", time.Time{})
						return err
					})
				}
				<-first // some were issued: the disabling meets issuers at work
				<-first
				Expect(e.s.SetUserDisabled(e.ctx, e.admin, pu.UserID, true)).To(Succeed())
				wg.Wait()
				close(errs)
				for err := range errs {
					Expect(err).To(Or(MatchError(store.ErrUnauthenticated), MatchError(store.ErrConflict)))
				}
				var sessions, tokens int
				Expect(e.s.DB().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM web_sessions WHERE user_id = $1`,
					pu.UserID).Scan(&sessions)).To(Succeed())
				Expect(e.s.DB().QueryRowContext(e.ctx, `SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`,
					pu.UserID).Scan(&tokens)).To(Succeed())
				Expect(sessions).To(BeZero())
				Expect(tokens).To(BeZero())
			})

			It("refuses a password under MinPassword for every new user, as a PasswordError that is an ErrInvalid", func() {
				pt, pu := e.partner("Acme")
				const short = "tiny-pass"
				var pe *store.PasswordError
				for _, in := range []store.NewUser{
					{Email: "dev2@acme.example", Role: store.RolePartner, PartnerID: pt.ID, Password: short},
					{Email: "bea@bau.example", Role: store.RoleBAU, Password: short},
				} {
					_, err := e.s.CreateUser(e.ctx, e.admin, in)
					Expect(err).To(MatchError(store.ErrInvalid))
					Expect(errors.As(err, &pe)).To(BeTrue())
					Expect(err.Error()).To(ContainSubstring("12 characters"))
					Expect(err.Error()).NotTo(ContainSubstring(short))
				}
				users, err := e.s.ListUsers(e.ctx, e.admin, pt.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(users).To(HaveLen(1), "nothing was created")
				_, err = e.s.CreateUser(e.ctx, e.bau, store.NewUser{Email: "bot@acme.example", Role: store.RolePartner,
					PartnerID: pt.ID})
				Expect(err).NotTo(HaveOccurred(), "no password at all: tokens or Telegram only")
				_, err = e.s.CreateUser(e.ctx, e.bau, store.NewUser{Email: "dev3@acme.example", Role: store.RolePartner,
					PartnerID: pt.ID, Password: "twelve chars"})
				Expect(err).NotTo(HaveOccurred())
				Expect(errors.As(e.s.SetPassword(e.ctx, pu, pu.UserID, short), &pe)).To(BeTrue())
				By("counting characters, not bytes: 11 two-byte letters are 22 bytes and too short")
				_, err = e.s.CreateUser(e.ctx, e.admin, store.NewUser{Email: "dev4@acme.example", Role: store.RolePartner,
					PartnerID: pt.ID, Password: strings.Repeat("é", 11)})
				Expect(errors.As(err, &pe)).To(BeTrue())
				_, err = e.s.CreateUser(e.ctx, e.admin, store.NewUser{Email: "dev5@acme.example", Role: store.RolePartner,
					PartnerID: pt.ID, Password: strings.Repeat("é", 12)})
				Expect(err).NotTo(HaveOccurred())
				_, _, err = e.s.BootstrapAdmin(e.ctx, "first@bau.example", short)
				Expect(errors.As(err, &pe)).To(BeTrue())
			})

			It("changes a webhook's URL and events, checked as a new one is; its secret stays", func() {
				pt, pu := e.partner("Acme")
				hook, err := e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{PartnerID: pt.ID,
					URL: "https://hooks.acme.example/a", Events: []string{"run.finished"}, Secret: "hook-secret"})
				Expect(err).NotTo(HaveOccurred())
				got, cancelled, err := e.s.UpdateWebhook(e.ctx, e.bau, hook.ID, store.WebhookChange{URL: "https://hooks.acme.example/b",
					Events: []string{"uat.completed", "run.finished", "uat.completed"}})
				Expect(err).NotTo(HaveOccurred())
				Expect(cancelled).To(BeZero())
				Expect(got.ID).To(Equal(hook.ID))
				Expect(got.PartnerID).To(Equal(pt.ID))
				Expect(got.URL).To(Equal("https://hooks.acme.example/b"))
				Expect(got.Events).To(Equal([]string{"run.finished", "uat.completed"}))
				Expect(got.HasSecret).To(BeTrue())
				secret, err := e.s.WebhookSecret(e.ctx, e.sys, hook.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(secret).To(Equal("hook-secret"))

				for _, bad := range []store.WebhookChange{
					{URL: "ftp://hooks.acme.example", Events: []string{"run.finished"}},
					{URL: "/relative", Events: []string{"run.finished"}},
					{URL: "https://hooks.acme.example/c"},
					{URL: "https://hooks.acme.example/c", Events: []string{"bad event"}},
				} {
					_, _, err := e.s.UpdateWebhook(e.ctx, e.bau, hook.ID, bad)
					Expect(err).To(MatchError(store.ErrInvalid), bad.URL)
				}
				_, _, err = e.s.UpdateWebhook(e.ctx, pu, hook.ID, store.WebhookChange{URL: "https://evil.example",
					Events: []string{"run.finished"}})
				Expect(err).To(MatchError(store.ErrForbidden))
				_, _, err = e.s.UpdateWebhook(e.ctx, e.bau, "nope", store.WebhookChange{URL: "https://x.example",
					Events: []string{"run.finished"}})
				Expect(err).To(MatchError(store.ErrNotFound))
				hooks, err := e.s.ListWebhooks(e.ctx, e.bau, pt.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(hooks).To(HaveLen(1))
				Expect(hooks[0].URL).To(Equal("https://hooks.acme.example/b"), "a refused change changed nothing")
			})

			Describe("credentials", func() {
				const secret = "sk_live_SUPERSECRET_4242"
				var pt store.Partner
				BeforeEach(func() {
					pt, _ = e.partner("Acme")
					env, err := e.s.PutEnvironment(e.ctx, e.bau, pt.ID, store.EnvironmentInput{Name: store.Staging,
						BaseURL: "https://staging.acme.example", TLS: store.TLSSettings{CAPEM: "-----BEGIN CERTIFICATE-----"},
						Credentials: map[string]string{"Authorization": "Bearer " + secret}})
					Expect(err).NotTo(HaveOccurred())
					Expect(env.HasCredentials).To(BeTrue())
				})

				It("are encrypted at rest and only DecryptCredentials returns them", func() {
					var raw []byte
					var keyID string
					Expect(e.s.DB().QueryRowContext(e.ctx, `SELECT credentials, credentials_key FROM environments
						WHERE partner_id = $1`, pt.ID).Scan(&raw, &keyID)).To(Succeed())
					Expect(raw).NotTo(BeEmpty())
					Expect(bytes.Contains(raw, []byte(secret))).To(BeFalse())
					Expect(bytes.Contains(raw, []byte("Authorization"))).To(BeFalse())
					Expect(keyID).To(Equal(store.KeyID(e.key)))

					creds, err := e.s.DecryptCredentials(e.ctx, e.sys, pt.ID, store.Staging)
					Expect(err).NotTo(HaveOccurred())
					Expect(creds).To(Equal(map[string]string{"Authorization": "Bearer " + secret}))

					// Updating other fields keeps them; an empty map removes them.
					_, err = e.s.PutEnvironment(e.ctx, e.bau, pt.ID, store.EnvironmentInput{Name: store.Staging,
						BaseURL: "https://staging2.acme.example"})
					Expect(err).NotTo(HaveOccurred())
					creds, err = e.s.DecryptCredentials(e.ctx, e.bau, pt.ID, store.Staging)
					Expect(err).NotTo(HaveOccurred())
					Expect(creds).To(HaveKey("Authorization"))
					env, err := e.s.PutEnvironment(e.ctx, e.bau, pt.ID, store.EnvironmentInput{Name: store.Staging,
						BaseURL: "https://staging2.acme.example", Credentials: map[string]string{}})
					Expect(err).NotTo(HaveOccurred())
					Expect(env.HasCredentials).To(BeFalse())
				})

				It("are never taken inside a base URL, which is stored and shown in the clear", func() {
					_, err := e.s.PutEnvironment(e.ctx, e.bau, pt.ID, store.EnvironmentInput{Name: store.Production,
						BaseURL: "https://merchant:" + secret + "@prod.acme.example"})
					Expect(err).To(MatchError(store.ErrInvalid))
					Expect(err.Error()).NotTo(ContainSubstring(secret))
					_, err = e.s.GetEnvironment(e.ctx, e.bau, pt.ID, store.Production)
					Expect(err).To(MatchError(store.ErrNotFound), "nothing was stored")
				})

				It("fail clearly under the wrong key, and never say the secret", func() {
					other, err := store.NewKeyring(testKey())
					Expect(err).NotTo(HaveOccurred())
					s2, err := store.Open(e.ctx, e.url, store.WithKeyring(other))
					Expect(err).NotTo(HaveOccurred())
					defer s2.Close()
					_, err = s2.DecryptCredentials(e.ctx, e.sys, pt.ID, store.Staging)
					Expect(err).To(MatchError(store.ErrDecrypt))
					Expect(err.Error()).To(ContainSubstring(store.KeyID(e.key)))
					Expect(err.Error()).NotTo(ContainSubstring(secret))

					s3, err := store.Open(e.ctx, e.url)
					Expect(err).NotTo(HaveOccurred())
					defer s3.Close()
					_, err = s3.DecryptCredentials(e.ctx, e.sys, pt.ID, store.Staging)
					Expect(err).To(MatchError(store.ErrNoKey))
				})

				It("do not decrypt when copied into another partner's row", func() {
					other, _ := e.partner("Globex")
					_, err := e.s.PutEnvironment(e.ctx, e.bau, other.ID, store.EnvironmentInput{Name: store.Staging,
						BaseURL: "https://globex.example"})
					Expect(err).NotTo(HaveOccurred())
					_, err = e.s.DB().ExecContext(e.ctx, `UPDATE environments SET
						credentials = (SELECT credentials FROM environments WHERE partner_id = $1),
						credentials_key = (SELECT credentials_key FROM environments WHERE partner_id = $1)
						WHERE partner_id = $2`, pt.ID, other.ID)
					Expect(err).NotTo(HaveOccurred())
					_, err = e.s.DecryptCredentials(e.ctx, e.sys, other.ID, store.Staging)
					Expect(err).To(MatchError(store.ErrDecrypt))
				})

				It("rotate to a new key, keeping the old one for reading until then", func() {
					hook, err := e.s.CreateWebhook(e.ctx, e.bau, store.WebhookInput{URL: "https://hooks.example/x",
						Events: []string{"run.finished"}, Secret: "whsec_123"})
					Expect(err).NotTo(HaveOccurred())
					newKey := testKey()
					kr, err := store.NewKeyring(newKey, e.key)
					Expect(err).NotTo(HaveOccurred())
					s2, err := store.Open(e.ctx, e.url, store.WithKeyring(kr))
					Expect(err).NotTo(HaveOccurred())
					defer s2.Close()
					n, err := s2.RotateSecrets(e.ctx, e.admin)
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(Equal(2))
					n, err = s2.RotateSecrets(e.ctx, e.admin)
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(BeZero())

					only, err := store.NewKeyring(newKey)
					Expect(err).NotTo(HaveOccurred())
					s3, err := store.Open(e.ctx, e.url, store.WithKeyring(only))
					Expect(err).NotTo(HaveOccurred())
					defer s3.Close()
					creds, err := s3.DecryptCredentials(e.ctx, e.sys, pt.ID, store.Staging)
					Expect(err).NotTo(HaveOccurred())
					Expect(creds["Authorization"]).To(Equal("Bearer " + secret))
					ws, err := s3.WebhookSecret(e.ctx, e.sys, hook.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(ws).To(Equal("whsec_123"))
				})
			})

			Describe("runs", func() {
				var pt store.Partner
				BeforeEach(func() { pt, _ = e.partner("Acme") })

				It("keep results.json byte for byte and index its items", func() {
					doc := notCertifiedDoc()
					r := e.publish(pt.ID, doc)
					Expect(r.State).To(Equal(store.RunDone))
					Expect(r.Verdict).To(Equal(results.NotCertified))
					Expect(r.ExitCode).To(Equal(1))
					Expect(r.Counts).To(Equal(store.Counts{Total: 3, Passed: 1, Failed: 2}))

					got, err := e.s.RunResults(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(got).To(Equal(doc))

					items, err := e.s.RunItems(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(items).To(ContainElement(store.ItemOutcome{API: "collections", ItemID: "col.status",
						Status: results.Fail, Severity: results.Major, Category: results.Integration}))

					arts, err := e.s.ListArtifacts(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(arts).To(HaveLen(1))
					Expect(arts[0].SHA256).To(HaveLen(64))
					_, content, err := e.s.GetArtifact(e.ctx, e.bau, r.ID, "report.html")
					Expect(err).NotTo(HaveOccurred())
					Expect(string(content)).To(Equal("<html>ok</html>"))

					loaded, err := e.s.GetRun(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(loaded).To(Equal(r))
				})

				It("refuse a document that is not golive.results/v1", func() {
					_, err := e.s.PublishRun(e.ctx, e.bau, store.Publication{PartnerID: pt.ID, Results: []byte(`{"schema":"x"}`)})
					Expect(err).To(MatchError(store.ErrInvalid))
					_, err = e.s.PublishRun(e.ctx, e.bau, store.Publication{PartnerID: pt.ID, Results: []byte(`not json`)})
					Expect(err).To(MatchError(store.ErrInvalid))
				})

				It("page history newest first by keyset", func() {
					var ids []int64
					for range 7 {
						ids = append(ids, e.publish(pt.ID, certifiedDoc()).ID)
					}
					page1, err := e.s.ListRuns(e.ctx, e.bau, pt.ID, store.RunPage{Limit: 3})
					Expect(err).NotTo(HaveOccurred())
					Expect(runIDs(page1)).To(Equal([]int64{ids[6], ids[5], ids[4]}))
					page2, err := e.s.ListRuns(e.ctx, e.bau, pt.ID, store.RunPage{Limit: 3, Before: page1[2].ID})
					Expect(err).NotTo(HaveOccurred())
					Expect(runIDs(page2)).To(Equal([]int64{ids[3], ids[2], ids[1]}))
				})

				It("show checklist progress: ever passed, failing now", func() {
					e.publish(pt.ID, resultsDoc(results.NotCertified,
						item{"col.initiate", results.Pass, results.Critical},
						item{"col.status", results.Fail, results.Major}))
					last := e.publish(pt.ID, resultsDoc(results.NotCertified,
						item{"col.initiate", results.Fail, results.Critical},
						item{"col.status", results.Fail, results.Major},
						item{"col.callback", results.Pass, results.Minor}))
					pr, err := e.s.ChecklistProgress(e.ctx, e.bau, pt.ID, "collections")
					Expect(err).NotTo(HaveOccurred())
					Expect(pr.LatestRunID).To(Equal(last.ID))
					Expect(pr.Items).To(Equal([]store.ItemProgress{
						{ItemID: "col.callback", EverPassed: true, Latest: results.Pass, Severity: results.Minor},
						{ItemID: "col.initiate", EverPassed: true, Latest: results.Fail, Severity: results.Critical, Category: results.Integration},
						{ItemID: "col.status", EverPassed: false, Latest: results.Fail, Severity: results.Major, Category: results.Integration},
					}))
					Expect(pr.Passed).To(Equal(2))
					Expect(pr.FailingNow).To(Equal(2))
				})

				It("show in the overview each partner's latest run and latest verdict per API", func() {
					other, _ := e.partner("Globex")
					done := e.publish(pt.ID, certifiedDoc())
					queued, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
						Environment: store.Staging, Source: store.SourceWeb})
					Expect(err).NotTo(HaveOccurred())
					_, err = e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: done.ID, Decision: store.DecisionGo,
						EvidenceSHA256: sha("evidence")})
					Expect(err).NotTo(HaveOccurred())

					ov, err := e.s.PartnersOverview(e.ctx, e.bau)
					Expect(err).NotTo(HaveOccurred())
					Expect(ov).To(HaveLen(2))
					Expect(ov[0].Partner.ID).To(Equal(pt.ID))
					Expect(ov[0].APIs).To(HaveLen(1))
					Expect(ov[0].APIs[0].Latest.ID).To(Equal(queued.ID))
					Expect(ov[0].APIs[0].Latest.State).To(Equal(store.RunQueued))
					Expect(ov[0].APIs[0].LatestDone.ID).To(Equal(done.ID))
					Expect(ov[0].APIs[0].LatestDone.Verdict).To(Equal(results.Certified))
					Expect(ov[0].LastSignOff.UserEmail).To(Equal("lead@bau.example"))
					Expect(ov[1].Partner.ID).To(Equal(other.ID))
					Expect(ov[1].APIs[0].Latest).To(BeNil())
					Expect(ov[1].LastSignOff).To(BeNil())
				})

				It("are written atomically: a failed write leaves nothing half-done", func() {
					r, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
						Environment: store.Staging, Source: store.SourceAPI})
					Expect(err).NotTo(HaveOccurred())
					job, ok, err := e.s.ClaimRun(e.ctx, e.sys, "w1")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeTrue())
					Expect(job.Run.ID).To(Equal(r.ID))

					// Make the last statement of the run's transaction fail (a
					// trigger stands in for a full disk or a lost connection):
					// results, artifacts and the state change must all roll back.
					failItems(e)
					_, err = e.s.CompleteRun(e.ctx, e.sys, r.ID, store.Completion{Results: certifiedDoc(),
						Artifacts: []store.Artifact{{Name: "report.html", ContentType: "text/html", Content: []byte("x")}}})
					Expect(err).To(HaveOccurred())

					got, err := e.s.GetRun(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(got.State).To(Equal(store.RunRunning))
					Expect(got.Verdict).To(BeEmpty())
					_, err = e.s.RunResults(e.ctx, e.bau, r.ID)
					Expect(err).To(MatchError(store.ErrNotFound))
					arts, err := e.s.ListArtifacts(e.ctx, e.bau, r.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(arts).To(BeEmpty())
					ov, err := e.s.PartnersOverview(e.ctx, e.bau)
					Expect(err).NotTo(HaveOccurred())
					Expect(ov[0].APIs[0].LatestDone).To(BeNil())

					unfailItems(e)
					done, err := e.s.CompleteRun(e.ctx, e.sys, r.ID, store.Completion{Results: certifiedDoc()})
					Expect(err).NotTo(HaveOccurred())
					Expect(done.State).To(Equal(store.RunDone))
					Expect(done.Verdict).To(Equal(results.Certified))
				})
			})

			Describe("sign-off", func() {
				var pt store.Partner
				BeforeEach(func() { pt, _ = e.partner("Acme") })

				It("is refused on a run that is not certified", func() {
					r := e.publish(pt.ID, notCertifiedDoc())
					_, err := e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: r.ID, Decision: store.DecisionGo,
						EvidenceSHA256: sha("pack")})
					Expect(err).To(MatchError(store.ErrNotCertified))

					nt := e.publish(pt.ID, resultsDoc(results.NotTestable, item{"a", results.Error, results.Critical}))
					_, err = e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: nt.ID, Decision: store.DecisionGo,
						EvidenceSHA256: sha("pack")})
					Expect(err).To(MatchError(store.ErrNotCertified))

					q, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
						Environment: store.Staging, Source: store.SourceWeb})
					Expect(err).NotTo(HaveOccurred())
					_, err = e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: q.ID, Decision: store.DecisionGo,
						EvidenceSHA256: sha("pack")})
					Expect(err).To(MatchError(store.ErrNotCertified))
					list, err := e.s.ListSignOffs(e.ctx, e.bau, pt.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(list).To(BeEmpty())
				})

				It("is recorded on a certified run (with observations too), with who and the evidence hash", func() {
					r := e.publish(pt.ID, resultsDoc(results.CertifiedWithObservations,
						item{"a", results.Pass, results.Critical}, item{"b", results.Fail, results.Minor}))
					so, err := e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: r.ID, Decision: store.DecisionGo,
						Note: "go live Monday", EvidenceSHA256: sha("pack")})
					Expect(err).NotTo(HaveOccurred())
					Expect(so.UserEmail).To(Equal("lead@bau.example"))
					list, err := e.s.ListSignOffs(e.ctx, e.bau, pt.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(list).To(Equal([]store.SignOff{so}))
					_, err = e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: r.ID, Decision: store.DecisionGo,
						EvidenceSHA256: "not-a-hash"})
					Expect(err).To(MatchError(store.ErrInvalid))
				})
			})

			Describe("the queue", func() {
				var pt store.Partner
				BeforeEach(func() { pt, _ = e.partner("Acme") })

				enqueue := func(n int) []int64 {
					var ids []int64
					for range n {
						r, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
							Environment: store.Staging, Source: store.SourceSchedule, Payload: []byte(`{"suite":"smoke"}`)})
						Expect(err).NotTo(HaveOccurred())
						ids = append(ids, r.ID)
					}
					return ids
				}

				It("hands out runs oldest first, with their payload, then reports empty", func() {
					ids := enqueue(2)
					j, ok, err := e.s.ClaimRun(e.ctx, e.sys, "w1")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeTrue())
					Expect(j.Run.ID).To(Equal(ids[0]))
					Expect(j.Run.State).To(Equal(store.RunRunning))
					Expect(string(j.Payload)).To(MatchJSON(`{"suite":"smoke"}`))
					_, _, _ = e.s.ClaimRun(e.ctx, e.sys, "w1")
					_, ok, err = e.s.ClaimRun(e.ctx, e.sys, "w1")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeFalse())
				})

				It("gives each run to exactly one of two concurrent claimers", func() {
					const n = 40
					ids := enqueue(n)
					var mu sync.Mutex
					claimed := map[int64]string{}
					var wg sync.WaitGroup
					errs := make(chan error, 2)
					for _, w := range []string{"replica-a", "replica-b"} {
						wg.Add(1)
						go func() {
							defer GinkgoRecover()
							defer wg.Done()
							for {
								j, ok, err := e.s.ClaimRun(e.ctx, e.sys, w)
								if err != nil {
									errs <- err
									return
								}
								if !ok {
									return
								}
								mu.Lock()
								prev, dup := claimed[j.Run.ID]
								claimed[j.Run.ID] = w
								mu.Unlock()
								if dup {
									errs <- errors.New("run claimed twice, by " + prev + " and " + w)
									return
								}
							}
						}()
					}
					wg.Wait()
					close(errs)
					for err := range errs {
						Expect(err).NotTo(HaveOccurred())
					}
					Expect(claimed).To(HaveLen(n))
					for _, id := range ids {
						Expect(claimed).To(HaveKey(id))
					}
				})

				It("marks running runs interrupted at start-up, never passed", func() {
					ids := enqueue(3)
					_, _, err := e.s.ClaimRun(e.ctx, e.sys, "host-a")
					Expect(err).NotTo(HaveOccurred())
					_, _, err = e.s.ClaimRun(e.ctx, e.sys, "host-b")
					Expect(err).NotTo(HaveOccurred())

					n, err := e.s.InterruptRunning(e.ctx, e.sys, "host-a")
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(BeEquivalentTo(1))
					r0, _ := e.s.GetRun(e.ctx, e.bau, ids[0])
					r1, _ := e.s.GetRun(e.ctx, e.bau, ids[1])
					r2, _ := e.s.GetRun(e.ctx, e.bau, ids[2])
					Expect(r0.State).To(Equal(store.RunInterrupted))
					Expect(r0.Verdict).To(BeEmpty())
					Expect(r0.ExitCode).To(Equal(int(exitcode.Interrupted)), "never 0: the run was not certified")
					Expect(r0.FinishedAt.IsZero()).To(BeFalse())
					Expect(r1.State).To(Equal(store.RunRunning))
					Expect(r2.State).To(Equal(store.RunQueued))

					n, err = e.s.InterruptRunning(e.ctx, e.sys, "")
					Expect(err).NotTo(HaveOccurred())
					Expect(n).To(BeEquivalentTo(1))

					// The worker that comes back late cannot complete it.
					_, err = e.s.CompleteRun(e.ctx, e.sys, ids[0], store.Completion{Results: certifiedDoc()})
					Expect(err).To(MatchError(store.ErrConflict))
					ov, err := e.s.PartnersOverview(e.ctx, e.bau)
					Expect(err).NotTo(HaveOccurred())
					Expect(ov[0].APIs[0].LatestDone).To(BeNil())
				})

				It("fails a run with a reason", func() {
					ids := enqueue(1)
					Expect(e.s.FailRun(e.ctx, e.sys, ids[0], exitcode.Certified, "no code")).To(MatchError(store.ErrInvalid),
						"a failed run never says certified")
					Expect(e.s.FailRun(e.ctx, e.sys, ids[0], exitcode.InvalidInput, "environment staging has no base URL")).To(Succeed())
					r, _ := e.s.GetRun(e.ctx, e.bau, ids[0])
					Expect(r.State).To(Equal(store.RunFailed))
					Expect(r.Failure).To(ContainSubstring("no base URL"))
					Expect(r.ExitCode).To(Equal(int(exitcode.InvalidInput)))
					Expect(e.s.FailRun(e.ctx, e.sys, ids[0], exitcode.Internal, "again")).To(MatchError(store.ErrConflict))
					_, ok, err := e.s.ClaimRun(e.ctx, e.sys, "w")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeFalse())
				})
			})

			It("stores a UAT session's files and items with its close, counts them in progress, and records HAR grades", func() {
				pt, pu := e.partner("Acme")
				deadline := time.Now().Add(time.Hour)
				u, err := e.s.OpenUATSessionWith(e.ctx, pu, store.NewUATSession{PartnerID: pt.ID, APIs: []string{"collections"},
					BaseURL: "https://hub.example/uat/x", Deadline: deadline})
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Source).To(Equal(store.UATLive))
				open, err := e.s.OpenUATAPIs(e.ctx, pu)
				Expect(err).NotTo(HaveOccurred())
				Expect(open).To(Equal(map[string][]string{pt.ID: {"collections"}}))
				ov, err := e.s.PartnersOverview(e.ctx, e.bau)
				Expect(err).NotTo(HaveOccurred())
				Expect(ov[0].OpenUAT).To(Equal([]string{"collections"}))

				doc := resultsDoc(results.NotCertified, item{"client.collections.check-status", results.Fail, results.Critical},
					item{"client.collections.token-first", results.Pass, results.Major})
				_, err = e.s.CompleteUATSession(e.ctx, pu, u.ID, store.UATCompletion{Results: doc, EndReason: "bad",
					Artifacts: []store.Artifact{{Name: "../x", ContentType: "text/plain", Content: []byte("x")}}})
				Expect(err).To(MatchError(store.ErrInvalid))
				got, err := e.s.GetUATSession(e.ctx, pu, u.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State).To(Equal(store.UATOpen), "a refused close writes nothing")

				closed, err := e.s.CompleteUATSession(e.ctx, pu, u.ID, store.UATCompletion{Results: doc, EndReason: "closed by hand",
					Artifacts: []store.Artifact{{Name: "report.html", ContentType: "text/html", Content: []byte("<p>r</p>")}}})
				Expect(err).NotTo(HaveOccurred())
				Expect(closed.State).To(Equal(store.UATClosed))
				Expect(closed.Verdict).To(Equal(results.NotCertified))
				Expect(closed.EndReason).To(Equal("closed by hand"))
				Expect(closed.BaseURL).To(Equal("https://hub.example/uat/x"))
				Expect(closed.Deadline.Unix()).To(Equal(deadline.Unix()))
				arts, err := e.s.ListUATArtifacts(e.ctx, pu, u.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(arts).To(HaveLen(1))
				_, content, err := e.s.GetUATArtifact(e.ctx, pu, u.ID, "report.html")
				Expect(err).NotTo(HaveOccurred())
				Expect(string(content)).To(Equal("<p>r</p>"))
				raw, err := e.s.UATResults(e.ctx, pu, u.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(raw).To(Equal(doc))
				open, err = e.s.OpenUATAPIs(e.ctx, pu)
				Expect(err).NotTo(HaveOccurred())
				Expect(open).To(BeEmpty())

				pr, err := e.s.ChecklistProgress(e.ctx, pu, pt.ID, "collections")
				Expect(err).NotTo(HaveOccurred())
				Expect(pr.LatestUATSessionID).To(Equal(u.ID))
				Expect(pr.Passed).To(Equal(1))
				Expect(pr.FailingNow).To(Equal(1))

				har, err := e.s.RecordUATGrade(e.ctx, pu, pt.ID, store.UATCompletion{Results: resultsDoc(results.Certified,
					item{"client.collections.check-status", results.Pass, results.Critical}), EndReason: "graded HAR acme.har"})
				Expect(err).NotTo(HaveOccurred())
				Expect(har.Source).To(Equal(store.UATHAR))
				Expect(har.State).To(Equal(store.UATClosed))
				Expect(har.APIs).To(Equal([]string{"collections"}))
				pr, err = e.s.ChecklistProgress(e.ctx, pu, pt.ID, "collections")
				Expect(err).NotTo(HaveOccurred())
				Expect(pr.Passed).To(Equal(2))
				list, err := e.s.ListUATSessions(e.ctx, pu, pt.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(HaveLen(2))

				u2, err := e.s.OpenUATSession(e.ctx, pu, pt.ID, []string{"collections"})
				Expect(err).NotTo(HaveOccurred())
				n, err := e.s.InterruptOpenUATSessions(e.ctx, e.sys, "")
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(BeEquivalentTo(1))
				got, err = e.s.GetUATSession(e.ctx, pu, u2.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.State).To(Equal(store.UATInterrupted))
				Expect(got.Verdict).To(BeEmpty())
				Expect(got.EndReason).To(ContainSubstring("restarted"))
				_, err = e.s.CompleteUATSession(e.ctx, e.sys, u2.ID, store.UATCompletion{Results: doc})
				Expect(err).To(MatchError(store.ErrConflict), "an interrupted session is never resurrected")
			})

			It("keeps UAT sessions, schedules, audit entries and telegram links", func() {
				pt, pu := e.partner("Acme")
				u, err := e.s.OpenUATSession(e.ctx, pu, pt.ID, []string{"collections"})
				Expect(err).NotTo(HaveOccurred())
				closed, err := e.s.CloseUATSession(e.ctx, e.bau, u.ID, certifiedDoc())
				Expect(err).NotTo(HaveOccurred())
				Expect(closed.State).To(Equal(store.UATClosed))
				Expect(closed.Verdict).To(Equal(results.Certified))
				_, err = e.s.CloseUATSession(e.ctx, e.bau, u.ID, certifiedDoc())
				Expect(err).To(MatchError(store.ErrConflict))

				sc, err := e.s.CreateSchedule(e.ctx, e.bau, pt.ID, store.ScheduleInput{Cron: "0 6 * * *", API: "collections",
					Environment: store.Production, Enabled: true})
				Expect(err).NotTo(HaveOccurred())
				r := e.publish(pt.ID, certifiedDoc())
				Expect(e.s.MarkScheduleRun(e.ctx, e.sys, sc.ID, r.ID)).To(Succeed())
				got, err := e.s.GetSchedule(e.ctx, pu, sc.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.LastRunID).To(Equal(r.ID))
				_, err = e.s.CreateSchedule(e.ctx, e.bau, pt.ID, store.ScheduleInput{Cron: "nope", API: "collections",
					Environment: store.Production})
				Expect(err).To(MatchError(store.ErrInvalid))
				// The descriptors the hub documents are kept as written.
				for _, expr := range []string{"@daily", "@every 1h", "0 0 6 * * *"} {
					d, err := e.s.CreateSchedule(e.ctx, e.bau, pt.ID, store.ScheduleInput{Cron: expr, API: "collections",
						Environment: store.Production, Enabled: true})
					Expect(err).NotTo(HaveOccurred(), expr)
					got, err := e.s.GetSchedule(e.ctx, e.bau, d.ID)
					Expect(err).NotTo(HaveOccurred())
					Expect(got.Cron).To(Equal(expr))
					Expect(e.s.DeleteSchedule(e.ctx, e.bau, d.ID)).To(Succeed())
				}
				for _, expr := range []string{"@daily 6", "@every", "1 2 3 4 5 6 7"} {
					_, err = e.s.CreateSchedule(e.ctx, e.bau, pt.ID, store.ScheduleInput{Cron: expr, API: "collections",
						Environment: store.Production})
					Expect(err).To(MatchError(store.ErrInvalid), expr)
				}

				Expect(e.s.Audit(e.ctx, pu, store.AuditEntry{PartnerID: pt.ID, Action: "telegram.tool.token",
					Subject: "collections", Params: map[string]string{"amount": "100", "client_secret": "hunter2"},
					Outcome: "ok"})).To(Succeed())
				log, err := e.s.ListAudit(e.ctx, pu, store.AuditFilter{PartnerID: pt.ID})
				Expect(err).NotTo(HaveOccurred())
				Expect(log).To(HaveLen(1))
				Expect(log[0].Params).To(Equal(map[string]string{"amount": "100", "client_secret": store.Mask}))

				code, _, err := e.s.CreateLinkCode(e.ctx, pu, 10*time.Minute)
				Expect(err).NotTo(HaveOccurred())
				link, err := e.s.RedeemLinkCode(e.ctx, code, 987654321012)
				Expect(err).NotTo(HaveOccurred())
				Expect(link.UserID).To(Equal(pu.UserID))
				_, err = e.s.RedeemLinkCode(e.ctx, code, 5)
				Expect(err).To(MatchError(store.ErrUnauthenticated), "a link code works once")
				cu, err := e.s.ChatUser(e.ctx, 987654321012)
				Expect(err).NotTo(HaveOccurred())
				Expect(cu.PartnerID).To(Equal(pt.ID))
			})
		})
	}
})

func runIDs(rs []store.Run) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
