package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

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
