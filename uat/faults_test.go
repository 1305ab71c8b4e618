package uat_test

import (
	"sort"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat/client"
)

var _ = Describe("client faults", func() {
	// Each fault fails exactly the items it names, on the API it is played against.
	entries := []TableEntry{}
	for _, f := range client.Faults() {
		entries = append(entries, Entry(f.Name, f))
	}
	DescribeTable("fail exactly the items that point at them",
		func(f client.Fault) {
			p := playSession(sessionOpts{apis: []string{"collections"}, fault: f.Name})
			var want []string
			for _, k := range f.Fails {
				want = append(want, "client.collections."+k)
			}
			sort.Strings(want)
			failed := idsWith(p.run, results.Fail, results.Error)
			Expect(failed).To(Equal(want), "%s", describe(p.run))
			for _, id := range failed {
				it := item(p.run, id)
				Expect(it.Category).To(Equal(results.Integration))
				Expect(it.Remediation).NotTo(BeEmpty())
				Expect(it.FAQ).To(HavePrefix("docs/faq/client.md#"))
			}
			Expect(p.run.Verdict.Status).NotTo(Equal(results.Certified))
		},
		entries,
	)
})

func describe(run *results.Run) string {
	s := ""
	for _, it := range run.Items {
		s += string(it.Status) + " " + it.ID + ": " + it.Message + "\n"
		if it.Status == results.Fail {
			s += "    " + it.Actual + "\n"
		}
	}
	return s
}
