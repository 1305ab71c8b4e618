package reports_test

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
)

// Spec-derived checks come from the document, not from the BAU team's
// checklist: the page shows them apart, after the checklist's own items.
var _ = Describe("the checklist table", func() {
	withDerived := func() *results.Run {
		run := fixtureRun()
		derived := run.Items[0]
		derived.ID, derived.Kind, derived.Title = "derived.getThing.positive", "derived", "a valid request gets a documented 2xx"
		run.Items = append(run.Items, derived)
		return run
	}

	It("shows the spec-derived checks in their own section, after the checklist's items", func() {
		page := htmlOf(withDerived())
		checklist := strings.Index(page, `<tbody id="checklist-items"`)
		derived := strings.Index(page, `<tbody id="derived-items"`)
		Expect(checklist).To(BeNumerically(">", 0))
		Expect(derived).To(BeNumerically(">", checklist))
		Expect(page[derived:]).To(ContainSubstring(`data-item-id="derived.getThing.positive"`))
		Expect(page[checklist:derived]).NotTo(ContainSubstring(`data-item-id="derived.getThing.positive"`))
		Expect(page).To(ContainSubstring("Spec-derived checks"))
	})

	It("has one section and no group heading when every item is the checklist's", func() {
		run := fixtureRun()
		kept := run.Items[:0]
		for _, it := range run.Items {
			if it.Kind != "derived" {
				kept = append(kept, it)
			}
		}
		run.Items = kept
		page := htmlOf(run)
		Expect(regexp.MustCompile(`<tbody id="`).FindAllString(page, -1)).To(HaveLen(1))
		Expect(page).NotTo(ContainSubstring(`class="group-head"`))
	})
})

// tableOrder is the checklist table's order: the checklist's own items in
// run order, then the spec-derived checks in run order.
func tableOrder[T any](items []T, derived func(T) bool) []T {
	var own, gen []T
	for _, it := range items {
		if derived(it) {
			gen = append(gen, it)
		} else {
			own = append(own, it)
		}
	}
	return append(own, gen...)
}
