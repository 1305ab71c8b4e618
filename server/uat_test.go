package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// uatTiming keeps every scripted wait short; nothing asserts wall time.
func uatTiming() uat.Timing {
	return uat.Timing{Settle: 300 * time.Millisecond, LongProcessing: time.Second, Hold: 30 * time.Second,
		RetryAfter: time.Second, MinPollInterval: 50 * time.Millisecond, AckBudget: 5 * time.Second, ExpireTokenAt: 5}
}

const uatMaxHAR = 256 << 10

// withUAT shortens UAT sessions and keeps their callbacks on loopback.
func withUAT(c *server.Config) {
	c.UATTiming = uatTiming()
	c.UATCallbacksLoopbackOnly = true
	c.UATMaxHAR = uatMaxHAR
}

func (h *hub) openUAT(token, partnerID string, body map[string]any) server.UATOpenedJSON {
	GinkgoHelper()
	r := h.api(token, "POST", "/partners/"+partnerID+"/uat-sessions", body)
	Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
	var o server.UATOpenedJSON
	r.json(&o)
	return o
}

func (h *hub) getUAT(token, partnerID, id string) server.UATSessionJSON {
	GinkgoHelper()
	r := h.api(token, "GET", "/partners/"+partnerID+"/uat-sessions/"+id, nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var u server.UATSessionJSON
	r.json(&u)
	return u
}

// waitUATDone follows the session's event stream until its done event
// (events, never time: the bound only keeps a broken hub from hanging).
func (h *hub) waitUATDone(token, partnerID, id string) server.UATEvent {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", h.url+"/api/v1/partners/"+partnerID+"/uat-sessions/"+id+"/events", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	Expect(resp.Header.Get("Content-Type")).To(Equal("text/event-stream"))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "done":
			var ev server.UATEvent
			Expect(json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev)).To(Succeed())
			return ev
		}
	}
	Fail("the event stream ended without a done event")
	return server.UATEvent{}
}

// playClient plays the reference merchant client (with a fault, maybe)
// against a session the hub serves.
func playClient(o server.UATOpenedJSON, fault string) error {
	GinkgoHelper()
	c, err := client.New(client.Config{BaseURL: o.Session.BaseURL, APIs: o.Session.APIs,
		Credentials: uat.Credentials{ClientID: o.Credentials.ClientID, APIKey: o.Credentials.APIKey,
			ChecksumKey: o.Credentials.ChecksumKey},
		Timing: uatTiming(), Fault: fault, HeldAnswerTimeout: 1500 * time.Millisecond})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return c.Play(ctx)
}

// tokenCall asks a session's sandbox for a token with the given credentials.
func tokenCall(baseURL, clientID, apiKey string) int {
	GinkgoHelper()
	req, err := http.NewRequest("POST", baseURL+"/v1/token", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("client-id", clientID)
	req.Header.Set("api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func uploadHAR(h *hub, token, partnerID, api, filename string, data []byte) apiResp {
	GinkgoHelper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if api != "" {
		Expect(mw.WriteField(server.HARAPIField, api)).To(Succeed())
	}
	fw, err := mw.CreateFormFile(server.HARField, filename)
	Expect(err).NotTo(HaveOccurred())
	_, _ = fw.Write(data)
	Expect(mw.Close()).To(Succeed())
	req, err := http.NewRequest("POST", h.url+"/api/v1/partners/"+partnerID+"/uat-sessions/har", &buf)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	h.validate(req, nil, resp, out)
	return apiResp{status: resp.StatusCode, body: out, header: resp.Header}
}

// expectNoCredentials checks that no form of the session's credentials
// is in any of the texts.
func expectNoCredentials(creds server.UATCredentialsJSON, texts map[string]string) {
	GinkgoHelper()
	needles := testnet.SecretNeedles([]string{creds.ClientID, creds.APIKey, creds.ChecksumKey})
	for where, text := range texts {
		for _, n := range needles {
			Expect(strings.Contains(text, n)).To(BeFalse(), "%s holds a credential of the session (%q)", where, n)
		}
	}
}

var _ = Describe("UAT sessions in the hub", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			var h *hub
			var p server.PartnerJSON
			BeforeEach(func() {
				h = startHub(backend, withUAT)
				p = h.partner("Acme Pay")
			})

			It("opens a session over the API, serves the partner's client under the hub's URL, ends when every case was played, stores the graded traffic and tells the webhooks", func() {
				hooks := make(chan []byte, 8)
				receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					body, _ := io.ReadAll(r.Body)
					hooks <- body
				}))
				DeferCleanup(receiver.Close)
				r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/webhooks", map[string]any{"url": receiver.URL,
					"events": []string{"uat.completed"}})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				user, tok := h.partnerUser(p.ID, "dev@acme.example")

				o := h.openUAT(tok, p.ID, map[string]any{"apis": []string{"collections"}, "deadline": "1h"})
				Expect(o.Session.BaseURL).To(Equal(h.url + server.UATPrefix + o.Session.ID))
				Expect(o.Session.State).To(Equal("open"))
				Expect(o.Session.Deadline).NotTo(BeNil())
				Expect(o.Cases).NotTo(BeEmpty())
				Expect(o.Credentials.APIKey).NotTo(BeEmpty())
				Expect(o.Session.Progress).NotTo(BeNil())
				Expect(o.Session.Progress.CasesTotal).To(Equal(len(o.Cases)), "the opening answer counts the cases it lists")
				Expect(o.Session.Progress.CasesSeen).To(BeZero())

				var pj server.PartnerJSON
				h.api(tok, "GET", "/partners/"+p.ID, nil).json(&pj)
				Expect(pj.APIs[0].API).To(Equal("collections"))
				Expect(pj.APIs[0].Stage).To(Equal(server.StageUAT))
				Expect(pj.APIs[1].Stage).NotTo(Equal(server.StageUAT), "payouts has no session open")

				// Staff see the open session, with its progress, but never its credentials.
				live := h.getUAT(h.adminTok, p.ID, o.Session.ID)
				Expect(live.Progress).NotTo(BeNil())

				Expect(playClient(o, "")).To(Or(Succeed(), HaveOccurred())) // the session may end under the client's last calls
				done := h.waitUATDone(tok, p.ID, o.Session.ID)
				Expect(done.State).To(Equal("closed"))
				Expect(done.Message).To(Equal("every case was played"))

				u := h.getUAT(tok, p.ID, o.Session.ID)
				Expect(u.State).To(Equal("closed"))
				Expect(u.Source).To(Equal("live"))
				Expect(u.Verdict).To(BeElementOf(string(results.Certified), string(results.CertifiedWithObservations)))
				Expect(u.EndedAt).NotTo(BeNil())
				Expect(u.Progress).To(BeNil())

				r = h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+u.ID+"/results", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				doc, err := results.Read(bytes.NewReader(r.body))
				Expect(err).NotTo(HaveOccurred())
				Expect(string(doc.Verdict.Status)).To(Equal(u.Verdict))
				Expect(doc.Target.BaseURL).To(Equal(o.Session.BaseURL))
				var arts []server.ArtifactJSON
				h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+u.ID+"/artifacts", nil).json(&arts)
				var names []string
				texts := map[string]string{"results.json": string(r.body)}
				for _, a := range arts {
					names = append(names, a.Name)
					ar := h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+u.ID+"/artifacts/"+a.Name, nil)
					Expect(ar.status).To(Equal(http.StatusOK))
					texts[a.Name] = string(ar.body)
				}
				Expect(names).To(ConsistOf("exchanges.jsonl", "junit.xml", "manifest.json", "recording.har", "report.html", "results.json"))
				Expect(texts["recording.har"]).To(ContainSubstring(o.Session.BaseURL + "/v1/"))

				// The client checklist counts in the partner's progress.
				var prs []server.ProgressJSON
				h.api(tok, "GET", "/partners/"+p.ID+"/progress", nil).json(&prs)
				passed := map[string]bool{}
				for _, it := range prs[0].Items {
					passed[it.ID] = it.EverPassed
				}
				Expect(passed).To(HaveKeyWithValue("client.collections.check-status", true))
				h.api(tok, "GET", "/partners/"+p.ID, nil).json(&pj)
				Expect(pj.APIs[0].Stage).NotTo(Equal(server.StageUAT))

				var hook server.WebhookPayload
				Eventually(hooks).Should(Receive(WithTransform(func(b []byte) error { return json.Unmarshal(b, &hook) }, Succeed())))
				Expect(hook.Event).To(Equal("uat.completed"))
				Expect(hook.UATSessionID).To(Equal(u.ID))
				Expect(hook.Verdict).To(Equal(u.Verdict))

				// The credentials were in the opening answer and nowhere since.
				web := h.signIn(user.Email, adminPassword)
				for _, path := range []string{"/partners/" + p.ID, "/partners/" + p.ID + "/uat-sessions/" + u.ID,
					"/partners/" + p.ID + "/uat-sessions/" + u.ID + "/report"} {
					resp, page := web.get(path)
					Expect(resp.StatusCode).To(Equal(http.StatusOK), path)
					texts[path] = page
				}
				for _, path := range []string{"/partners/" + p.ID + "/uat-sessions", "/partners/" + p.ID + "/uat-sessions/" + u.ID} {
					texts[path] = string(h.api(h.adminTok, "GET", path, nil).body)
				}
				r = h.api(h.adminTok, "GET", "/audit?partner="+p.ID, nil)
				texts["audit"] = string(r.body)
				texts["log"] = h.log.String()
				if backend == "sqlite" {
					// Stored rows hold no credential in plain: the database files themselves.
					file := strings.TrimPrefix(h.dbURL, "sqlite:")
					for _, f := range []string{file, file + "-wal"} {
						if data, err := os.ReadFile(f); err == nil {
							texts[f] = string(data)
						}
					}
				}
				expectNoCredentials(o.Credentials, texts)
				Expect(h.log.String()).NotTo(ContainSubstring("level=ERROR"))
			})

			It("closes a session by hand, keeps partners to their own sandbox, refuses bad input with one line, and grades HAR uploads", func() {
				_, tok := h.partnerUser(p.ID, "dev@acme.example")
				other := h.partner("Bravo Bank")
				_, otherTok := h.partnerUser(other.ID, "dev@bravo.example")
				mine := h.openUAT(tok, p.ID, map[string]any{"apis": []string{"collections"}})
				theirs := h.openUAT(otherTok, other.ID, map[string]any{})
				Expect(theirs.Session.APIs).To(Equal([]string{"collections", "payouts"}))

				// Each sandbox knows its own session's credentials only.
				Expect(tokenCall(mine.Session.BaseURL, mine.Credentials.ClientID, mine.Credentials.APIKey)).To(Equal(http.StatusOK))
				Expect(tokenCall(theirs.Session.BaseURL, mine.Credentials.ClientID, mine.Credentials.APIKey)).To(Equal(http.StatusUnauthorized))
				// Nothing of another partner's session through the API.
				for _, path := range []string{"", "/events", "/results", "/artifacts", "/artifacts/report.html"} {
					r := h.api(tok, "GET", "/partners/"+other.ID+"/uat-sessions/"+theirs.Session.ID+path, nil)
					Expect(r.status).To(Equal(http.StatusNotFound), path)
					r = h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+theirs.Session.ID+path, nil)
					Expect(r.status).To(Equal(http.StatusNotFound), path)
				}
				r := h.api(tok, "POST", "/partners/"+p.ID+"/uat-sessions/"+theirs.Session.ID+"/close", nil)
				Expect(r.status).To(Equal(http.StatusNotFound))
				Expect(h.getUAT(otherTok, other.ID, theirs.Session.ID).State).To(Equal("open"))

				// Bad input: a 4xx with one line.
				for _, bad := range []struct {
					body   any
					status int
					says   string
				}{
					{map[string]any{"apis": []string{"webhooks"}}, http.StatusBadRequest, "unknown API"},
					{map[string]any{"apis": []string{"nope"}}, http.StatusBadRequest, "unknown API"},
					{map[string]any{"deadline": "tomorrow"}, http.StatusBadRequest, "deadline"},
					{map[string]any{"deadline": "-5m"}, http.StatusBadRequest, "not in the future"},
					{map[string]any{"deadline": "9000h"}, http.StatusBadRequest, "7 days"},
					{map[string]any{"api": "collections"}, http.StatusBadRequest, "unknown field"},
					{`{"apis": [`, http.StatusBadRequest, ""},
				} {
					r := h.api(tok, "POST", "/partners/"+p.ID+"/uat-sessions", bad.body)
					Expect(r.status).To(Equal(bad.status), string(r.body))
					var e server.APIError
					r.json(&e)
					Expect(e.Error).To(ContainSubstring(bad.says))
					Expect(e.Error).NotTo(ContainSubstring("\n"))
				}
				req, _ := http.NewRequest("POST", h.url+"/api/v1/partners/"+p.ID+"/uat-sessions", strings.NewReader("apis=collections"))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				Expect(err).NotTo(HaveOccurred())
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType))

				// Closing by hand grades what was played: one token call is far from enough.
				r = h.api(tok, "POST", "/partners/"+p.ID+"/uat-sessions/"+mine.Session.ID+"/close", nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var closed server.UATSessionJSON
				r.json(&closed)
				Expect(closed.State).To(Equal("closed"))
				Expect(closed.Verdict).To(Equal(string(results.NotCertified)))
				Expect(closed.EndReason).To(Equal("closed by the partner"))
				r = h.api(tok, "POST", "/partners/"+p.ID+"/uat-sessions/"+mine.Session.ID+"/close", nil)
				Expect(r.status).To(Equal(http.StatusConflict))
				Expect(tokenCall(mine.Session.BaseURL, mine.Credentials.ClientID, mine.Credentials.APIKey)).To(Equal(http.StatusNotFound))
				Expect(h.getUAT(otherTok, other.ID, theirs.Session.ID).State).To(Equal("open"))

				// Offline: the session's own recording, graded again from an upload.
				r = h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+mine.Session.ID+"/artifacts/recording.har", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				har := r.body
				r = uploadHAR(h, tok, p.ID, "collections", "acme.har", har)
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var graded server.UATSessionJSON
				r.json(&graded)
				Expect(graded.Source).To(Equal("har"))
				Expect(graded.State).To(Equal("closed"))
				Expect(graded.Verdict).NotTo(BeEmpty())
				Expect(graded.EndReason).To(ContainSubstring("acme.har"))
				var arts []server.ArtifactJSON
				h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions/"+graded.ID+"/artifacts", nil).json(&arts)
				Expect(arts).To(ContainElement(HaveField("Name", "recording.har")))
				Expect(arts).To(ContainElement(HaveField("Name", "report.html")))

				for _, bad := range []struct {
					api, file string
					data      []byte
					status    int
					says      string
				}{
					{"collections", "notes.txt", []byte("hello"), http.StatusBadRequest, "not a HAR"},
					{"collections", "x.har", []byte(`{"log":{"entries":"no"}}`), http.StatusBadRequest, "not a HAR"},
					{"webhooks", "x.har", har, http.StatusBadRequest, "unknown API"},
					{"", "x.har", har, http.StatusBadRequest, "unknown API"},
					{"collections", "big.har", bytes.Repeat([]byte("x"), uatMaxHAR+1), http.StatusRequestEntityTooLarge, "exceeds 256 KiB"},
				} {
					r := uploadHAR(h, tok, p.ID, bad.api, bad.file, bad.data)
					Expect(r.status).To(Equal(bad.status), bad.file+": "+string(r.body))
					var e server.APIError
					r.json(&e)
					Expect(e.Error).To(ContainSubstring(bad.says))
				}
				r = uploadHAR(h, tok, other.ID, "collections", "x.har", har)
				Expect(r.status).To(Equal(http.StatusNotFound), "another partner's id")
				r = h.api(tok, "POST", "/partners/"+p.ID+"/uat-sessions/har", map[string]any{"har": "x"})
				Expect(r.status).To(Equal(http.StatusUnsupportedMediaType))

				var list []server.UATSessionJSON
				h.api(tok, "GET", "/partners/"+p.ID+"/uat-sessions", nil).json(&list)
				Expect(list).To(HaveLen(2))
				Expect(h.log.String()).NotTo(ContainSubstring("level=ERROR"))
			})

			It("does not certify a HAR upload without the API's traffic, and refuses one for an API the partner is not registered for", func() {
				solo := h.partner("Solo Collect", "collections")
				_, tok := h.partnerUser(solo.ID, "dev@solo.example")
				tokenOnly := []byte(`{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
				 {"startedDateTime":"2026-01-02T10:00:00Z","time":5,
				  "request":{"method":"POST","url":"https://api.example/v1/token","httpVersion":"HTTP/1.1",
				    "headers":[{"name":"client-id","value":"merchant-7"},{"name":"api-key","value":"k3y-very-secret"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
				  "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],
				    "content":{"size":10,"mimeType":"application/json","text":"{\"token\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\",\"tokenType\":\"Bearer\",\"expiresIn\":3600}"},"redirectURL":"","headersSize":-1,"bodySize":10},
				  "cache":{},"timings":{"send":0,"wait":5,"receive":0}}]}}`)

				r := uploadHAR(h, tok, solo.ID, "collections", "token.har", tokenOnly)
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var graded server.UATSessionJSON
				r.json(&graded)
				Expect(graded.Verdict).To(Equal(string(results.NotTestable)))
				r = h.api(tok, "GET", "/partners/"+solo.ID+"/uat-sessions/"+graded.ID+"/results", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				Expect(string(r.body)).To(ContainSubstring("the recording holds no request of the collections API"))

				for _, bad := range []struct {
					api  string
					data []byte
					says string
				}{
					{"payouts", tokenOnly, `API "payouts" is not registered for this partner (registered: collections)`},
					{"collections", []byte(`{"log":{"entries":[{"request":"x"}]}}`), "entry 0: request: want an object"},
				} {
					r := uploadHAR(h, tok, solo.ID, bad.api, "x.har", bad.data)
					Expect(r.status).To(Equal(http.StatusBadRequest), string(r.body))
					var e server.APIError
					r.json(&e)
					Expect(e.Error).To(ContainSubstring(bad.says))
					Expect(e.Error).NotTo(ContainSubstring("\n"))
					Expect(e.Error).NotTo(MatchRegexp(`Go struct|harRequest|uat\.`))
				}
				var list []server.UATSessionJSON
				h.api(tok, "GET", "/partners/"+solo.ID+"/uat-sessions", nil).json(&list)
				Expect(list).To(HaveLen(1), "a refused upload stores nothing")
			})

			It("marks open sessions interrupted at a restart: never lost, never shown passed", func() {
				o := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"payouts"}})
				Expect(tokenCall(o.Session.BaseURL, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(http.StatusOK))
				// A session the previous process left open in the store (a crash).
				crashed, err := h.st.OpenUATSession(h.ctx, store.System(), p.ID, []string{"collections"})
				Expect(err).NotTo(HaveOccurred())

				h.restart()
				u := h.getUAT(h.adminTok, p.ID, o.Session.ID)
				Expect(u.State).To(Equal("interrupted"))
				Expect(u.Verdict).NotTo(BeElementOf(string(results.Certified), string(results.CertifiedWithObservations)))
				c := h.getUAT(h.adminTok, p.ID, crashed.ID)
				Expect(c.State).To(Equal("interrupted"))
				Expect(c.Verdict).To(BeEmpty())
				Expect(c.EndReason).To(ContainSubstring("restarted"))
				// The new process (on a new address) serves nothing at the old session's path.
				Expect(tokenCall(h.url+server.UATPrefix+o.Session.ID, o.Credentials.ClientID, o.Credentials.APIKey)).To(Equal(http.StatusNotFound))
				r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/uat-sessions/"+crashed.ID+"/close", nil)
				Expect(r.status).To(Equal(http.StatusConflict))
				done := h.waitUATDone(h.adminTok, p.ID, crashed.ID)
				Expect(done.State).To(Equal("interrupted"))
				var pj server.PartnerJSON
				h.api(h.adminTok, "GET", "/partners/"+p.ID, nil).json(&pj)
				for _, a := range pj.APIs {
					Expect(a.Stage).NotTo(Equal(server.StageUAT))
				}
			})

			It("opens a session from the partner page, shows the credentials once, and ends it at its deadline", func() {
				user, _ := h.partnerUser(p.ID, "dev@acme.example")
				web := h.signIn(user.Email, adminPassword)
				_, page := web.get("/partners/" + p.ID)
				Expect(page).To(ContainSubstring(`action="/partners/` + p.ID + `/uat-sessions"`))
				resp := web.do("POST", "/partners/"+p.ID+"/uat-sessions", url.Values{"api": {"payouts"}, "deadline": {"2s"}, "csrf": {web.csrf}})
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusCreated), string(body))
				Expect(resp.Header.Get("Cache-Control")).To(Equal("no-store"))
				opened := string(body)
				Expect(opened).To(ContainSubstring("Shown once"))
				var list []server.UATSessionJSON
				h.api(h.adminTok, "GET", "/partners/"+p.ID+"/uat-sessions", nil).json(&list)
				Expect(list).To(HaveLen(1))
				id := list[0].ID
				Expect(opened).To(ContainSubstring(list[0].BaseURL))

				done := h.waitUATDone(h.adminTok, p.ID, id)
				Expect(done.State).To(Equal("closed"))
				Expect(done.Message).To(Equal("the deadline passed"))
				_, page = web.get("/partners/" + p.ID + "/uat-sessions/" + id)
				Expect(page).To(ContainSubstring("Verdict"))
				Expect(page).To(ContainSubstring("the deadline passed"))
				Expect(page).NotTo(ContainSubstring("Shown once"))

				bad := web.do("POST", "/partners/"+p.ID+"/uat-sessions", url.Values{"api": {"payouts"}, "deadline": {"soon"}, "csrf": {web.csrf}})
				bad.Body.Close()
				Expect(bad.StatusCode).To(Equal(http.StatusBadRequest))

				// The page's HAR form: multipart, with the form's CSRF token.
				r := h.api(h.adminTok, "GET", "/partners/"+p.ID+"/uat-sessions/"+id+"/artifacts/recording.har", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				harForm := func(csrf string, har []byte) *http.Response {
					var buf bytes.Buffer
					mw := multipart.NewWriter(&buf)
					_ = mw.WriteField("csrf", csrf)
					_ = mw.WriteField(server.HARAPIField, "payouts")
					fw, _ := mw.CreateFormFile(server.HARField, "acme.har")
					_, _ = fw.Write(har)
					_ = mw.Close()
					req, _ := http.NewRequest("POST", h.url+"/partners/"+p.ID+"/uat-sessions/har", &buf)
					req.Header.Set("Content-Type", mw.FormDataContentType())
					req.AddCookie(&http.Cookie{Name: web.cookie.Name, Value: web.cookie.Value})
					resp, err := noRedirect.Do(req)
					Expect(err).NotTo(HaveOccurred())
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					return resp
				}
				resp = harForm(web.csrf, r.body)
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(HavePrefix("/partners/" + p.ID + "/uat-sessions/"))
				_, page = web.get(resp.Header.Get("Location"))
				Expect(page).To(ContainSubstring("graded from a HAR recording"))
				Expect(harForm("0000", r.body).StatusCode).To(Equal(http.StatusForbidden))
				Expect(harForm(web.csrf, bytes.Repeat([]byte("x"), uatMaxHAR+1)).StatusCode).To(Equal(http.StatusRequestEntityTooLarge))
			})
		})
	}
})
