package store_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("the overview's latest runs", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			It("follow runs that finish out of order, and survive re-registering the partner's APIs", func() {
				e := openEnv(b)
				pt, _ := e.partner("Acme")
				var ids []int64
				for range 2 {
					r, err := e.s.EnqueueRun(e.ctx, e.bau, store.NewRun{PartnerID: pt.ID, APIs: []string{"collections"},
						Environment: store.Staging, Source: store.SourceAPI})
					Expect(err).NotTo(HaveOccurred())
					ids = append(ids, r.ID)
					_, ok, err := e.s.ClaimRun(e.ctx, e.sys, "w")
					Expect(err).NotTo(HaveOccurred())
					Expect(ok).To(BeTrue())
				}
				// The newer run finishes first, the older one after it.
				_, err := e.s.CompleteRun(e.ctx, e.sys, ids[1], store.Completion{Results: certifiedDoc()})
				Expect(err).NotTo(HaveOccurred())
				_, err = e.s.CompleteRun(e.ctx, e.sys, ids[0], store.Completion{Results: notCertifiedDoc()})
				Expect(err).NotTo(HaveOccurred())
				check := func() {
					GinkgoHelper()
					ov, err := e.s.PartnersOverview(e.ctx, e.bau)
					Expect(err).NotTo(HaveOccurred())
					Expect(ov).To(HaveLen(1))
					var col *store.APIStatus
					for i := range ov[0].APIs {
						if ov[0].APIs[i].API == "collections" {
							col = &ov[0].APIs[i]
						}
					}
					Expect(col).NotTo(BeNil())
					Expect(col.Latest.ID).To(Equal(ids[1]))
					Expect(col.LatestDone.ID).To(Equal(ids[1]))
					Expect(col.LatestDone.Verdict).To(Equal(results.Certified))
				}
				check()
				Expect(e.s.SetPartnerAPIs(e.ctx, e.bau, pt.ID, []string{"payouts", "collections"})).To(Succeed())
				check()
			})
		})
	}
})
