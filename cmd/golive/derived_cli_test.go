package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Spec-derived checks as a user meets them on the command line: --no-derived,
// and an OpenAPI 3.2 document run with no checklist.
var _ = Describe("golive run and the spec-derived checks", func() {
	var (
		dir, out, target string
	)
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		out = filepath.Join(dir, "out")
		target = startSandbox()
	})

	// spec32 writes the OpenAPI 3.2 fixture as tokenapi.yaml, the API name
	// the tokenapi checklist names.
	spec32 := func() string {
		GinkgoHelper()
		data, err := os.ReadFile(filepath.Join("testdata", "tokenapi-oas32.yaml"))
		Expect(err).NotTo(HaveOccurred())
		path := filepath.Join(dir, "tokenapi.yaml")
		Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
		return path
	}
	// credentialHeaders send the sandbox's credentials the way a partner's
	// script would, for an API with no checklist to hold them.
	credentialHeaders := []string{"--header", "client-id: ${GOLIVE_CLIENT_ID}", "--header", "api-key: ${GOLIVE_API_KEY}"}

	openAPIVersions := func() []string {
		GinkgoHelper()
		data, err := os.ReadFile(filepath.Join(out, "results.json"))
		Expect(err).NotTo(HaveOccurred())
		var doc struct {
			APIs []struct {
				OpenAPI string `json:"openapi"`
			} `json:"apis"`
		}
		Expect(json.Unmarshal(data, &doc)).To(Succeed())
		var versions []string
		for _, a := range doc.APIs {
			versions = append(versions, a.OpenAPI)
		}
		return versions
	}

	It("--no-derived runs the built-in checklist alone", func() {
		session := golive(exitCertified, credsEnv(),
			"run", "--spec", "collections", "--target", target, "--out", out, "--concurrency", "16", "--no-derived")
		doc := expectConsistentReports(out, session.ExitCode(), session)
		for _, it := range doc.Items {
			Expect(it.Kind).NotTo(Equal("derived"), it.ID)
			Expect(it.Group).NotTo(HavePrefix("derived."), it.ID)
		}
		Expect(sortedIDs(doc.Items)).To(ConsistOf(suiteItemIDs(builtinSuiteFile("collections"))))
		Expect(doc.ids("fail", "error", "skip")).To(BeEmpty())
	})

	It("runs an OpenAPI 3.2 document with no checklist through its derived checks", func() {
		spec := spec32()
		args := append([]string{"run", "--spec", spec, "--target", target, "--out", out, "--concurrency", "8"}, credentialHeaders...)
		session := golive(exitCertified, credsEnv(), args...)
		Expect(verdictLine(stdout(session))).To(HavePrefix("Verdict: CERTIFIED "))
		Expect(stderr(session)).To(BeEmpty())

		doc := expectConsistentReports(out, session.ExitCode(), session)
		Expect(openAPIVersions()).To(Equal([]string{"3.2.0"}))
		Expect(doc.APIs[0].Name).To(Equal("tokenapi"))
		Expect(doc.Items).NotTo(BeEmpty())
		for _, it := range doc.Items {
			Expect(it.Kind).To(Equal("derived"), it.ID)
			Expect(it.Status).To(Equal("pass"), "%s: %s", it.ID, it.Message)
		}
		Expect(doc.item("derived.generateToken.positive").Status).To(Equal("pass"))
		Expect(sortedIDs(doc.Items)).To(ContainElement(HavePrefix("derived.generateToken.reject-")))

		// The credentials given with --header never reach an artifact.
		for _, name := range []string{"results.json", "junit.xml", "report.html"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.Contains(string(data), sandboxAPIKey)).To(BeFalse(), name)
		}
	})

	It("runs an OpenAPI 3.2 document with its checklist, and --no-derived leaves an API without one its derived checks", func() {
		spec := spec32()
		suite := fixture(dir, "tokenapi-suite.yaml")
		session := golive(exitCertified, credsEnv(),
			"run", "--spec", spec, "--suite", suite, "--target", target, "--out", out, "--concurrency", "8", "--no-derived")
		doc := expectConsistentReports(out, session.ExitCode(), session)
		Expect(openAPIVersions()).To(Equal([]string{"3.2.0"}))
		Expect(sortedIDs(doc.Items)).To(Equal(suiteItemIDs(suite)))
		Expect(doc.ids("fail", "error", "skip")).To(BeEmpty())

		// Without a checklist, --no-derived has nothing else to run.
		out = filepath.Join(dir, "out-no-checklist")
		args := append([]string{"run", "--spec", spec, "--target", target, "--out", out, "--concurrency", "8", "--no-derived"}, credentialHeaders...)
		session = golive(exitCertified, credsEnv(), args...)
		doc = expectConsistentReports(out, session.ExitCode(), session)
		Expect(doc.Items).NotTo(BeEmpty())
		for _, it := range doc.Items {
			Expect(it.Kind).To(Equal("derived"), it.ID)
		}
	})
})
