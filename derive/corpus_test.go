package derive_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/specs"
)

// corpusDir holds real-world OpenAPI documents (../shared/corpus, or
// $GOLIVE_CORPUS); the specs below skip with a message when it is absent.
func corpusDir() string {
	if dir := os.Getenv("GOLIVE_CORPUS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "shared", "corpus")
}

var _ = Describe("planning real-world documents", func() {
	DescribeTable("plans every document of the corpus without sending anything or crashing",
		func(file string, mayFailToLoad bool) {
			path := filepath.Join(corpusDir(), file)
			if _, err := os.Stat(path); err != nil {
				Skip("corpus document " + path + " is not here (set GOLIVE_CORPUS to the corpus folder)")
			}
			start := time.Now()
			api, err := specs.NewLoader().Load(context.Background(), path)
			loaded := time.Now()
			if err != nil {
				Expect(mayFailToLoad).To(BeTrue(), err.Error())
				Expect(err.Error()).NotTo(ContainSubstring("\n"))
				Expect(err.Error()).To(ContainSubstring(path))
				return
			}
			items, err := derive.Plan(api, derive.Options{Seed: 1})
			Expect(err).NotTo(HaveOccurred())
			planned := time.Now()
			Expect(items).NotTo(BeEmpty())
			counts := map[string]int{}
			skipped := 0
			for _, it := range items {
				counts[strings.TrimPrefix(it.Group, "derived.")]++
				if it.Skip != "" {
					skipped++
				}
				Expect(it.ID).To(MatchRegexp(`^derived\.[A-Za-z0-9_.-]+$`))
			}
			Expect(counts["positive"]).To(Equal(len(api.Operations())), "one positive check per operation")
			Expect(counts["latency"]).To(Equal(1))
			GinkgoWriter.Printf("%s: %d operations, %d checks (%v, %d reported as not generated), load %s, plan %s\n",
				file, len(api.Operations()), len(items), counts, skipped,
				loaded.Sub(start).Round(time.Millisecond), planned.Sub(loaded).Round(time.Millisecond))
		},
		Entry("Stripe (4 MB, form bodies)", "stripe-spec3.yaml", false),
		Entry("Adyen Checkout (OpenAPI 3.1)", "adyen-CheckoutService-v71.json", false),
		Entry("PayPal Orders", "paypal-checkout_orders_v2.json", false),
		Entry("Mojaloop FSPIOP, single file", "mojaloop-fspiop-v2.0-openapi3.yaml", false),
		Entry("Mojaloop FSPIOP, multi-file with relative refs", "mojaloop-fspiop-v2.0-multifile/openapi.yaml", false),
		Entry("Open Banking UK payment initiation", "obuk-payment-initiation-openapi.yaml", false),
		Entry("petstore (3.0)", "oai-v3.0-petstore.yaml", false),
		Entry("tic-tac-toe (3.1, links)", "oai-learn-v3.1-tictactoe.yaml", false),
		Entry("tags example (3.2)", "oai-learn-v3.2-tags-example.yaml", true),
	)
})
