package reports_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

func fileSHA(path string) string {
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func readManifest(dir string) reports.Manifest {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	Expect(err).NotTo(HaveOccurred())
	var m reports.Manifest
	Expect(json.Unmarshal(data, &m)).To(Succeed())
	return m
}

func tempFiles(dir string) []string {
	matches, err := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	Expect(err).NotTo(HaveOccurred())
	return matches
}

var _ = Describe("WriteAll and Verify", func() {
	var (
		dir string
		run *results.Run
	)
	BeforeEach(func() {
		dir = filepath.Join(GinkgoT().TempDir(), "out", "golive-report") // does not exist yet
		run = fixtureRun()
		Expect(reports.WriteAll(dir, run)).To(Succeed())
	})

	It("writes the four files and no temp files", func() {
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf("results.json", "junit.xml", "report.html", "manifest.json"))
	})

	It("writes a manifest with the hash of every file, the run and the specs and suites", func() {
		m := readManifest(dir)
		Expect(m.Schema).To(Equal("golive.manifest/v1"))
		Expect(m.Tool).To(Equal(run.Tool))
		Expect(m.RunID).To(Equal(run.RunID))
		Expect(m.CreatedAt).NotTo(BeZero())
		Expect(m.Files).To(HaveLen(3))
		for _, name := range []string{"results.json", "junit.xml", "report.html"} {
			Expect(m.Files).To(HaveKeyWithValue(name, fileSHA(filepath.Join(dir, name))))
		}
		Expect(m.Specs).To(Equal(map[string]string{"collections": run.APIs[0].SpecSHA256, "payouts": run.APIs[1].SpecSHA256}))
		Expect(m.Suites).To(Equal(map[string]string{"collections": run.APIs[0].SuiteSHA256}))
	})

	It("writes results.json that reads back as the run", func() {
		data, err := os.ReadFile(filepath.Join(dir, "results.json"))
		Expect(err).NotTo(HaveOccurred())
		var back results.Run
		Expect(json.Unmarshal(data, &back)).To(Succeed())
		Expect(&back).To(Equal(run))
	})

	It("verifies untouched reports as intact", func() {
		Expect(reports.Verify(dir)).To(BeEmpty())
	})

	It("detects a tampered file", func() {
		path := filepath.Join(dir, "junit.xml")
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(path, append(data, ' '), 0o644)).To(Succeed())
		Expect(reports.Verify(dir)).To(Equal([]string{"junit.xml"}))
	})

	It("detects missing files, sorted", func() {
		Expect(os.Remove(filepath.Join(dir, "results.json"))).To(Succeed())
		Expect(os.Remove(filepath.Join(dir, "report.html"))).To(Succeed())
		Expect(reports.Verify(dir)).To(Equal([]string{"report.html", "results.json"}))
	})

	It("flags a report dropped from the manifest", func() {
		m := readManifest(dir)
		delete(m.Files, "report.html")
		data, err := json.Marshal(m)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644)).To(Succeed())
		Expect(reports.Verify(dir)).To(Equal([]string{"report.html"}))
	})

	It("refuses a manifest that points outside the directory", func() {
		m := readManifest(dir)
		m.Files["../secret"] = "00"
		data, err := json.Marshal(m)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644)).To(Succeed())
		_, err = reports.Verify(dir)
		Expect(err).To(MatchError(ContainSubstring("../secret")))
	})

	It("fails clearly without a manifest", func() {
		Expect(os.Remove(filepath.Join(dir, "manifest.json"))).To(Succeed())
		_, err := reports.Verify(dir)
		Expect(err).To(MatchError(ContainSubstring("manifest.json")))
	})

	It("replaces the reports of an earlier run in the same directory", func() {
		run.RunID = "second-run"
		Expect(reports.WriteAll(dir, run)).To(Succeed())
		Expect(readManifest(dir).RunID).To(Equal("second-run"))
		Expect(reports.Verify(dir)).To(BeEmpty())
		Expect(tempFiles(dir)).To(BeEmpty())
	})

	It("says where it failed when the directory cannot be created", func() {
		file := filepath.Join(GinkgoT().TempDir(), "a-file")
		Expect(os.WriteFile(file, nil, 0o644)).To(Succeed())
		err := reports.WriteAll(filepath.Join(file, "out"), run)
		Expect(err).To(MatchError(ContainSubstring(file)))
	})
})

var _ = Describe("atomic writes", func() {
	It("replaces an existing file with the complete new content, readable by others", func() {
		dir := GinkgoT().TempDir()
		path := filepath.Join(dir, "report.html")
		Expect(os.WriteFile(path, []byte("old"), 0o600)).To(Succeed())
		Expect(reports.WriteFileAtomic(dir, "report.html", []byte("new"))).To(Succeed())
		Expect(os.ReadFile(path)).To(Equal([]byte("new")))
		info, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode().Perm()).To(Equal(os.FileMode(0o644)))
		Expect(tempFiles(dir)).To(BeEmpty())
	})

	It("removes its temp file and leaves the target alone when the rename fails", func() {
		dir := GinkgoT().TempDir()
		// A non-empty directory where the file should go: rename must fail.
		Expect(os.MkdirAll(filepath.Join(dir, "junit.xml", "keep"), 0o755)).To(Succeed())
		err := reports.WriteFileAtomic(dir, "junit.xml", []byte("<testsuites/>"))
		Expect(err).To(MatchError(ContainSubstring(filepath.Join(dir, "junit.xml"))))
		Expect(tempFiles(dir)).To(BeEmpty())
		Expect(filepath.Join(dir, "junit.xml", "keep")).To(BeADirectory())
	})
})
