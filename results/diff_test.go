package results_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
)

func runOf(verdict results.VerdictStatus, items ...results.Item) *results.Run {
	return &results.Run{Schema: results.Schema, RunID: "R", Verdict: results.Verdict{Status: verdict}, Items: items}
}

func item(id string, s results.Status) results.Item {
	return results.Item{API: "collections", ID: id, Severity: results.Major, Status: s, Message: id + " " + string(s)}
}

var _ = Describe("comparing two runs", func() {
	DescribeTable("each transition is one change",
		func(before []results.Item, after results.Item, want results.Change) {
			d := results.Compare(runOf(results.Certified, before...), runOf(results.Certified, after))
			Expect(d.Counts[want]).To(Equal(1), "%+v", d.Counts)
			if want != results.Unchanged {
				Expect(d.Items).To(HaveLen(1))
				Expect(d.Items[0].Change).To(Equal(want))
			}
		},
		Entry("pass -> fail", []results.Item{item("A", results.Pass)}, item("A", results.Fail), results.Regressed),
		Entry("pass -> error", []results.Item{item("A", results.Pass)}, item("A", results.Error), results.Regressed),
		Entry("absent -> fail", nil, item("A", results.Fail), results.NewFailure),
		Entry("skip -> fail", []results.Item{item("A", results.Skip)}, item("A", results.Fail), results.NewFailure),
		Entry("fail -> error", []results.Item{item("A", results.Fail)}, item("A", results.Error), results.StillFailing),
		Entry("fail -> pass", []results.Item{item("A", results.Fail)}, item("A", results.Pass), results.Fixed),
		Entry("pass -> skip", []results.Item{item("A", results.Pass)}, item("A", results.Skip), results.NowSkipped),
		Entry("fail -> skip", []results.Item{item("A", results.Fail)}, item("A", results.Skip), results.NowSkipped),
		Entry("absent -> pass", nil, item("A", results.Pass), results.NowPassing),
		Entry("skip -> pass", []results.Item{item("A", results.Skip)}, item("A", results.Pass), results.NowPassing),
		Entry("pass -> pass", []results.Item{item("A", results.Pass)}, item("A", results.Pass), results.Unchanged),
		Entry("skip -> skip", []results.Item{item("A", results.Skip)}, item("A", results.Skip), results.Unchanged),
	)

	It("lists removed items, orders by urgency, and counts regressions", func() {
		before := runOf(results.Certified, item("A", results.Pass), item("B", results.Fail), item("C", results.Pass), item("Z", results.Pass))
		after := runOf(results.NotCertified, item("A", results.Fail), item("B", results.Pass), item("C", results.Pass), item("N", results.Error))
		d := results.Compare(before, after)
		var order []string
		for _, c := range d.Items {
			order = append(order, c.ID+":"+string(c.Change))
		}
		Expect(order).To(Equal([]string{"A:regressed", "N:new-failure", "B:fixed", "Z:removed"}))
		Expect(d.Regressions()).To(Equal(2))
		Expect(d.Verdict).To(BeTrue())
		Expect(d.Counts[results.Unchanged]).To(Equal(1))
		// A fixed item keeps the message it failed with: what was fixed.
		Expect(d.Items[2].Message).To(Equal("B fail"))
	})

	It("matches items by API and id, not by id alone", func() {
		a := item("X", results.Pass)
		b := item("X", results.Fail)
		b.API = "payouts"
		d := results.Compare(runOf(results.Certified, a), runOf(results.Certified, b))
		Expect(d.Counts[results.NewFailure]).To(Equal(1))
		Expect(d.Counts[results.Removed]).To(Equal(1))
	})
})

var _ = Describe("reading a results document back", func() {
	DescribeTable("refuses what is not one, saying why",
		func(doc, says string) {
			_, err := results.Read(strings.NewReader(doc))
			var fe *results.FormatError
			Expect(err).To(BeAssignableToTypeOf(fe))
			Expect(err.Error()).To(ContainSubstring(says))
		},
		Entry("not JSON", "<html>", "invalid JSON"),
		Entry("another schema", `{"schema":"golive.results/v0"}`, `schema "golive.results/v0"`),
		Entry("no schema", `{}`, `schema ""`),
		Entry("a wrong type", `{"schema":"golive.results/v1","items":"x"}`, "field items"),
	)

	It("reads what it wrote, unknown fields allowed", func() {
		run, err := results.Read(strings.NewReader(`{"schema":"golive.results/v1","runId":"AB","future":1,"items":[{"id":"A","status":"pass"}]}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(run.RunID).To(Equal("AB"))
		Expect(run.Items).To(HaveLen(1))
	})
})
