package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// Distinctive stored credentials: every one of them must be masked
// wherever a run writes or shows something.
const (
	storedClientID    = "cid-Zq7wK2mPx9-distinct"
	storedAPIKey      = "ak-R4nT8vLq2Y-distinct"
	storedChecksumKey = "ck-H6sJ3dWe5N-distinct"
)

var _ = Describe("a partner's stored credentials", func() {
	for _, backend := range backends() {
		It("are masked in every artifact, event and page of a run that uses them, on "+backend, func() {
			h := startHub(backend)
			sb, err := sandbox.New(sandbox.WithSettleAfter(50*time.Millisecond),
				sandbox.WithCredentials(storedClientID, storedAPIKey), sandbox.WithChecksumKey(storedChecksumKey))
			Expect(err).NotTo(HaveOccurred())
			ts := httptest.NewServer(sb)
			DeferCleanup(func() { ts.Close(); sb.Close() })

			r := h.api(h.adminTok, "POST", "/partners", map[string]any{"name": "Masked Co", "apis": []string{"collections", "payouts"}})
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			var p server.PartnerJSON
			r.json(&p)
			r = h.api(h.adminTok, "PUT", "/partners/"+p.ID+"/environments/staging", map[string]any{
				"baseUrl": ts.URL, "credentials": map[string]string{"clientId": storedClientID,
					"apiKey": storedAPIKey, "checksumKey": storedChecksumKey}})
			Expect(r.status).To(Equal(http.StatusOK), string(r.body))

			// The hub's first run is run 1: its events are heard from the
			// start, whichever worker takes it how soon.
			events, cancel := h.srv.SubscribeRun(1)
			defer cancel()
			heard := make(chan []server.Event, 1)
			go func() {
				var all []server.Event
				for ev := range events {
					all = append(all, ev)
				}
				heard <- all
			}()
			id := h.startRun(h.adminTok, p.ID, nil)
			Expect(id).To(Equal(int64(1)))
			run := h.waitRun(id)
			// The run passes only if the hub really sent every credential
			// (the sandbox accepts these and no others, and signs its
			// callbacks with the checksum key).
			Expect(run.State).To(Equal(store.RunDone), run.Failure)
			Expect(run.Verdict).To(Equal(results.Certified))
			var all []server.Event
			Eventually(heard, "1m").Should(Receive(&all))
			Expect(all).NotTo(BeEmpty())
			Expect(all[len(all)-1].Kind).To(Equal(server.EventDone))

			seen := map[string]string{}
			raw, err := json.Marshal(all)
			Expect(err).NotTo(HaveOccurred())
			seen["the run's events"] = string(raw)
			arts, err := h.st.ListArtifacts(h.ctx, store.System(), id)
			Expect(err).NotTo(HaveOccurred())
			Expect(arts).To(HaveLen(4))
			for _, a := range arts {
				_, content, err := h.st.GetArtifact(h.ctx, store.System(), id, a.Name)
				Expect(err).NotTo(HaveOccurred())
				seen[a.Name] = string(content)
			}
			results, err := h.st.RunResults(h.ctx, store.System(), id)
			Expect(err).NotTo(HaveOccurred())
			seen["stored results.json"] = string(results)
			// The CLI's masking is there: the credential headers show ****.
			Expect(seen["results.json"]).To(ContainSubstring(`****`))
			run1 := strconv.FormatInt(id, 10)
			for _, path := range []string{"/runs/" + run1, "/runs/" + run1 + "/results", "/runs/" + run1 + "/events",
				"/partners/" + p.ID, "/audit"} {
				seen["GET /api/v1"+path] = string(h.api(h.adminTok, "GET", path, nil).body)
			}
			b := h.signIn("admin@bau.example", adminPassword)
			for _, path := range []string{"/runs/" + run1, "/runs/" + run1 + "/report", "/partners/" + p.ID, "/audit"} {
				_, page := b.get(path)
				seen["page "+path] = page
			}
			seen["the hub's log"] = h.log.String()
			for where, text := range seen {
				for _, secret := range []string{storedClientID, storedAPIKey, storedChecksumKey} {
					Expect(strings.Contains(text, secret)).To(BeFalse(), "%s shows the stored credential %q", where, secret)
				}
			}
		})
	}
})
