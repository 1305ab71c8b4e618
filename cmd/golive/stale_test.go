package main_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// A failed run must never leave an earlier run's verdict standing in --out,
// where CI or a BAU lead would take it for this run's.
var _ = Describe("a run that fails after a certified one in the same --out", func() {
	It("leaves no report that claims a verdict, and verify says so", func() {
		out := filepath.Join(GinkgoT().TempDir(), "evidence")
		golive(exitCertified, minimalEnv(), "demo", "--out", out, "--concurrency", "16")
		Expect(filepath.Join(out, "results.json")).To(BeAnExistingFile())
		golive(0, minimalEnv(), "verify", out)

		// Bad input this time: exit 2, nothing sent.
		golive(exitInvalid, credsEnv(), "run", "--spec", "collections", "--target", "http://127.0.0.1:9", "--env", "prod", "--out", out)
		for _, name := range []string{"results.json", "junit.xml", "report.html", "manifest.json"} {
			Expect(filepath.Join(out, name)).NotTo(BeAnExistingFile(), "%s of the earlier run still stands", name)
		}
		s := golive(exitInvalid, minimalEnv(), "verify", out)
		Expect(stderr(s)).To(ContainSubstring("no manifest.json"))
	})

	It("never touches other files in --out", func() {
		out := GinkgoT().TempDir()
		notes := filepath.Join(out, "notes.txt")
		Expect(os.WriteFile(notes, []byte("mine"), 0o644)).To(Succeed())
		golive(exitInvalid, credsEnv(), "run", "--spec", "collections", "--target", "notaurl", "--out", out)
		Expect(os.ReadFile(notes)).To(Equal([]byte("mine")))
	})
})
