package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("golive diff", Ordered, func() {
	var clean, broken string
	BeforeAll(func() {
		dir := GinkgoT().TempDir()
		clean, broken = filepath.Join(dir, "clean"), filepath.Join(dir, "broken")
		golive(exitCertified, minimalEnv(), "demo", "--out", clean, "--concurrency", "16")
		golive(exitNotCertified, minimalEnv(), "demo", "--fault", "amount-changed", "--out", broken, "--concurrency", "16")
	})

	It("names what regressed and exits 1", func() {
		s := golive(exitNotCertified, minimalEnv(), "diff", clean, filepath.Join(broken, "results.json"))
		Expect(stdout(s)).To(MatchRegexp(`(?m)^regressed\s+critical\s+collections/COL-\S+\s+pass -> fail`))
		Expect(stdout(s)).To(ContainSubstring("CERTIFIED"))
		Expect(stdout(s)).To(MatchRegexp(`\d+ regressed`))
	})

	It("calls the way back fixed and exits 0", func() {
		s := golive(exitCertified, minimalEnv(), "diff", broken, clean, "--format", "json")
		doc := map[string]any{}
		Expect(json.Unmarshal(s.Out.Contents(), &doc)).To(Succeed())
		Expect(doc["counts"]).To(HaveKey("fixed"))
		Expect(doc["counts"]).NotTo(HaveKey("regressed"))
	})

	It("finds nothing changed between a run and itself", func() {
		s := golive(exitCertified, minimalEnv(), "diff", clean, clean)
		Expect(stdout(s)).To(ContainSubstring("No item changed."))
	})

	It("refuses a file that is not a results document, naming it", func() {
		junk := filepath.Join(GinkgoT().TempDir(), "junk.json")
		Expect(os.WriteFile(junk, []byte(`{"hello":1}`), 0o644)).To(Succeed())
		s := golive(exitInvalid, minimalEnv(), "diff", clean, junk)
		Expect(stderr(s)).To(ContainSubstring(junk + ": not a golive results document"))
	})
})
