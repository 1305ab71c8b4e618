package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/botapitest"
	"github.com/golive-cert/golive/uat"
)

const tgToken = "424242:HUB-test-token-never-logged"

// tgHub is a hub running the bot against a local Bot API server.
type tgHub struct {
	*hub
	api *botapitest.Server
}

// startTelegramHub starts a hub whose bot talks to botapitest, with
// partner sandboxes whose orders stay PROCESSING until forced; opts
// change its config after that.
func startTelegramHub(backend string, opts ...hubOption) *tgHub {
	GinkgoHelper()
	api, err := botapitest.New(tgToken)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(api.Close)
	t := &tgHub{api: api}
	base := func(c *server.Config) {
		c.Telegram = &telegram.Config{Token: tgToken, APIURL: api.URL(), PollTimeout: time.Second,
			Logger: c.Logger.With("component", "telegram")}
		c.SandboxOptions = []sandbox.Option{sandbox.WithSettleAfter(time.Hour)}
		c.PublicURL = "https://hub.example"
	}
	t.hub = startHub(backend, append([]hubOption{base, withUAT}, opts...)...)
	return t
}

// say sends text from chat and returns the next message the bot sends
// to that chat (waiting on the Bot API server's record, never on time).
func (t *tgHub) say(chat botapitest.Chat, text string) string {
	GinkgoHelper()
	before := len(t.api.SentTo(chat.ID))
	t.api.Text(chat, text)
	var got []botapitest.Sent
	Eventually(func() int {
		got = t.api.SentTo(chat.ID)
		return len(got)
	}).WithTimeout(20*time.Second).WithPolling(10*time.Millisecond).Should(BeNumerically(">", before), "no reply to %q", text)
	return got[before].Text
}

// closeUATFromChat sends /uat close ID from chat and waits for the three
// messages it brings, in either order: the answer, the uat.completed
// notification and the report (a collections session).
func (t *tgHub) closeUATFromChat(chat botapitest.Chat, id string) {
	GinkgoHelper()
	before := len(t.api.SentTo(chat.ID))
	t.api.Text(chat, "/uat close "+id)
	Eventually(func() []botapitest.Sent { return t.api.SentTo(chat.ID)[before:] }).WithTimeout(time.Minute).WithPolling(20 * time.Millisecond).Should(And(
		ContainElement(HaveField("Text", And(HavePrefix("UAT session "+id+" is closed: "), ContainSubstring("report is sent to your chats")))),
		ContainElement(HaveField("Text", ContainSubstring("UAT session "+id+" (collections) completed"))),
		ContainElement(HaveField("Document", And(Not(BeNil()), HaveField("Name", "golive-uat-"+id+".html"))))))
}

// linkCode is a partner's one-time code, created by the admin over the API.
func (t *tgHub) linkCode(partnerID string) string {
	GinkgoHelper()
	r := t.api2(t.adminTok, "POST", "/partners/"+partnerID+"/link-codes")
	Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
	var lc server.LinkCodeJSON
	r.json(&lc)
	return lc.Code
}

func (t *tgHub) api2(token, method, path string) apiResp { return t.hub.api(token, method, path, nil) }

// link links chat to the partner with a fresh code.
func (t *tgHub) link(chat botapitest.Chat, partnerID string) {
	GinkgoHelper()
	Expect(t.say(chat, "/start "+t.linkCode(partnerID))).To(HavePrefix("Linked"))
}

// callbackReceiver is a partner's callback endpoint on loopback.
type callbackReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	code int
}

func newCallbackReceiver() *callbackReceiver {
	rc := &callbackReceiver{code: http.StatusOK}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		rc.mu.Lock()
		rc.got = append(rc.got, m)
		code := rc.code
		rc.mu.Unlock()
		w.WriteHeader(code)
	}))
	DeferCleanup(rc.srv.Close)
	return rc
}

func (rc *callbackReceiver) all() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...)
}

func (rc *callbackReceiver) count() int { return len(rc.all()) }

// order creates a collection in the partner's in-process sandbox (as the
// partner's client would) that calls back rc.
func order(sb *sandbox.Sandbox, ref string, rc *callbackReceiver) {
	GinkgoHelper()
	req := httptest.NewRequest(http.MethodPost, "http://sandbox/v1/token", nil)
	req.Header.Set("client-id", sandbox.DefaultClientID)
	req.Header.Set("api-key", sandbox.DefaultAPIKey)
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, req)
	Expect(rec.Code).To(Equal(http.StatusOK), rec.Body.String())
	var tok struct{ Token string }
	Expect(json.Unmarshal(rec.Body.Bytes(), &tok)).To(Succeed())
	body := `{"amount":"1500.00","currency":"TZS","orderReference":"` + ref + `","phoneNumber":"255712345678","callbackUrl":"` + rc.srv.URL + `/cb"}`
	req = httptest.NewRequest(http.MethodPost, "http://sandbox/v1/collections/ussd-push", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	sb.ServeHTTP(rec, req)
	Expect(rec.Code).To(Equal(http.StatusOK), rec.Body.String())
}

var _ = Describe("the Telegram bot inside the hub", func() {
	for _, backend := range backends() {
		Describe("on "+backend, func() {
			var (
				t      *tgHub
				acme   server.PartnerJSON
				globex server.PartnerJSON
			)
			alice := botapitest.PrivateChat(5001)
			bob := botapitest.PrivateChat(5002)
			acmeGroup := botapitest.GroupChat(-5003, "acme x BAU")
			bau := botapitest.GroupChat(-5004, "BAU")

			BeforeEach(func() {
				t = startTelegramHub(backend)
				acme = t.partner("Acme Pay", "collections")
				globex = t.partner("Globex", "collections")
			})

			It("links a chat with a staff-made code and serves /apis, /token, /run with the report, /progress; a revoked link stops at once", func() {
				t.link(alice, acme.ID)
				t.link(acmeGroup, acme.ID)

				apis := t.say(alice, "/apis")
				Expect(apis).To(And(ContainSubstring("Acme Pay"), ContainSubstring("collections"), ContainSubstring(t.sandbox)))

				By("/token in the private chat, refused in the group")
				tok := t.say(alice, "/token collections")
				Expect(tok).To(ContainSubstring("Sandbox token for collections"))
				issued := strings.TrimSpace(strings.Split(tok, "\n")[2])
				Expect(issued).NotTo(BeEmpty())
				Expect(t.say(acmeGroup, "/token collections")).To(ContainSubstring("private chat"))

				By("/run: the started answer, then the verdict and the HTML report as a document")
				before := len(t.api.SentTo(alice.ID))
				t.api.Text(alice, "/run collections")
				// The run may finish before its "started" answer is sent:
				// look for each message among all that arrive.
				texts := func() []string {
					var out []string
					for _, s := range t.api.SentTo(alice.ID)[before:] {
						out = append(out, s.Text)
					}
					return out
				}
				Eventually(texts).WithTimeout(20 * time.Second).Should(ContainElement(ContainSubstring("started")))
				var doc *botapitest.Sent
				Eventually(func() *botapitest.Sent {
					for _, s := range t.api.SentTo(alice.ID)[before:] {
						if s.Method == "sendDocument" {
							return &s
						}
					}
					return nil
				}).WithTimeout(3 * time.Minute).WithPolling(50 * time.Millisecond).ShouldNot(BeNil())
				for _, s := range t.api.SentTo(alice.ID)[before:] {
					if s.Method == "sendDocument" {
						doc = &s
					}
				}
				Expect(doc.Document.Name).To(HaveSuffix(".html"))
				Expect(string(doc.Document.Data)).To(ContainSubstring("<html"))
				var verdict string
				for _, s := range t.api.SentTo(alice.ID)[before:] {
					if strings.Contains(s.Text, "finished:") {
						verdict = s.Text
					}
				}
				Expect(verdict).To(ContainSubstring("CERTIFIED"))

				Expect(t.say(alice, "/progress")).To(ContainSubstring("collections"))

				By("the secrets: the bot token and the issued token are in no log line nor audit row")
				Expect(t.log.String()).NotTo(ContainSubstring(tgToken))
				Expect(t.log.String()).NotTo(ContainSubstring(issued))
				rows, err := t.st.ListAudit(t.ctx, store.System(), store.AuditFilter{})
				Expect(err).NotTo(HaveOccurred())
				dump, _ := json.Marshal(rows)
				Expect(string(dump)).NotTo(ContainSubstring(issued))
				Expect(string(dump)).To(ContainSubstring("telegram /token"))

				By("revoking the link from the hub: the next command gets only the instructions to link")
				var chats []server.ChatLinkJSON
				t.hub.api(t.adminTok, "GET", "/partners/"+acme.ID+"/chats", nil).json(&chats)
				Expect(chats).To(ConsistOf(
					And(HaveField("ChatID", alice.ID), HaveField("User", "partner code")),
					HaveField("ChatID", acmeGroup.ID)))
				Expect(t.hub.api(t.adminTok, "DELETE", "/partners/"+globex.ID+"/chats/"+strconv.FormatInt(alice.ID, 10), nil).status).
					To(Equal(http.StatusNotFound), "a chat is revoked through its own partner only")
				Expect(t.hub.api(t.adminTok, "DELETE", "/partners/"+acme.ID+"/chats/"+strconv.FormatInt(alice.ID, 10), nil).status).
					To(Equal(http.StatusNoContent))
				Expect(t.say(alice, "/apis")).NotTo(ContainSubstring("Acme Pay"))
				Expect(t.say(acmeGroup, "/apis")).To(ContainSubstring("Acme Pay"), "the other chat stays linked")
			})

			It("/outcome and /callback act on the partner's own sandbox orders only", func() {
				t.link(alice, acme.ID)
				t.link(bob, globex.ID)
				rc := newCallbackReceiver()
				sb, err := t.srv.PartnerSandbox(acme.ID)
				Expect(err).NotTo(HaveOccurred())
				order(sb, "ORDACME0001", rc)

				Expect(t.say(alice, "/status ORDACME0001")).To(ContainSubstring(": PROCESSING"))
				Expect(t.say(alice, "/callback ORDACME0001")).To(ContainSubstring("still PROCESSING"))

				By("another partner's reference reads exactly like a missing one, and changes nothing")
				foreign := t.say(bob, "/outcome ORDACME0001 failed")
				missing := t.say(bob, "/outcome ORDNOSUCH01 failed")
				Expect(foreign).To(ContainSubstring("No sandbox transaction"))
				Expect(strings.ReplaceAll(foreign, "ORDACME0001", "REF")).To(Equal(strings.ReplaceAll(missing, "ORDNOSUCH01", "REF")))
				Expect(t.say(bob, "/status ORDACME0001")).To(ContainSubstring("No sandbox transaction"))
				Expect(t.say(bob, "/callback ORDACME0001")).To(ContainSubstring("No sandbox transaction"))
				Expect(rc.count()).To(BeZero())

				By("forcing the outcome: /status shows it and the callback arrives")
				Expect(t.say(alice, "/outcome ORDACME0001 failed")).To(ContainSubstring("forced to failed"))
				Expect(t.say(alice, "/status ORDACME0001")).To(ContainSubstring(": FAILED"))
				Eventually(rc.count).WithTimeout(10 * time.Second).Should(Equal(1))
				Expect(rc.all()[0]).To(HaveKeyWithValue("status", "FAILED"))

				By("an order already final gets a clear answer")
				Expect(t.say(alice, "/outcome ORDACME0001 success")).To(ContainSubstring("is already FAILED"))

				By("/callback delivers it again and says what the endpoint answered")
				Expect(t.say(alice, "/callback ORDACME0001")).To(ContainSubstring("your endpoint answered 200"))
				Expect(rc.count()).To(Equal(2))
				Expect(rc.all()[1]).To(Equal(rc.all()[0]))
				rc.mu.Lock()
				rc.code = http.StatusInternalServerError
				rc.mu.Unlock()
				Expect(t.say(alice, "/callback ORDACME0001")).To(ContainSubstring("answered 500"))
			})

			It("/status finds an order the partner's client made in its open UAT session, and only for that partner", func() {
				t.link(alice, acme.ID)
				t.link(bob, globex.ID)
				o := t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}})
				// The client calls the session's sandbox on the hub's own listener.
				base := t.url + server.UATPrefix + o.Session.ID
				tok := sessionToken(base, o.Credentials.ClientID, o.Credentials.APIKey)
				body := `{"amount":"` + uat.LongAmount + `","currency":"TZS","orderReference":"ORDUAT00001","phoneNumber":"255712345678"}`
				req, err := http.NewRequest("POST", base+"/v1/collections/ussd-push", strings.NewReader(body))
				Expect(err).NotTo(HaveOccurred())
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				Expect(err).NotTo(HaveOccurred())
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusOK))

				Expect(t.say(alice, "/status ORDUAT00001")).To(MatchRegexp(`ORDUAT00001.*: (PROCESSING|SUCCESS)`))
				Expect(t.say(bob, "/status ORDUAT00001")).To(ContainSubstring("No sandbox transaction"))
			})

			It("notifies run verdicts, sign-offs, regressions and UAT completions to the partner's own chats and BAU, never another partner's", func() {
				t.link(alice, acme.ID)
				t.link(bob, globex.ID)
				staffCode, _, err := t.st.CreateLinkCode(t.ctx, store.PrincipalOf(t.admin), time.Hour)
				Expect(err).NotTo(HaveOccurred())
				Expect(t.say(bau, "/start "+staffCode)).To(HavePrefix("Linked"))
				waitFor := func(chat botapitest.Chat, sub string) {
					GinkgoHelper()
					Eventually(func() []string {
						var out []string
						for _, s := range t.api.SentTo(chat.ID) {
							out = append(out, s.Text)
						}
						return out
					}).WithTimeout(3*time.Minute).WithPolling(20*time.Millisecond).Should(ContainElement(ContainSubstring(sub)), "chat %d", chat.ID)
				}

				By("a run's verdict, then its go-live sign-off, through the API")
				good := t.waitRun(t.startRun(t.adminTok, acme.ID, nil))
				Expect(good.Certified()).To(BeTrue(), good.Failure)
				waitFor(alice, "Run "+strconv.FormatInt(good.ID, 10)+" (collections) finished: CERTIFIED")
				waitFor(bau, "["+acme.ID+"] Run "+strconv.FormatInt(good.ID, 10))
				_, manifest, err := t.st.GetArtifact(t.ctx, store.System(), good.ID, "manifest.json")
				Expect(err).NotTo(HaveOccurred())
				sum := sha256.Sum256(manifest)
				r := t.hub.api(t.adminTok, "POST", "/runs/"+strconv.FormatInt(good.ID, 10)+"/signoff",
					map[string]any{"decision": "go", "note": "all green", "evidenceSha256": hex.EncodeToString(sum[:])})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				waitFor(alice, "Go-live signed off for collections")
				waitFor(bau, "["+acme.ID+"] Go-live signed off")

				By("a scheduled production run that regresses after go-live")
				t.endpoint(acme.ID, "production", t.sandbox)
				r = t.hub.api(t.adminTok, "POST", "/partners/"+acme.ID+"/schedules", map[string]any{"cron": "0 6 * * *", "api": "collections"})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var sch server.ScheduleJSON
				r.json(&sch)
				Expect(t.st.SetPartnerStatus(t.ctx, store.System(), acme.ID, store.StatusLive)).To(Succeed())
				ok, err := t.srv.TriggerSchedule(t.ctx, sch.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(t.waitRun(ok.ID).Certified()).To(BeTrue())
				t.endpoint(acme.ID, "production", sandboxTarget("maintenance"))
				bad, err := t.srv.TriggerSchedule(t.ctx, sch.ID)
				Expect(err).NotTo(HaveOccurred())
				t.waitRun(bad.ID)
				waitFor(alice, "Regression after go-live on collections")
				waitFor(bau, "["+acme.ID+"] Regression after go-live")

				By("a UAT session's end: opened and closed through the hub's API")
				sess := t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}})
				closed := t.hub.api(t.adminTok, "POST", "/partners/"+acme.ID+"/uat-sessions/"+sess.Session.ID+"/close", nil)
				Expect(closed.status).To(Equal(http.StatusOK), string(closed.body))
				waitFor(alice, "UAT session "+sess.Session.ID+" (collections) completed")
				waitFor(bau, "["+acme.ID+"] UAT session "+sess.Session.ID)
				Expect(t.api.SentTo(alice.ID)).To(ContainElement(HaveField("Document", Not(BeNil()))), "the session's report as a document")

				By("the other partner's chat heard nothing of it: only the answer to its /start")
				// That answer lists the commands, /uat among them, so it is
				// checked for the other partner's name rather than for "UAT".
				sentBob := t.api.SentTo(bob.ID)
				Expect(sentBob).To(HaveLen(1), "only the answer to its /start")
				Expect(sentBob[0].Text).To(HavePrefix("Linked: this chat now speaks for Globex."))
				Expect(sentBob[0].Text).NotTo(Or(ContainSubstring(acme.ID), ContainSubstring(acme.Name)))
				Expect(sentBob[0].Document).To(BeNil())
			})

			It("/uat opens a UAT session of the partner's own client in a private chat, shows its progress, closes it, and the report follows", func() {
				t.link(alice, acme.ID)
				t.link(bob, globex.ID)
				t.link(acmeGroup, acme.ID)

				By("a group chat is refused: the answer holds credentials")
				Expect(t.say(acmeGroup, "/uat open collections")).To(ContainSubstring("only in a private chat"))
				list, err := t.st.ListUATSessions(t.ctx, store.System(), acme.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(BeEmpty(), "nothing was opened")

				By("the private chat gets the base URL, the credentials and the cases")
				opened := t.say(alice, "/uat open collections deadline=2h")
				m := regexp.MustCompile(`^UAT session ([0-9a-f]{32}) is open for collections\.`).FindStringSubmatch(opened)
				Expect(m).NotTo(BeNil(), opened)
				id := m[1]
				field := func(name string) string {
					GinkgoHelper()
					f := regexp.MustCompile(`(?m)^` + name + `: (\S+)$`).FindStringSubmatch(opened)
					Expect(f).NotTo(BeNil(), "%s in %q", name, opened)
					return f[1]
				}
				Expect(field("Base URL")).To(Equal("https://hub.example" + server.UATPrefix + id))
				clientID, apiKey, checksumKey := field("client-id"), field("api-key"), field("checksum key")
				cases := uat.Cases("collections", uat.DefaultTiming())
				Expect(opened).To(And(ContainSubstring(fmt.Sprintf("Cases to play (%d):", len(cases))),
					ContainSubstring(cases[0].ID+" — "+cases[0].Title), ContainSubstring("Deadline: ")))

				By("/uat shows it open, nothing played yet")
				Expect(t.say(alice, "/uat")).To(ContainSubstring(fmt.Sprintf("%s (collections): 0 of %d cases played, 0 problems", id, len(cases))))
				By("the credentials are the session's: its sandbox (at the hub's own address here) takes them")
				sessionToken(t.url+server.UATPrefix+id, clientID, apiKey)

				By("another partner's chat cannot close it: its id reads like a missing one")
				Expect(t.say(bob, "/uat close "+id)).To(Equal("No UAT session " + id + " found for you. Send /uat for your sessions."))
				Expect(t.say(bob, "/uat close "+strings.Repeat("0", 32))).To(Equal("No UAT session " + strings.Repeat("0", 32) + " found for you. Send /uat for your sessions."))

				By("the partner closes it; the uat.completed notification brings the report")
				// The answer and the notification come in either order.
				t.closeUATFromChat(alice, id)
				u := t.getUAT(t.adminTok, acme.ID, id)
				Expect(u.State).To(Equal(string(store.UATClosed)))
				Expect(u.EndReason).To(Equal("closed by the partner"))
				Expect(t.say(alice, "/uat")).To(ContainSubstring(id + " (collections): closed"))
				Expect(t.say(alice, "/uat close "+id)).To(Equal("Not closed: the UAT session is already closed"))

				By("the open and the close are audited as the user the chat is linked to, noting the bot")
				user, err := t.st.ChatUser(t.ctx, alice.ID)
				Expect(err).NotTo(HaveOccurred())
				entries, err := t.st.ListAudit(t.ctx, store.System(), store.AuditFilter{PartnerID: acme.ID, Limit: 500})
				Expect(err).NotTo(HaveOccurred())
				for _, action := range []string{"uat.open", "uat.close"} {
					Expect(entries).To(ContainElement(And(HaveField("Action", action), HaveField("Subject", "UAT session "+id),
						HaveField("Actor", user.ID), HaveField("Outcome", "ok"), HaveField("Params", HaveKeyWithValue("via", "Telegram bot")))), action)
					Expect(entries).NotTo(ContainElement(And(HaveField("Action", action), HaveField("Actor", "telegram"))), action)
				}

				By("no secret in a group chat, another partner's chat, the audit log or the hub's log")
				audit, err := t.st.ListAudit(t.ctx, store.System(), store.AuditFilter{PartnerID: acme.ID, Limit: 500})
				Expect(err).NotTo(HaveOccurred())
				Expect(fmt.Sprint(audit)).To(ContainSubstring("telegram /uat"))
				for _, secret := range []string{clientID, apiKey, checksumKey} {
					Expect(fmt.Sprint(audit)).NotTo(ContainSubstring(secret))
					Expect(t.log.String()).NotTo(ContainSubstring(secret))
					for _, chat := range []botapitest.Chat{acmeGroup, bob} {
						for _, s := range t.api.SentTo(chat.ID) {
							Expect(s.Text).NotTo(ContainSubstring(secret))
						}
					}
				}
			})

			It("/uat open words the hub's refusals for the partner", func() {
				t.link(alice, acme.ID)
				Expect(t.say(alice, "/uat open collections deadline=soon")).To(HavePrefix(`Not opened: deadline "soon"`))
				Expect(t.say(alice, "/uat open collections deadline=200h")).To(ContainSubstring("more than 7 days away"))
				list, err := t.st.ListUATSessions(t.ctx, store.System(), acme.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(list).To(BeEmpty())
			})
		})

		It("on "+backend+", /uat open tells the partner to use the partner page when the hub has no public address", func() {
			t := startTelegramHub(backend, func(c *server.Config) { c.PublicURL = "" })
			acme := t.partner("Acme Pay", "collections")
			alice := botapitest.PrivateChat(5101)
			t.link(alice, acme.ID)
			Expect(t.say(alice, "/uat open collections")).To(And(HavePrefix("Not opened: this hub has no public address configured"),
				ContainSubstring("partner page")))
			list, err := t.st.ListUATSessions(t.ctx, store.System(), acme.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(list).To(BeEmpty())
		})
	}
})

// sessionToken gets a bearer token from a UAT session's sandbox.
func sessionToken(baseURL, clientID, apiKey string) string {
	GinkgoHelper()
	req, err := http.NewRequest("POST", baseURL+"/v1/token", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("client-id", clientID)
	req.Header.Set("api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	var tok struct{ Token string }
	Expect(json.NewDecoder(resp.Body).Decode(&tok)).To(Succeed())
	Expect(tok.Token).NotTo(BeEmpty())
	return tok.Token
}
