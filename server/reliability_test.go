package server_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("reliability", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("marks a run cut off by a crash interrupted at the next start: never lost, never passed", func() {
				h := startHub(backend)
				p := h.partner("Crash Co", "collections")
				h.srv.Stop() // no worker of this process may take the run
				run, err := h.st.EnqueueRun(h.ctx, store.PrincipalOf(h.admin), store.NewRun{PartnerID: p.ID,
					APIs: []string{"collections"}, Environment: "staging", Source: store.SourceAPI})
				Expect(err).NotTo(HaveOccurred())
				job, ok, err := h.st.ClaimRun(h.ctx, store.System(), "hub")
				Expect(err).NotTo(HaveOccurred())
				Expect(ok).To(BeTrue())
				Expect(job.Run.ID).To(Equal(run.ID))
				// The process "dies" here, mid-run; a new one starts.
				h.restart()
				r := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(run.ID, 10), nil)
				var got server.RunJSON
				r.json(&got)
				Expect(got.State).To(Equal("interrupted"))
				Expect(got.Verdict).To(BeEmpty())
				Expect(got.Failure).To(ContainSubstring("restart"))
			})

			It("stores a run stopped by a shutdown as interrupted, and keeps queued runs for the next start", func() {
				h := startHub(backend, func(c *server.Config) { c.Workers = 1 })
				p := h.partner("Slow Co", "collections")
				h.endpoint(p.ID, "staging", sandboxTarget("never-final"))
				first := h.startRun(h.adminTok, p.ID, nil)
				events, cancel := h.srv.SubscribeRun(first)
				defer cancel()
				queued := h.startRun(h.adminTok, p.ID, nil)
				for ev := range events {
					if ev.Kind == server.EventItem {
						break // the run is under way
					}
				}
				h.srv.Stop()
				run, err := h.st.GetRun(h.ctx, store.System(), first)
				Expect(err).NotTo(HaveOccurred())
				Expect(run.State).To(Equal(store.RunInterrupted))
				Expect(run.Certified()).To(BeFalse())
				doc, err := h.st.RunResults(h.ctx, store.System(), first)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(doc)).To(ContainSubstring(`"interrupted": true`))
				q, err := h.st.GetRun(h.ctx, store.System(), queued)
				Expect(err).NotTo(HaveOccurred())
				Expect(q.State).To(Equal(store.RunQueued))
			})

			It("fails a run whose reports cannot be written with a clear reason, and shows nothing half-written", func() {
				blocker := filepath.Join(GinkgoT().TempDir(), "not-a-directory")
				Expect(os.WriteFile(blocker, []byte("x"), 0o600)).To(Succeed())
				h := startHub(backend, func(c *server.Config) { c.ScratchDir = blocker })
				p := h.partner("Full Disk Co", "collections")
				run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Expect(run.State).To(Equal(store.RunFailed))
				Expect(run.Failure).To(HavePrefix("reports: "))
				Expect(run.Verdict).To(BeEmpty())
				r := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(run.ID, 10)+"/results", nil)
				Expect(r.status).To(Equal(http.StatusNotFound))
				r = h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(run.ID, 10)+"/artifacts", nil)
				Expect(string(r.body)).To(Equal("[]\n"))
			})

			It("carries out 50 concurrent runs through the bounded pool", func() {
				h := startHub(backend)
				p := h.partner("Busy Co", "collections")
				ids := make([]int64, 50)
				var wg sync.WaitGroup
				for i := range ids {
					wg.Add(1)
					go func() {
						defer GinkgoRecover()
						defer wg.Done()
						ids[i] = h.startRun(h.adminTok, p.ID, nil)
					}()
				}
				wg.Wait()
				for _, id := range ids {
					run := h.waitRun(id)
					Expect(run.State).To(Equal(store.RunDone), run.Failure)
					Expect(run.Verdict).To(Equal(results.Certified))
				}
				r := h.api(h.adminTok, "GET", "/partners/"+p.ID+"/runs?limit=100", nil)
				var runs []server.RunJSON
				r.json(&runs)
				Expect(runs).To(HaveLen(50))
			})

			It("answers bad input to every endpoint with a 4xx and a message, never a 500 or a panic", func() {
				h := startHub(backend, withUAT)
				p := h.partner("Fuzz Co", "collections")
				run := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				sess := h.openUAT(h.adminTok, p.ID, nil)
				web := h.signIn("admin@bau.example", adminPassword)
				garbage := []string{`not json`, `[]`, `{"unknown":1}`, `{"name":123}`, `{"apis":"collections"}`,
					`{"cron":"every day","api":"x"}`, `{"decision":"maybe"}`, `{"baseUrl":"ftp://x"}`, `{"environment":"moon"}`,
					`{}{}`, strings.Repeat("[", 10000)}
				pUser, _ := h.partnerUser(p.ID, "dev@fuzz.example")
				hook := h.webhook(p.ID, "http://127.0.0.1:9/fuzz", "")
				_, _, err := h.st.EnqueueEvent(h.ctx, store.System(), store.OutboxEvent{Event: "run.finished",
					PartnerID: p.ID, Payload: []byte(`{"event":"run.finished"}`), Chats: []store.ChatMessage{{ChatID: 1, Text: "verdict"}}})
				Expect(err).NotTo(HaveOccurred())
				ds, err := h.st.ListDeliveries(h.ctx, store.System(), hook, 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(ds).To(HaveLen(1))
				msgs, err := h.st.ListChatMessages(h.ctx, store.System(), 10)
				Expect(err).NotTo(HaveOccurred())
				Expect(msgs).NotTo(BeEmpty())
				params := []map[string]string{
					{"partner": "nope", "run": "0", "schedule": "nope", "name": "../../etc/passwd", "env": "moon", "user": "nope", "session": "nope", "tool": "nope", "chat": "nope", "webhook": "nope", "delivery": "0", "message": "0", "token": "nope"},
					{"partner": p.ID, "run": strconv.FormatInt(run.ID, 10) + "x", "schedule": "%00", "name": "x", "env": "staging", "user": h.admin.ID, "session": "%00", "tool": "%00", "chat": "%00", "webhook": "%00", "delivery": "%00", "message": "%00", "token": "%00"},
					{"partner": p.ID, "run": strconv.FormatInt(run.ID, 10), "schedule": strings.Repeat("a", 300), "name": "nothing.bin", "env": "staging", "user": "x", "session": sess.Session.ID, "tool": strings.Repeat("t", 300), "chat": strings.Repeat("9", 300), "webhook": strings.Repeat("w", 300), "delivery": strings.Repeat("9", 300), "message": strings.Repeat("9", 300), "token": strings.Repeat("k", 300)},
				}
				// Routes that name a user, a webhook or a delivery also meet ones that exist.
				real := map[string]string{"partner": p.ID, "user": pUser.ID, "webhook": hook, "delivery": strconv.FormatInt(ds[0].ID, 10),
					"message": strconv.FormatInt(msgs[len(msgs)-1].ID, 10), "token": "nope"}
				for _, rt := range h.srv.Routes() {
					key := rt.Method + " " + rt.Pattern
					if key == "POST /logout" {
						continue
					}
					fills := params
					if strings.Contains(rt.Pattern, "{user}") || strings.Contains(rt.Pattern, "{webhook}") || strings.Contains(rt.Pattern, "{message}") {
						fills = append(slices.Clone(params), real)
					}
					for _, fill := range fills {
						path, _ := fillPattern(rt.Pattern, fill)
						for _, g := range garbage {
							var status int
							var body string
							switch rt.Access {
							case server.AccessAPI:
								status, body = rawAPI(h, rt.Method, path, g)
							default:
								status, body = webCall(web, rt.Method, path+"?against=zz&before=-1&limit=x", key+" fuzz")
							}
							Expect(status).To(BeNumerically("<", 500), "%s %s with %q answered %d: %s", rt.Method, path, truncate(g, 40), status, truncate(body, 300))
							if status >= 400 && rt.Access == server.AccessAPI {
								Expect(body).To(ContainSubstring(`"error"`))
							}
							if rt.Method == "GET" {
								break // GET ignores bodies: one try per path
							}
						}
					}
				}
				Expect(h.log.String()).NotTo(ContainSubstring("panic"))
			})
		})
	}
})

func rawAPI(h *hub, method, path, body string) (int, string) {
	GinkgoHelper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Authorization", "Bearer "+h.adminTok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, resp.Body)
	return resp.StatusCode, buf.String()
}
