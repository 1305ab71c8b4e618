package main_test

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// uatTimingArgs shorten every scripted wait of a session.
var uatTimingArgs = []string{"--settle-after", "300ms", "--long-processing", "1s", "--hold", "30s",
	"--retry-after", "1s", "--poll-interval", "50ms", "--ack-budget", "5s", "--callbacks-loopback-only"}

func uatTiming() uat.Timing {
	return uat.Timing{Settle: 300 * time.Millisecond, LongProcessing: time.Second, Hold: 30 * time.Second,
		RetryAfter: time.Second, MinPollInterval: 50 * time.Millisecond, AckBudget: 5 * time.Second, ExpireTokenAt: 5}
}

var (
	uatBaseLine = regexp.MustCompile(`UAT session for \S+ at (https?://127\.0\.0\.1:\d+)`)
	uatCredLine = regexp.MustCompile(`(?m)^\s+(client-id|api-key|checksum key):\s+(\S+)$`)
)

// startUAT starts `golive uat` and reads the base URL and credentials it prints.
func startUAT(out string, extra ...string) (*cliRun, string, uat.Credentials) {
	GinkgoHelper()
	args := append([]string{"uat", "--api", "collections", "--partner", "acme", "--listen", "127.0.0.1:0", "--out", out}, uatTimingArgs...)
	s := startGolive(minimalEnv(), append(args, extra...)...)
	DeferCleanup(func() { s.Interrupt(); Eventually(s, exitTimeout).Should(gexec.Exit()) })
	Eventually(s.Out, exitTimeout).Should(gbytes.Say(`Cases to play`), "uat did not start:\n%s", stderr(s))
	m := uatBaseLine.FindStringSubmatch(stdout(s))
	Expect(m).NotTo(BeNil(), stdout(s))
	var cr uat.Credentials
	for _, c := range uatCredLine.FindAllStringSubmatch(stdout(s), -1) {
		switch c[1] {
		case "client-id":
			cr.ClientID = c[2]
		case "api-key":
			cr.APIKey = c[2]
		case "checksum key":
			cr.ChecksumKey = c[2]
		}
	}
	Expect(cr.APIKey).NotTo(BeEmpty())
	return s, m[1], cr
}

var _ = Describe("golive uat", func() {
	It("certifies a correct client and ends by itself with --until-complete", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, base, cr := startUAT(out, "--until-complete")
		c, err := client.New(client.Config{BaseURL: base, APIs: []string{"collections"}, Credentials: cr,
			Timing: uatTiming(), HeldAnswerTimeout: 1500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		Expect(c.Play(ctx)).To(Succeed())
		waitExit(s, exitCertified)
		expectReportSet(out)
		doc := readResults(out)
		Expect(doc.Target.Partner).To(Equal("acme"))
		Expect(doc.ids("fail", "error")).To(BeEmpty())
		Expect(doc.Verdict.Status).To(Equal(verdictCertified))
		Expect(stdout(s)).To(ContainSubstring("every case played"))
		// The credentials were printed once, and are nowhere else.
		for _, secret := range []string{cr.ClientID, cr.APIKey, cr.ChecksumKey} {
			Expect(strings.Count(stdout(s), secret)).To(Equal(1))
			for _, f := range filesUnder(out) {
				data, err := os.ReadFile(f)
				Expect(err).NotTo(HaveOccurred())
				Expect(string(data)).NotTo(ContainSubstring(secret), f)
			}
		}
		Expect(filepath.Join(out, uat.HARFile)).To(BeAnExistingFile())
	})

	It("on Ctrl-C writes complete reports marked interrupted and keeps the exchanges", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, base, cr := startUAT(out)
		c, err := client.New(client.Config{BaseURL: base, APIs: []string{"collections"}, Credentials: cr,
			Timing: uatTiming(), HeldAnswerTimeout: 1500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = c.Play(ctx) }()
		Eventually(s.Out, exitTimeout).Should(gbytes.Say(`ussd-push`))
		s.Interrupt()
		waitExit(s, exitInterrupted)
		cancel()
		<-done
		expectReportSet(out)
		doc := readResults(out)
		Expect(doc.Interrupted).To(BeTrue())
		Expect(doc.Verdict.Status).To(Equal(verdictNotCertified))
		data, err := os.ReadFile(filepath.Join(out, uat.ExchangesFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.Count(string(data), "\n")).To(BeNumerically(">=", 3))
	})

	It("with no traffic until its deadline is not testable: a connection issue", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s, _, _ := startUAT(out, "--deadline", "500ms")
		waitExit(s, exitNotTestable)
		doc := readResults(out)
		it := doc.item("client.collections.traffic")
		Expect(it.Category).To(Equal("connection"))
		Expect(it.Curl).To(ContainSubstring("telnet 127.0.0.1"))
		Expect(doc.Verdict.Reason).To(ContainSubstring("deadline"))
	})
})

var _ = Describe("golive uat without --partner", func() {
	It("says where the session is and that no partner is named, not that it is for \"none\"", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		s := startGolive(minimalEnv(), append([]string{"uat", "--api", "collections", "--listen", "127.0.0.1:0", "--out", out}, uatTimingArgs...)...)
		Eventually(s.Out, exitTimeout).Should(gbytes.Say(`Cases to play`), "uat did not start:\n%s", stderr(s))
		Expect(stdout(s)).To(MatchRegexp(`(?m)^UAT session at http://127\.0\.0\.1:\d+ \(no --partner given: the reports name no partner\)$`))
		Expect(stdout(s)).NotTo(ContainSubstring("none"))
		s.Interrupt()
		Eventually(s, exitTimeout).Should(gexec.Exit())
	})
})

var _ = Describe("golive demo --client", func() {
	It("certifies the reference client, and grading its recording again agrees", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		golive(exitCertified, minimalEnv(), "demo", "--client", "--out", out)
		expectReportSet(out)
		Expect(readResults(out).ids("fail", "error")).To(BeEmpty())

		// The demo's session documents a 100ms poll interval, and its
		// client keeps to it: the recording says so, and is held to it.
		for _, api := range []string{"collections", "payouts"} {
			graded := filepath.Join(GinkgoT().TempDir(), "graded-"+api)
			golive(exitCertified, minimalEnv(), "grade", "--api", api, "--har", filepath.Join(out, uat.HARFile), "--out", graded)
			doc := readResults(graded)
			Expect(doc.ids("fail", "error")).To(BeEmpty(), api)
			Expect(doc.Verdict.Status).To(Equal(verdictCertified), api)
		}

		// --poll-interval, given, still decides.
		graded := filepath.Join(GinkgoT().TempDir(), "graded-1s")
		golive(exitNotCertified, minimalEnv(), "grade", "--api", "collections", "--har", filepath.Join(out, uat.HARFile),
			"--poll-interval", "1s", "--out", graded)
		Expect(readResults(graded).ids("fail", "error")).To(ContainElement(ContainSubstring("poll")))
	})

	It("with a client fault fails exactly its items, and the recording grades the same", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		golive(exitNotCertified, minimalEnv(), "demo", "--client", "--fault", "client-no-status", "--out", out)
		failed := readResults(out).ids("fail", "error")
		sort.Strings(failed)
		Expect(failed).To(Equal([]string{"client.collections.check-status", "client.payouts.check-status"}))

		graded := filepath.Join(GinkgoT().TempDir(), "graded")
		golive(exitNotCertified, minimalEnv(), "grade", "--api", "payouts", "--har", filepath.Join(out, uat.HARFile),
			"--poll-interval", "100ms", "--out", graded)
		Expect(readResults(graded).ids("fail", "error")).To(Equal([]string{"client.payouts.check-status"}))
	})

	It("a recording cut down to a token request, or graded for an API it never called, is not certified", func() {
		out := filepath.Join(GinkgoT().TempDir(), "out")
		golive(exitCertified, minimalEnv(), "demo", "--client", "--out", out)
		raw, err := os.ReadFile(filepath.Join(out, uat.HARFile))
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			Log map[string]any `json:"log"`
		}
		Expect(json.Unmarshal(raw, &doc)).To(Succeed())
		var token, collections []any
		for _, e := range doc.Log["entries"].([]any) {
			u := e.(map[string]any)["request"].(map[string]any)["url"].(string)
			if strings.HasSuffix(u, "/v1/token") && token == nil {
				token = []any{e}
			}
			if !strings.Contains(u, "/v1/payouts") {
				collections = append(collections, e)
			}
		}
		Expect(token).To(HaveLen(1))
		write := func(name string, entries []any) string {
			doc.Log["entries"] = entries
			data, err := json.Marshal(doc)
			Expect(err).NotTo(HaveOccurred())
			path := filepath.Join(GinkgoT().TempDir(), name)
			Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
			return path
		}

		graded := filepath.Join(GinkgoT().TempDir(), "token")
		s := golive(exitNotTestable, minimalEnv(), "grade", "--api", "collections", "--har", write("token.har", token), "--out", graded)
		Expect(stdout(s)).To(ContainSubstring("the recording holds no request of the collections API"))
		Expect(readResults(graded).Verdict.Status).To(Equal(verdictNotTestable))

		graded = filepath.Join(GinkgoT().TempDir(), "wrong-api")
		golive(exitNotTestable, minimalEnv(), "grade", "--api", "payouts", "--har", write("collections.har", collections), "--out", graded)
		Expect(readResults(graded).ids("fail", "error")).To(Equal([]string{"client.payouts.traffic"}))

		// The same recording, of the API it holds, still certifies.
		graded = filepath.Join(GinkgoT().TempDir(), "right-api")
		golive(exitCertified, minimalEnv(), "grade", "--api", "collections", "--har", write("collections.har", collections), "--out", graded)
	})
})

var _ = Describe("client checklist and faults", func() {
	It("golive checklist --client prints the client checklist and the cases", func() {
		s := golive(exitCertified, minimalEnv(), "checklist", "collections", "--client")
		Expect(stdout(s)).To(ContainSubstring("client.collections.check-status"))
		Expect(stdout(s)).To(ContainSubstring("collections.maintenance"))
	})
	It("golive list and golive demo --help name every client fault", func() {
		list := stdout(golive(exitCertified, minimalEnv(), "list"))
		help := stdout(golive(exitCertified, minimalEnv(), "demo", "--help"))
		for _, f := range client.Faults() {
			Expect(list).To(ContainSubstring(f.Name))
			Expect(help).To(ContainSubstring(f.Name))
		}
	})
})

var _ = Describe("uat and grade bad input", func() {
	expectOneLine := func(want string, args ...string) {
		GinkgoHelper()
		s := golive(exitInvalid, minimalEnv(), args...)
		lines := nonEmptyLines(stderr(s))
		Expect(lines).To(HaveLen(1), stderr(s))
		Expect(lines[0]).To(HavePrefix("golive: "))
		Expect(lines[0]).To(ContainSubstring(want))
	}
	It("refuses an unknown API", func() {
		expectOneLine(`unknown API "refunds"`, "uat", "--api", "refunds", "--out", GinkgoT().TempDir())
		expectOneLine(`unknown API "refunds"`, "grade", "--api", "refunds", "--har", "x.har")
	})
	It("refuses a port in use", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		expectOneLine("address already in use", "uat", "--api", "collections", "--listen", ln.Addr().String(), "--out", GinkgoT().TempDir())
	})
	It("refuses a certificate that does not load", func() {
		dir := GinkgoT().TempDir()
		bad := filepath.Join(dir, "cert.pem")
		Expect(os.WriteFile(bad, []byte("not a certificate"), 0o600)).To(Succeed())
		expectOneLine("--tls-cert", "uat", "--api", "collections", "--listen", "127.0.0.1:0", "--tls-cert", bad, "--tls-key", bad, "--out", dir)
	})
	It("refuses a HAR that is not HAR", func() {
		dir := GinkgoT().TempDir()
		bad := filepath.Join(dir, "x.har")
		Expect(os.WriteFile(bad, []byte(`{"hello":"world"}`), 0o600)).To(Succeed())
		expectOneLine("not a HAR recording", "grade", "--api", "collections", "--har", bad, "--out", filepath.Join(dir, "out"))
		Expect(filepath.Join(dir, "out")).NotTo(BeADirectory())
	})
	It("says which HAR field has the wrong shape without Go's type names", func() {
		dir := GinkgoT().TempDir()
		bad := filepath.Join(dir, "x.har")
		Expect(os.WriteFile(bad, []byte(`{"log":{"entries":[{"request":"x"}]}}`), 0o600)).To(Succeed())
		expectOneLine("not a HAR recording: entry 0: request: want an object, not string", "grade", "--api", "collections", "--har", bad, "--out", filepath.Join(dir, "out"))
	})
	It("refuses an unknown client fault", func() {
		expectOneLine(`unknown client fault "client-nope"`, "demo", "--client", "--fault", "client-nope", "--out", GinkgoT().TempDir())
	})
})
