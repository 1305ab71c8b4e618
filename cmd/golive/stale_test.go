package main_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// snapshot reads every file under dir, by path.
func snapshot(dir string) map[string][]byte {
	GinkgoHelper()
	files := map[string][]byte{}
	for _, f := range filesUnder(dir) {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		files[f] = data
	}
	return files
}

// A command line golive refuses (exit 2, nothing sent) must leave the
// evidence of an earlier run in --out as it was: a typo in a re-run must not
// cost a BAU lead the certified pack they were about to file.
var _ = Describe("a refused command line after a certified run in the same --out", Ordered, func() {
	var (
		dir, keep string
		before    map[string][]byte
		target    *countingTarget
	)
	BeforeAll(func() {
		dir = GinkgoT().TempDir()
		keep = filepath.Join(dir, "keep")
		golive(exitCertified, minimalEnv(), "demo", "--out", keep, "--concurrency", "16")
		expectReportSet(keep)
		before = snapshot(keep)
	})
	BeforeEach(func() { target = newCountingTarget() })

	DescribeTable("leaves the evidence pack intact, and verify still passes",
		func(env []string, args func() []string) {
			s := golive(exitInvalid, env, args()...)
			Expect(stderr(s)).To(HavePrefix("golive: "))
			Expect(snapshot(keep)).To(Equal(before), "--out changed")
			golive(exitCertified, minimalEnv(), "verify", keep)
			Expect(target.Requests()).To(BeZero(), "nothing may be sent")
		},
		Entry("run: a target that is not a URL", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", "notaurl", "--out", keep}
		}),
		Entry("run: a spec file that does not exist", credsEnv(), func() []string {
			return []string{"run", "--spec", filepath.Join(dir, "nope.yaml"), "--target", target.URL, "--out", keep}
		}),
		Entry("run: a negative --concurrency", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--concurrency", "-3", "--out", keep}
		}),
		Entry("run: a negative --timeout", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--timeout", "-1s", "--out", keep}
		}),
		Entry("run: an unknown --env", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--env", "prod", "--out", keep}
		}),
		Entry("run: an unknown --format", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--format", "xml", "--out", keep}
		}),
		Entry("run: --var without '='", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--var", "noeq", "--out", keep}
		}),
		Entry("run: a target URL with user information", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", "http://user:pw@127.0.0.1:9", "--out", keep}
		}),
		Entry("run: a ${VAR} that is not set", credsEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--header", "X-Key: ${NOT_SET_ANYWHERE}", "--out", keep}
		}),
		Entry("run: a credential variable the suite needs is not set", minimalEnv(), func() []string {
			return []string{"run", "--spec", "collections", "--target", target.URL, "--out", keep}
		}),
		Entry("run: a suite with an unknown key", credsEnv(), func() []string {
			return []string{"run", "--suite", fixture(dir, "bad-unknown-key.yaml"), "--target", target.URL, "--out", keep}
		}),
		Entry("demo: an unknown --format", minimalEnv(), func() []string {
			return []string{"demo", "--format", "xml", "--out", keep}
		}),
		Entry("demo: a negative --concurrency", minimalEnv(), func() []string {
			return []string{"demo", "--concurrency", "-3", "--out", keep}
		}),
		Entry("demo: an unknown fault", minimalEnv(), func() []string {
			return []string{"demo", "--fault", "nosuch", "--out", keep}
		}),
		Entry("demo --client: an unknown client fault", minimalEnv(), func() []string {
			return []string{"demo", "--client", "--fault", "nosuch", "--out", keep}
		}),
		Entry("uat: an unknown API", minimalEnv(), func() []string {
			return []string{"uat", "--api", "refunds", "--listen", "127.0.0.1:0", "--out", keep}
		}),
		Entry("uat: a negative deadline", minimalEnv(), func() []string {
			return []string{"uat", "--api", "collections", "--listen", "127.0.0.1:0", "--deadline", "-1s", "--out", keep}
		}),
		Entry("uat: a certificate without its key", minimalEnv(), func() []string {
			return []string{"uat", "--api", "collections", "--listen", "127.0.0.1:0", "--tls-cert", "cert.pem", "--out", keep}
		}),
		Entry("grade: a file that is not HAR", minimalEnv(), func() []string {
			bad := filepath.Join(dir, "not.har")
			Expect(os.WriteFile(bad, []byte("not a recording"), 0o644)).To(Succeed())
			return []string{"grade", "--api", "collections", "--har", bad, "--out", keep}
		}),
		Entry("grade: an unknown API", minimalEnv(), func() []string {
			return []string{"grade", "--api", "refunds", "--har", filepath.Join(dir, "x.har"), "--out", keep}
		}),
	)

	It("is replaced by the reports of a run that starts, even one that cannot reach its target", func() {
		golive(exitNotTestable, credsEnv(), "run", "--spec", "collections", "--target", "http://127.0.0.1:9", "--out", keep)
		Expect(readResults(keep).Verdict.Status).To(Equal(verdictNotTestable))
		golive(exitCertified, minimalEnv(), "verify", keep)
	})
})

var _ = Describe("a run's --out", func() {
	It("never touches other files in --out", func() {
		out := GinkgoT().TempDir()
		notes := filepath.Join(out, "notes.txt")
		Expect(os.WriteFile(notes, []byte("mine"), 0o644)).To(Succeed())
		golive(exitInvalid, credsEnv(), "run", "--spec", "collections", "--target", "notaurl", "--out", out)
		Expect(os.ReadFile(notes)).To(Equal([]byte("mine")))
		golive(exitNotTestable, credsEnv(), "run", "--spec", "collections", "--target", "http://127.0.0.1:9", "--out", out)
		Expect(os.ReadFile(notes)).To(Equal([]byte("mine")))
	})
})
