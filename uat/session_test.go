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
