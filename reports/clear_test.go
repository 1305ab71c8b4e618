package reports_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
)

var _ = Describe("a report pack that cannot be written whole", func() {
	It("leaves no file that claims a verdict, old or new", func() {
		dir := GinkgoT().TempDir()
		Expect(reports.WriteAll(dir, fixtureRun())).To(Succeed())
		// report.html cannot be replaced: a folder stands in its place,
		// as a full disk or a permission problem would stop the write.
		Expect(os.Remove(filepath.Join(dir, "report.html"))).To(Succeed())
		Expect(os.MkdirAll(filepath.Join(dir, "report.html", "x"), 0o755)).To(Succeed())

		Expect(reports.WriteAll(dir, fixtureRun())).NotTo(Succeed())
		for _, name := range []string{"results.json", "junit.xml", "manifest.json"} {
			Expect(filepath.Join(dir, name)).NotTo(BeAnExistingFile(), name)
		}
		Expect(tempFiles(dir)).To(BeEmpty())
	})

	It("Clear removes only the report files", func() {
		dir := GinkgoT().TempDir()
		Expect(reports.WriteAll(dir, fixtureRun())).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)).To(Succeed())
		Expect(reports.Clear(dir)).To(Succeed())
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Name()).To(Equal("notes.txt"))
		Expect(reports.Clear(filepath.Join(dir, "missing"))).To(Succeed())
	})
})
