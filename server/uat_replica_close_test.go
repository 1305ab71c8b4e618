package server_test

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram/botapitest"
)

// The replica-call protocol, written out again here from docs/hub.md so
// that the specs check the hub against the description, not against itself.

// replicaKey is the key every replica derives from the hub's sealing key.
func replicaKey(sealing []byte) []byte {
	GinkgoHelper()
	k, err := hkdf.Key(sha256.New, sealing, nil, "golive replica forward v1", 32)
	Expect(err).NotTo(HaveOccurred())
	return k
}

func internalClosePath(partnerID, session string) string {
	return "/internal/v1/partners/" + partnerID + "/uat-sessions/" + session + "/close"
}

// signedClose is the headers of a replica's close of session, signed with key.
func signedClose(key []byte, partnerID, session, user, via string, at time.Time) http.Header {
	m := hmac.New(sha256.New, key)
	unix := strconv.FormatInt(at.Unix(), 10)
	for _, f := range []string{"golive replica call v1", "POST", internalClosePath(partnerID, session), session, user, via, unix} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	h := http.Header{}
	h.Set("X-Golive-Forwarded-By", via)
	h.Set("X-Golive-Replica-User", user)
	h.Set("X-Golive-Replica-Time", unix)
	h.Set("X-Golive-Replica-Signature", hex.EncodeToString(m.Sum(nil)))
	return h
}

// postClose sends a replica's close to base and returns the status and body.
func postClose(base, partnerID, session string, h http.Header) (int, string) {
	GinkgoHelper()
	req, err := http.NewRequest("POST", base+internalClosePath(partnerID, session), nil)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(body)
}

var _ = Describe("the bot's /uat close across replicas", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			var (
				t            *tgHub
				acme, globex server.PartnerJSON
				aURL, bURL   string
				a, b         *replica
			)
			alice := botapitest.PrivateChat(6001)
			bob := botapitest.PrivateChat(6002)

			// Replica a runs the bot; replica b serves the sessions and runs
			// no bot (only one replica polls Telegram).
			BeforeEach(func() {
				t = startTelegramHub(backend)
				acme = t.partner("Acme Pay", "collections")
				globex = t.partner("Globex", "collections")
				t.srv.Stop()
				t.http.Close()
				aURL, a = t.servedReplica("a")
				bURL, b = t.servedReplica("b", func(c *server.Config) { c.Telegram = nil })
				t.at(aURL)
				t.link(alice, acme.ID)
				t.link(bob, globex.ID)
				DeferCleanup(func() {
					if CurrentSpecReport().Failed() {
						GinkgoWriter.Println("replica a's log:\n" + a.log.String() + "\nreplica b's log:\n" + b.log.String())
					}
				})
			})

			// openOnB opens a session of acme's served by replica b.
			openOnB := func() server.UATOpenedJSON {
				GinkgoHelper()
				t.at(bURL)
				defer t.at(aURL)
				o := t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}})
				u, err := t.st.GetUATSession(t.ctx, store.System(), o.Session.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Owner).To(Equal("b"))
				return o
			}
			stateOf := func(id string) store.UATState {
				GinkgoHelper()
				u, err := t.st.GetUATSession(t.ctx, store.System(), id)
				Expect(err).NotTo(HaveOccurred())
				return u.State
			}

			It("closes, through the bot on replica a, a session replica b serves, as the chat's user; the report follows", func() {
				o := openOnB()
				id := o.Session.ID
				Expect(t.say(alice, "/uat")).To(ContainSubstring(id+" (collections): progress unavailable right now"),
					"a does not serve it")

				By("another partner's chat: the id reads exactly like a missing one, and nothing is asked of b")
				missing := strings.Repeat("0", 32)
				Expect(t.say(bob, "/uat close "+id)).To(Equal("No UAT session " + id + " found for you. Send /uat for your sessions."))
				Expect(t.say(bob, "/uat close "+missing)).To(Equal("No UAT session " + missing + " found for you. Send /uat for your sessions."))
				Expect(stateOf(id)).To(Equal(store.UATOpen))
				Expect(b.log.String()).NotTo(ContainSubstring("replica call"))

				By("the partner's chat closes it: b grades it, and the report comes through a's bot")
				t.closeUATFromChat(alice, id)
				u, err := t.st.GetUATSession(t.ctx, store.System(), id)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.State).To(Equal(store.UATClosed))
				Expect(u.Owner).To(Equal("b"))
				Expect(u.EndReason).To(Equal("closed by the partner"))
				Expect(t.say(alice, "/uat close "+id)).To(Equal("Not closed: the UAT session is already closed"))

				By("audited as the chat's user, noting the bot on replica a")
				user, err := t.st.ChatUser(t.ctx, alice.ID)
				Expect(err).NotTo(HaveOccurred())
				audit, err := t.st.ListAudit(t.ctx, store.System(), store.AuditFilter{PartnerID: acme.ID, Limit: 500})
				Expect(err).NotTo(HaveOccurred())
				Expect(audit).To(ContainElement(And(HaveField("Action", "uat.close"), HaveField("Subject", "UAT session "+id),
					HaveField("Actor", user.ID), HaveField("Outcome", "ok"),
					HaveField("Params", HaveKeyWithValue("via", "Telegram bot on replica a")))))

				By("no key, derived or not, in a log, the audit log or a chat")
				key := replicaKey(t.key)
				dump, err := json.Marshal(audit)
				Expect(err).NotTo(HaveOccurred())
				for _, secret := range []string{hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key),
					hex.EncodeToString(t.key), base64.StdEncoding.EncodeToString(t.key)} {
					for _, log := range []string{t.log.String(), a.log.String(), b.log.String(), string(dump)} {
						Expect(log).NotTo(ContainSubstring(secret))
					}
					for _, s := range t.api.Sent() {
						Expect(s.Text).NotTo(ContainSubstring(secret))
					}
				}
				for _, log := range []string{t.log.String(), a.log.String(), b.log.String()} {
					Expect(log).NotTo(ContainSubstring("X-Golive-Replica-Signature"))
				}
			})

			It("refuses, on the owner, a forged, expired, altered or misdirected call, and the session stays open", func() {
				o, other := openOnB(), openOnB()
				id := o.Session.ID
				key := replicaKey(t.key)
				dev, _ := t.partnerUser(acme.ID, "dev@acme.example")
				gone, _ := t.partnerUser(acme.ID, "gone@acme.example")
				Expect(t.st.SetUserDisabled(t.ctx, store.PrincipalOf(t.admin), gone.ID, true)).To(Succeed())
				rival, _ := t.partnerUser(globex.ID, "dev@globex.example")
				forged := make([]byte, 32)
				_, _ = rand.Read(forged)
				now := time.Now()

				refused := map[string]http.Header{
					"no signature":                       {},
					"forged (another key)":               signedClose(replicaKey(forged), acme.ID, id, dev.ID, "a", now),
					"signed with the sealing key itself": signedClose(t.key, acme.ID, id, dev.ID, "a", now),
					"expired":                            signedClose(key, acme.ID, id, dev.ID, "a", now.Add(-2*time.Minute)),
					"from the future":                    signedClose(key, acme.ID, id, dev.ID, "a", now.Add(2*time.Minute)),
					"replayed to another session":        signedClose(key, acme.ID, other.Session.ID, dev.ID, "a", now),
					"a disabled user":                    signedClose(key, acme.ID, id, gone.ID, "a", now),
					"an unknown user":                    signedClose(key, acme.ID, id, "no-such-user", "a", now),
				}
				altered := signedClose(key, acme.ID, id, dev.ID, "a", now)
				altered.Set("X-Golive-Replica-User", rival.ID)
				refused["another user than signed"] = altered
				noVia := signedClose(key, acme.ID, id, dev.ID, "a", now)
				noVia.Del("X-Golive-Forwarded-By")
				refused["no calling replica"] = noVia
				var first string
				for why, h := range refused {
					status, body := postClose(bURL, acme.ID, id, h)
					Expect(status).To(Equal(http.StatusUnauthorized), "%s: %s", why, body)
					if first == "" {
						first = body
					}
					Expect(body).To(Equal(first), "%s: every refusal reads the same", why)
				}
				Expect(first).To(MatchJSON(`{"error":"unauthenticated","status":401}`))

				By("another partner's user, signed as it should be: the session reads as missing")
				status, body := postClose(bURL, acme.ID, id, signedClose(key, acme.ID, id, rival.ID, "a", now))
				Expect(status).To(Equal(http.StatusNotFound), body)
				mStatus, mBody := postClose(bURL, acme.ID, strings.Repeat("0", 32),
					signedClose(key, acme.ID, strings.Repeat("0", 32), dev.ID, "a", now))
				Expect(mStatus).To(Equal(http.StatusNotFound))
				Expect(body).To(Equal(mBody))
				Expect(body).NotTo(Or(ContainSubstring(id), ContainSubstring(acme.Name)))

				for _, s := range []string{id, other.Session.ID} {
					Expect(stateOf(s)).To(Equal(store.UATOpen))
				}
				Expect(tokenCall(bURL+server.UATPrefix+id, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(http.StatusOK))
				Expect(b.log.String()).To(ContainSubstring("replica call refused"))

				By("the partner's own user, signed as it should be: closed, and the same call again changes nothing")
				good := signedClose(key, acme.ID, id, dev.ID, "a", now)
				status, body = postClose(bURL, acme.ID, id, good)
				Expect(status).To(Equal(http.StatusOK), body)
				var out server.ReplicaCloseJSON
				Expect(json.Unmarshal([]byte(body), &out)).To(Succeed())
				Expect(out.Session.ID).To(Equal(id))
				Expect(out.Session.State).To(Equal(string(store.UATClosed)))
				Expect(out.Session.EndReason).To(Equal("closed by the partner"))
				Expect(out.TelegramNotified).To(BeTrue(), "the chats' messages are queued for the bot's replica")
				status, body = postClose(bURL, acme.ID, id, good)
				Expect(status).To(Equal(http.StatusConflict), body)
				Expect(body).To(ContainSubstring("already closed"))
				Expect(stateOf(other.Session.ID)).To(Equal(store.UATOpen))
			})

			It("answers in one line when the replica serving the session is unreachable, and leaves it open", func() {
				o := openOnB()
				id := o.Session.ID
				b.http.Close() // b still runs the session; nothing reaches it
				reply := t.say(alice, "/uat close "+id)
				Expect(reply).To(Equal(fmt.Sprintf("Not closed: the hub replica serving this session is not answering. "+
					"Try again in a minute, or close it from your partner page (https://hub.example/partners/%s/uat-sessions/%s).", acme.ID, id)))
				Expect(reply).NotTo(ContainSubstring("\n"))
				Expect(stateOf(id)).To(Equal(store.UATOpen))
				Expect(a.log.String()).To(ContainSubstring("UAT session owner unreachable"))
			})
		})
	}
})
