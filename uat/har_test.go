package uat_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
)

var _ = Describe("HAR grading", func() {
	It("grades a session's own recording with the items traffic can decide", func() {
		p := playSession(sessionOpts{apis: []string{"collections"}, fault: "client-poll-no-pause"})
		f, err := os.Open(filepath.Join(p.out, uat.HARFile))
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		run, err := uat.GradeHARWith("collections", f, uat.HAROptions{Timing: p.timing})
		Expect(err).NotTo(HaveOccurred())
		Expect(idsWith(run, results.Fail, results.Error)).To(Equal([]string{"client.collections.poll-rate"}), describe(run))
		for _, it := range uat.Checklist("collections") {
			if it.LiveOnly {
				got := item(run, it.ID)
				Expect(got.Status).To(Equal(results.Skip), it.ID)
				Expect(got.Message).To(ContainSubstring("needs a live session"))
			}
		}
		Expect(item(run, "client.collections.check-status").Status).To(Equal(results.Pass))
		Expect(item(run, "client.collections.token-refresh").Status).To(Equal(results.Pass))
	})

	It("finds the API's calls under the base path the client was given", func() {
		p := playSession(sessionOpts{apis: []string{"collections"}, fault: "client-poll-no-pause"})
		raw, err := os.ReadFile(filepath.Join(p.out, uat.HARFile))
		Expect(err).NotTo(HaveOccurred())
		// The same traffic as if the client had called a gateway's
		// https://host/payments/v1/... (or a hub's /uat/SESSION/v1/...).
		prefixed := regexp.MustCompile(`("url":\s*"https?://[^/"]+)/v1/`).ReplaceAll(raw, []byte("${1}/payments/v1/"))
		Expect(bytes.Count(prefixed, []byte("/payments/v1/"))).To(BeNumerically(">", 5))

		plain, err := uat.GradeHARWith("collections", bytes.NewReader(raw), uat.HAROptions{Timing: p.timing})
		Expect(err).NotTo(HaveOccurred())
		under, err := uat.GradeHARWith("collections", bytes.NewReader(prefixed), uat.HAROptions{Timing: p.timing})
		Expect(err).NotTo(HaveOccurred())
		Expect(statuses(under)).To(Equal(statuses(plain)))
		Expect(item(under, "client.collections.check-status").Status).To(Equal(results.Pass))
		Expect(under.Target.BaseURL).To(HaveSuffix("/payments"))
	})

	It("says which item needs a live session when the recording lacks the case", func() {
		har := `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[
		 {"startedDateTime":"2026-01-02T10:00:00Z","time":5,
		  "request":{"method":"POST","url":"https://api.example/v1/token","httpVersion":"HTTP/1.1",
		    "headers":[{"name":"client-id","value":"merchant-7"},{"name":"api-key","value":"k3y-very-secret"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
		  "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],
		    "content":{"size":10,"mimeType":"application/json","text":"{\"token\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\",\"tokenType\":\"Bearer\",\"expiresIn\":3600}"},"redirectURL":"","headersSize":-1,"bodySize":10},
		  "cache":{},"timings":{"send":0,"wait":5,"receive":0}},
		 {"startedDateTime":"2026-01-02T10:00:01Z","time":5,
		  "request":{"method":"POST","url":"https://api.example/v1/collections/ussd-push","httpVersion":"HTTP/1.1",
		    "headers":[{"name":"Authorization","value":"Bearer abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},{"name":"Content-Type","value":"application/json"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0,
		    "postData":{"mimeType":"application/json","text":"{\"amount\":1500,\"currency\":\"TZS\",\"orderReference\":\"ORD12345678\",\"phoneNumber\":\"255712345678\"}"}},
		  "response":{"status":400,"statusText":"Bad Request","httpVersion":"HTTP/1.1","headers":[],"cookies":[],
		    "content":{"size":10,"mimeType":"application/json","text":"{\"code\":\"VALIDATION_FAILED\",\"message\":\"x\"}"},"redirectURL":"","headersSize":-1,"bodySize":10},
		  "cache":{},"timings":{"send":0,"wait":5,"receive":0}}]}}`
		run, err := uat.GradeHAR("collections", strings.NewReader(har))
		Expect(err).NotTo(HaveOccurred())
		invalid := item(run, "client.collections.valid-requests")
		Expect(invalid.Status).To(Equal(results.Fail))
		Expect(invalid.Actual).To(ContainSubstring("amount"))
		Expect(item(run, "client.collections.retry-after").Message).To(ContainSubstring("needs a live session"))
		var buf bytes.Buffer
		for _, it := range run.Items {
			for _, ex := range it.Exchanges {
				buf.WriteString(ex.Request.URL + ex.Request.Body + ex.Request.Headers["Authorization"] + ex.Request.Headers["Api-Key"])
			}
		}
		Expect(buf.String()).NotTo(ContainSubstring("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))
	})

	DescribeTable("refuses what is not HAR with a typed error",
		func(input string) {
			_, err := uat.GradeHAR("collections", strings.NewReader(input))
			var notHAR *uat.NotHARError
			Expect(errors.As(err, &notHAR)).To(BeTrue(), "%v", err)
		},
		Entry("not JSON", "GET / HTTP/1.1"),
		Entry("JSON without log", `{"entries":[]}`),
		Entry("log without entries", `{"log":{"version":"1.2"}}`),
		Entry("entry without request", `{"log":{"entries":[{"response":{}}]}}`),
	)

	Context("a recording without the traffic the items need", func() {
		// The client's full flow, recorded by a real session on loopback,
		// then cut down to what a partner might upload.
		var raw []byte
		var timing uat.Timing
		BeforeEach(func() {
			p := playSession(sessionOpts{apis: []string{"collections"}})
			var err error
			raw, err = os.ReadFile(filepath.Join(p.out, uat.HARFile))
			Expect(err).NotTo(HaveOccurred())
			timing = p.timing
		})
		grade := func(api string, keep func(method, path string) bool) *results.Run {
			GinkgoHelper()
			run, err := uat.GradeHARWith(api, bytes.NewReader(keepEntries(raw, keep)), uat.HAROptions{Timing: timing})
			Expect(err).NotTo(HaveOccurred())
			return run
		}

		It("still certifies the whole flow", func() {
			run := grade("collections", func(string, string) bool { return true })
			Expect(run.Verdict.Status).To(Equal(results.Certified), describe(run))
		})

		It("is not testable when it holds only a token request", func() {
			run := grade("collections", func(_, path string) bool { return strings.HasSuffix(path, "/v1/token") })
			Expect(run.Verdict.Status).To(Equal(results.NotTestable), describe(run))
			traffic := item(run, "client.collections.traffic")
			Expect(traffic.Status).To(Equal(results.Fail))
			Expect(traffic.Category).To(Equal(results.Connection))
			Expect(traffic.Message).To(Equal("the recording holds no request of the collections API"))
			Expect(traffic.Actual).To(MatchRegexp(`^only \d+ token request\(s\) \(POST /v1/token\)$`))
			Expect(idsWith(run, results.Pass)).To(BeEmpty())
		})

		It("is not testable for an API it holds no request of", func() {
			run := grade("payouts", func(string, string) bool { return true })
			Expect(run.Verdict.Status).To(Equal(results.NotTestable), describe(run))
			Expect(idsWith(run, results.Fail, results.Error)).To(Equal([]string{"client.payouts.traffic"}))
			Expect(item(run, "client.payouts.traffic").Message).To(ContainSubstring("no request of the payouts API"))
			Expect(idsWith(run, results.Pass)).To(BeEmpty())
		})

		It("is not certified when no payment was initiated, and says what is missing", func() {
			run := grade("collections", func(method, path string) bool {
				return strings.HasSuffix(path, "/v1/token") || strings.HasSuffix(path, "/preview")
			})
			Expect(run.Verdict.Status).To(Equal(results.NotCertified), describe(run))
			for _, id := range []string{"check-status", "new-reference", "data-accuracy"} {
				it := item(run, "client.collections."+id)
				Expect(it.Status).To(Equal(results.Fail), id)
				Expect(it.Category).To(Equal(results.Integration), id)
				Expect(it.Message).To(ContainSubstring("the recording lacks the traffic this item needs"), id)
			}
			Expect(item(run, "client.collections.check-status").Actual).To(ContainSubstring("a payment initiated (POST /v1/collections/...)"))
			Expect(item(run, "client.collections.check-status").Expected).To(ContainSubstring("GET /v1/collections/{orderReference}"))
		})

		It("is not certified when no status was queried", func() {
			run := grade("collections", func(method, _ string) bool { return method != "GET" })
			Expect(run.Verdict.Status).To(Equal(results.NotCertified), describe(run))
			Expect(item(run, "client.collections.check-status").Status).To(Equal(results.Fail))
			Expect(item(run, "client.collections.check-status").Actual).To(ContainSubstring("never queried"))
		})
	})

	It("says which HAR field has the wrong shape in HAR's terms, not Go's", func() {
		for input, want := range map[string]string{
			`{"log":{"entries":[{"request":"x"}]}}`:               "entry 0: request: want an object, not string",
			`{"log":"x"}`:                                         "log: want an object, not string",
			`{"log":{"entries":{}}}`:                              "log.entries: want an array, not object",
			`{"log":{"entries":[{"response":{"status":"200"}}]}}`: "entry 0: response.status: want an integer, not string",
			`[1]`: "the document: want an object, not array",
		} {
			_, err := uat.GradeHAR("collections", strings.NewReader(input))
			var notHAR *uat.NotHARError
			Expect(errors.As(err, &notHAR)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(HaveSuffix(want))
			Expect(err.Error()).NotTo(MatchRegexp(`Go |struct|uat\.|harRequest|unmarshal`))
		}
	})

	It("refuses an unknown API with a typed error", func() {
		_, err := uat.GradeHAR("refunds", strings.NewReader(`{"log":{"entries":[]}}`))
		var unknown *uat.UnknownAPIError
		Expect(errors.As(err, &unknown)).To(BeTrue())
	})
})

// statuses is each item's status by id.
func statuses(run *results.Run) map[string]results.Status {
	out := map[string]results.Status{}
	for _, it := range run.Items {
		out[it.ID] = it.Status
	}
	return out
}

// keepEntries is a HAR document with only the entries keep accepts.
func keepEntries(raw []byte, keep func(method, path string) bool) []byte {
	GinkgoHelper()
	var doc map[string]any
	Expect(json.Unmarshal(raw, &doc)).To(Succeed())
	log := doc["log"].(map[string]any)
	kept := []any{}
	for _, e := range log["entries"].([]any) {
		req := e.(map[string]any)["request"].(map[string]any)
		u, err := url.Parse(req["url"].(string))
		Expect(err).NotTo(HaveOccurred())
		if keep(req["method"].(string), u.Path) {
			kept = append(kept, e)
		}
	}
	log["entries"] = kept
	out, err := json.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	return out
}
