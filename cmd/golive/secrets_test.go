package main_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/sandbox"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const plantedSecret = "planted-secret-7f3a9c"

// secretValues must never be written anywhere: not on stdout or stderr, not
// in any byte of any report.
var secretValues = []string{sandboxAPIKey, plantedSecret}

// expectNoSecrets scans the run's output and every file under out.
func expectNoSecrets(session *cliRun, out string) {
	GinkgoHelper()
	sources := map[string][]byte{
		"stdout": session.Out.Contents(),
		"stderr": session.Err.Contents(),
	}
	files := filesUnder(out)
	Expect(files).NotTo(BeEmpty(), "the run wrote no reports to scan")
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		sources[f] = data
	}
	for where, data := range sources {
		for _, secret := range secretValues {
			Expect(bytes.Contains(data, []byte(secret))).To(BeFalse(), "%s contains the secret %q", where, secret)
		}
	}
}

var _ = Describe("secrets", func() {
	var out string
	BeforeEach(func() { out = filepath.Join(GinkgoT().TempDir(), "out") })

	// The env holds the api key and a partner secret the run sends as a header.
	secretEnv := func() []string { return credsEnv("PARTNER_SECRET=" + plantedSecret) }
	secretHeader := "X-Partner-Secret: ${PARTNER_SECRET}"

	It("never appear in output or reports of a failing run; curl lines refer to them by variable", func() {
		target := startSandbox("--fault", "no-validation")
		session := golive(exitNotCertified, secretEnv(),
			"run", "--spec", "collections", "--spec", "payouts", "--target", target, "--out", out,
			"--header", secretHeader, "--concurrency", "16")
		expectNoSecrets(session, out)

		doc := expectConsistentReports(out, session.ExitCode(), session)
		var curls []string
		for _, it := range doc.notPassed() {
			if it.Curl != "" {
				curls = append(curls, it.Curl)
			}
		}
		Expect(curls).NotTo(BeEmpty(), "the failures carry curl lines to check")
		for _, c := range curls {
			Expect(c).To(ContainSubstring(`'X-Partner-Secret: '"${PARTNER_SECRET}"`))
			Expect(c).To(ContainSubstring(`'Authorization: Bearer '"${GOLIVE_TOKEN}"`))
		}
		Expect(stdout(session)).To(ContainSubstring("${PARTNER_SECRET}"), "the terminal's reproduce lines too")

		// Every recorded exchange masks the credentials it sent.
		exchanges := 0
		for _, it := range doc.Items {
			for _, ex := range it.Exchanges {
				exchanges++
				for name, value := range ex.Request.Headers {
					switch strings.ToLower(name) {
					case "x-partner-secret", "api-key":
						Expect(value).To(Equal("****"), "%s header %s", it.ID, name)
					case "authorization":
						Expect(value).To(MatchRegexp(`^(Bearer )?\*\*\*\*$`), "%s header %s", it.ID, name)
					}
				}
			}
		}
		Expect(exchanges).To(BeNumerically(">", 0))
	})

	It("never appear when results.json goes to stdout", func() {
		target := startSandbox("--fault", "no-validation")
		session := golive(exitNotCertified, secretEnv(),
			"run", "--spec", "collections", "--target", target, "--out", out,
			"--header", secretHeader, "--concurrency", "16", "--format", "json")
		expectNoSecrets(session, out)
		Expect(parseResults(session.Out.Contents()).Verdict.Status).To(Equal(verdictNotCertified))
	})

	It("show as ${GOLIVE_API_KEY} in the curl line of a failing token request", func() {
		// A target in maintenance fails the token requests themselves, so the
		// api-key header is in the curl lines.
		target := startSandbox("--fault", "maintenance")
		session := golive(exitNotTestable, secretEnv(),
			"run", "--spec", "collections", "--target", target, "--out", out,
			"--header", secretHeader, "--concurrency", "16")
		expectNoSecrets(session, out)

		doc := readResults(out)
		tok := doc.item("COL-001")
		Expect(tok.Curl).To(ContainSubstring(`'Api-Key: '"${GOLIVE_API_KEY}"`))
		Expect(tok.Curl).To(ContainSubstring(`'X-Partner-Secret: '"${PARTNER_SECRET}"`))
	})

	It("never appear in the demo's reports, which use the sandbox's own api key", func() {
		session := golive(exitNotCertified, minimalEnv(), "demo", "--fault", "no-validation", "--out", out, "--concurrency", "16")
		expectNoSecrets(session, out)
	})

	// BUG: a malformed --var or --header is echoed whole in the error
	// message, so a credential typed in the wrong place lands on stderr (and
	// in CI logs). The code means to prevent it (maskAfterEquals for --var,
	// Redactor.Mask for --header) but masks nothing: --var "=VALUE" is printed
	// whenever it is 24 characters or fewer, and --header masks only secrets
	// registered before the header is parsed, which are none.
	DescribeTable("a malformed flag does not echo the credential in it [BUG]",
		func(flag, value string) {
			target := newCountingTarget()
			session := golive(exitInvalid, credsEnv(),
				"run", "--spec", "collections", "--target", target.URL, "--out", out, flag, value)
			Expect(nonEmptyLines(stderr(session))).To(HaveLen(1))
			Expect(stderr(session)).To(ContainSubstring(flag))
			Expect(stderr(session)).NotTo(ContainSubstring(plantedSecret), "BUG: the malformed %s value is echoed on stderr", flag)
			Expect(target.Requests()).To(BeZero())
		},
		Entry("--var with no name", "--var", "="+plantedSecret),
		Entry("--header with no colon", "--header", "Authorization Bearer "+plantedSecret),
	)
})

// Credentials a partner issued short are credentials all the same.
const (
	shortAPIKey      = "k3Y9"  // 4 characters
	shortChecksumKey = "c5Kq7" // 5 characters
	shortHeaderKey   = "x7Q"   // 3 characters, sent with --header
)

// startShortKeySandbox serves the sandbox (in-process, on loopback) with a
// 4-character API key and a 5-character checksum key, and the fault given.
func startShortKeySandbox(fault string) string {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithCredentials(sandboxClientID, shortAPIKey), sandbox.WithChecksumKey(shortChecksumKey),
		sandbox.WithFault(fault), sandbox.WithSettleAfter(300*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	base, stop, err := sb.Start("127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stop(ctx)
	})
	return base
}

// expectNoShortCredentials scans stdout, stderr and every file under out.
func expectNoShortCredentials(session *cliRun, out string, values ...string) {
	GinkgoHelper()
	files := filesUnder(out)
	Expect(files).To(ContainElements(HaveSuffix("results.json"), HaveSuffix("junit.xml"), HaveSuffix("report.html")))
	sources := map[string][]byte{"stdout": session.Out.Contents(), "stderr": session.Err.Contents()}
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		sources[f] = data
	}
	var leaks []string
	for where, data := range sources {
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				leaks = append(leaks, fmt.Sprintf("%s contains the credential %q", where, v))
			}
		}
	}
	sort.Strings(leaks)
	Expect(leaks).To(BeEmpty())
}

var _ = Describe("short credentials", func() {

	DescribeTable("never appear in any report or on the terminal, however short",
		func(fault string, wantExit int, env func() []string, args ...string) {
			out := filepath.Join(GinkgoT().TempDir(), "out")
			target := startShortKeySandbox(fault)
			all := append([]string{"run", "--spec", "collections", "--spec", "payouts", "--target", target, "--out", out,
				"--concurrency", "16", "--header", "X-Partner-Secret: ${PARTNER_SECRET}"}, args...)
			session := golive(wantExit, env(), all...)
			expectNoShortCredentials(session, out, shortAPIKey, shortChecksumKey, shortHeaderKey)

			// The token requests' curl lines still send the key, by its variable.
			doc := readResults(out)
			var curls []string
			for _, it := range doc.notPassed() {
				curls = append(curls, it.Curl)
			}
			Expect(strings.Join(curls, "\n")).To(ContainSubstring(`${PARTNER_SECRET}`))
		},
		Entry("from the credential environment variables, the token requests failing",
			sandbox.FaultMaintenance, exitNotTestable, func() []string {
				return minimalEnv("GOLIVE_CLIENT_ID="+sandboxClientID, "GOLIVE_API_KEY="+shortAPIKey,
					"GOLIVE_CHECKSUM_KEY="+shortChecksumKey, "PARTNER_SECRET="+shortHeaderKey)
			}),
		Entry("from the credential environment variables, callbacks and validation failing",
			sandbox.FaultNoValidation, exitNotCertified, func() []string {
				return minimalEnv("GOLIVE_CLIENT_ID="+sandboxClientID, "GOLIVE_API_KEY="+shortAPIKey,
					"GOLIVE_CHECKSUM_KEY="+shortChecksumKey, "PARTNER_SECRET="+shortHeaderKey)
			}),
		Entry("from --var NAME=${VAR}", sandbox.FaultMaintenance, exitNotTestable, func() []string {
			return minimalEnv("GOLIVE_CLIENT_ID="+sandboxClientID, "KEY="+shortAPIKey, "CHECKSUM="+shortChecksumKey,
				"PARTNER_SECRET="+shortHeaderKey)
		}, "--var", "apiKey=${KEY}", "--var", "checksumKey=${CHECKSUM}"),
	)
})

var _ = Describe("a short checksum key", func() {
	It("never appears, even when a webhook receiver echoes it back", func() {
		// A careless receiver that refuses every event and says which key
		// it checked with: the key must be masked in everything golive writes.
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"checksum mismatch","debug":{"key":%q,"header":%q}}`, shortChecksumKey, r.Header.Get("checksum"))
		}))
		DeferCleanup(receiver.Close)
		out := filepath.Join(GinkgoT().TempDir(), "out")
		session := golive(exitNotCertified, minimalEnv("GOLIVE_CHECKSUM_KEY="+shortChecksumKey),
			"run", "--spec", "webhooks", "--target", receiver.URL, "--out", out, "--concurrency", "16")
		expectNoShortCredentials(session, out, shortChecksumKey)
	})
})
