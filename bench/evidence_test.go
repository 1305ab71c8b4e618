package bench

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Bounded evidence (issues 12 and 13): sizes and resident memory only; no
// timing is asserted. The full-size figures (1,300 checks, 8 polling items
// for 10 s) are in docs/performance.md; these runs are smaller so the suite
// stays quick on a shared machine, and the bounds are the same.
var _ = Describe("bounded evidence", func() {
	ctx := context.Background()

	It("keeps the reports small and memory flat when every answer is a 1 MiB body", func() {
		res, err := MeasureLargeBodies(ctx, 300, 1<<20)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("%d checks x 1 MiB: results.json %d B, report.html %d B, %d problems, RSS %d -> %d MiB\n",
			res.Checks, res.ResultsJSON, res.ReportHTML, res.Problems, res.RSSStart>>20, res.RSSPeak>>20)
		Expect(res.Failed).To(Equal(300), "every answer breaks the document")
		Expect(res.Problems).To(Equal(1), "one violation, one problem")
		Expect(res.ReportHTML).To(BeNumerically("<", 10<<20/1300*300), "on course for under 10 MB at 1,300 checks")
		Expect(res.ResultsJSON).To(BeNumerically("<", 300*3*4096+1<<20), "bodies capped at 4 KiB each")
		if res.RSSPeak > 0 {
			Expect(res.RSSPeak - res.RSSStart).To(BeNumerically("<", uint64(256<<20)))
		}
	})

	It("keeps a poll's memory flat: 8 items polling a 1 MB body", func() {
		res, err := MeasurePollMemory(ctx, 8, 1_000_000, 2*time.Second, 20*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("8 polls x 1 MB: %d attempts, results.json %d B, RSS %d -> %d MiB, overrun %s\n",
			res.Attempts, res.ResultsJSON, res.RSSStart>>20, res.RSSPeak>>20, res.MaxOverrun)
		Expect(res.Attempts).To(BeNumerically(">", 8*3), "each item polled several times")
		Expect(res.ResultsJSON).To(BeNumerically("<", 8*64<<10+1<<20), "within the per-item evidence budget")
		if res.RSSPeak > 0 {
			Expect(res.RSSPeak - res.RSSStart).To(BeNumerically("<", uint64(256<<20)))
		}
	})
})
