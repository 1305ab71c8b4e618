package uat

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The tracker's judgements must not depend on the order in which
// exchanges are recorded: a held answer is recorded when the handler sees
// the client gone, which on a loaded machine can come after the client's
// retry was recorded.
var _ = Describe("tracker: a second payment after a timeout", func() {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	order := orderFields{Amount: TimeoutAmount, Currency: "IDR", Phone: SuccessPhone}
	initiate := func(ref string, at time.Time, clientGone bool) *fact {
		o := order
		o.Ref = ref
		return &fact{at: at, answeredAt: at.Add(time.Second), api: "collections", role: roleInitiate,
			ref: ref, order: o, status: 200, orderStatus: "PROCESSING", clientGone: clientGone, ex: &Exchange{}}
	}
	status := func(ref string, at time.Time) *fact {
		return &fact{at: at, answeredAt: at, api: "collections", role: roleStatus, ref: ref, status: 200,
			orderStatus: "PROCESSING", ex: &Exchange{}}
	}
	// second is what grading counts once every fact is recorded.
	second := func(facts ...*fact) int {
		tr := newTracker(Timing{}, true, false, []string{"collections"})
		for _, f := range facts {
			tr.observe(f)
		}
		a := tr.apis["collections"]
		a.recountSeconds()
		return a.second.n
	}

	timedOut := initiate("ORD-A", t0, true)
	retry := initiate("ORD-B", t0.Add(1500*time.Millisecond), false)

	It("counts a retry with a new reference, recorded after the timed-out answer", func() {
		Expect(second(timedOut, retry)).To(Equal(1))
	})
	It("counts it too when the retry was recorded first", func() {
		Expect(second(retry, timedOut)).To(Equal(1))
	})
	It("counts it once however often the timed-out answer shows", func() {
		Expect(second(retry, timedOut, initiate("ORD-A", t0, true))).To(Equal(1))
	})
	It("does not count a payment of the same payer and amount made before the timeout", func() {
		earlier := initiate("ORD-0", t0.Add(-time.Minute), false)
		Expect(second(earlier, timedOut)).To(Equal(0))
	})
	It("counts it when the client asked about the lost payment only after the retry, in any recorded order", func() {
		late := status("ORD-A", t0.Add(2*time.Second))
		Expect(second(timedOut, retry, late)).To(Equal(1))
		Expect(second(retry, late, timedOut)).To(Equal(1))
		Expect(second(late, retry, timedOut)).To(Equal(1))
	})
	It("does not count a payment made before the timeout, recorded after it", func() {
		earlier := initiate("ORD-0", t0.Add(-time.Minute), false)
		Expect(second(timedOut, earlier)).To(Equal(0))
	})
	It("does not count a new payment once the client asked about the lost one", func() {
		asked := status("ORD-A", t0.Add(1600*time.Millisecond))
		later := initiate("ORD-C", t0.Add(5*time.Second), false)
		Expect(second(asked, timedOut, later)).To(Equal(0))
		Expect(second(timedOut, asked, later)).To(Equal(0))
	})
})
