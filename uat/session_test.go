package uat_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
)

var _ = Describe("a session with the reference client", func() {
	It("passes every client item of both APIs, over TLS", func() {
		p := playSession(sessionOpts{apis: []string{"collections", "payouts"}, tls: true})
		for _, it := range p.run.Items {
			Expect(it.Status).To(Equal(results.Pass), "%s: %s\n%s", it.ID, it.Message, it.Actual)
		}
		Expect(p.run.Verdict.Status).To(Equal(results.Certified))
		Expect(p.run.Target.Partner).To(Equal("acme"))
		Expect(p.run.Items).To(HaveLen(2 * len(uat.Checklist("collections"))))

		// Live progress: every case announced once, and the count reached the total.
		var played []string
		last := p.events[len(p.events)-1]
		for _, e := range p.events {
			if e.Kind == uat.EventCase {
				played = append(played, e.Case)
			}
		}
		var want []string
		for _, api := range []string{"collections", "payouts"} {
			for _, c := range uat.Cases(api, p.timing) {
				want = append(want, c.ID)
			}
		}
		Expect(played).To(ConsistOf(want))
		Expect(last.CasesSeen).To(Equal(last.CasesTotal))
	})
})

var _ = Describe("the recording", func() {
	It("masks every credential and token", func() {
		p := playSession(sessionOpts{apis: []string{"collections"}, fault: "client-creds-in-query"})
		data, err := os.ReadFile(filepath.Join(p.out, uat.ExchangesFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring("[token-1]"))
		Expect(strings.Count(string(data), "\n")).To(BeNumerically(">", 20))
	})
})
