package store_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("retention", func() {
	for _, b := range backends() {
		Describe(b.name, func() {
			It("prunes old artifacts but never a signed-off run's nor each partner's last good run", func() {
				e := openEnv(b)
				acme, _ := e.partner("Acme")
				globex, _ := e.partner("Globex")
				signed := e.publish(acme.ID, certifiedDoc())
				_, err := e.s.RecordSignOff(e.ctx, e.bau, store.SignOffInput{RunID: signed.ID, Decision: store.DecisionGo,
					EvidenceSHA256: sha("pack")})
				Expect(err).NotTo(HaveOccurred())
				oldGood := e.publish(acme.ID, certifiedDoc())
				lastGood := e.publish(acme.ID, certifiedDoc())
				failing := e.publish(acme.ID, notCertifiedDoc()) // newer, but not good
				onlyFailing := e.publish(globex.ID, notCertifiedDoc())

				n, err := e.s.PruneArtifacts(e.ctx, e.sys, time.Now().Add(time.Hour))
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(int64(3)))
				pruned := func(id int64) bool {
					a, content, err := e.s.GetArtifact(e.ctx, e.bau, id, "report.html")
					Expect(err).NotTo(HaveOccurred())
					Expect(a.SHA256).NotTo(BeEmpty(), "the name and hash stay")
					return content == nil && a.Pruned
				}
				Expect(pruned(signed.ID)).To(BeFalse(), "signed off")
				Expect(pruned(lastGood.ID)).To(BeFalse(), "the partner's last good run")
				Expect(pruned(oldGood.ID)).To(BeTrue())
				Expect(pruned(failing.ID)).To(BeTrue())
				Expect(pruned(onlyFailing.ID)).To(BeTrue())
				_, err = e.s.RunResults(e.ctx, e.bau, oldGood.ID)
				Expect(err).NotTo(HaveOccurred(), "results.json stays")

				By("runs finished after the cutoff keep theirs")
				recent := e.publish(globex.ID, notCertifiedDoc())
				n, err = e.s.PruneArtifacts(e.ctx, e.sys, recent.FinishedAt)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(BeZero())
				Expect(pruned(recent.ID)).To(BeFalse())
			})
		})
	}
})
