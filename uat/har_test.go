package uat_test

import (
	"bytes"
	"errors"
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
