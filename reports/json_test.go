package reports_test

import (
	"bytes"
	"encoding/json"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

var _ = Describe("WriteJSON", func() {
	It("round-trips the run exactly, hostile target text included", func() {
		run := fixtureRun()
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, run)).To(Succeed())

		var back results.Run
		Expect(json.Unmarshal(buf.Bytes(), &back)).To(Succeed())
		Expect(&back).To(Equal(run))
		Expect(back.Items[1].Actual).To(ContainSubstring(ansiTrap))
	})

	It("writes indented JSON tagged with the schema version", func() {
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, fixtureRun())).To(Succeed())
		Expect(buf.String()).To(HavePrefix("{\n  \"schema\": \"golive.results/v1\",\n"))
		Expect(buf.String()).To(ContainSubstring(xssScript), "bodies stay readable, not \\u003c-escaped")
	})

	It("fills in the schema and writes empty lists as [] without touching the caller's run", func() {
		run := &results.Run{RunID: "empty"}
		var buf bytes.Buffer
		Expect(reports.WriteJSON(&buf, run)).To(Succeed())

		var doc map[string]any
		Expect(json.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("schema", results.Schema))
		Expect(doc).To(HaveKeyWithValue("items", BeEmpty()))
		Expect(doc["items"]).NotTo(BeNil())
		Expect(doc["apis"]).NotTo(BeNil())
		Expect(run.Schema).To(BeEmpty())
		Expect(run.Items).To(BeNil())
	})
})

var _ = Describe("every writer", func() {
	DescribeTable("returns an error that names the file",
		func(write func(*bytes.Buffer, *results.Run) error, name string) {
			Expect(write(nil, nil)).To(MatchError(ContainSubstring(name)))
		},
		Entry("JSON, nil run", func(w *bytes.Buffer, r *results.Run) error { return reports.WriteJSON(w, r) }, "results.json"),
		Entry("JUnit, nil run", func(w *bytes.Buffer, r *results.Run) error { return reports.WriteJUnit(w, r) }, "junit.xml"),
		Entry("HTML, nil run", func(w *bytes.Buffer, r *results.Run) error { return reports.WriteHTML(w, r) }, "report.html"),
	)

	It("passes on the destination's write error", func() {
		w := failingWriter{}
		Expect(reports.WriteJSON(w, fixtureRun())).To(MatchError(errDiskFull))
		Expect(reports.WriteJUnit(w, fixtureRun())).To(MatchError(errDiskFull))
		Expect(reports.WriteHTML(w, fixtureRun())).To(MatchError(errDiskFull))
	})
})

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }
