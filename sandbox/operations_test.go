package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
)

var _ = Describe("operations on orders (Transaction, ForceOutcome, ResendCallback)", func() {
	for _, api := range bothAPIs {
		Describe("on "+api.name, func() {
			var (
				c  *catcher
				sb *sandbox.Sandbox
				h  *harness
			)
			// Orders stay PROCESSING for the whole spec unless forced.
			BeforeEach(func() {
				c = newCatcher()
				var err error
				sb, err = sandbox.New(sandbox.WithSettleAfter(time.Hour))
				Expect(err).NotTo(HaveOccurred())
				h = serve(sb, true)
			})
			create := func(phone string, callback bool) string {
				GinkgoHelper()
				ref := newRef()
				body := order(ref, "1500.00", phone)
				if callback {
					body = with(body, "callbackUrl", c.url(ref))
				}
				x := h.call(api.create, request{token: h.token(), body: body})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				return ref
			}
			status := func(ref string) map[string]any {
				GinkgoHelper()
				x := h.call(api.status, request{token: h.token(), params: map[string]string{"orderReference": ref}})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				return x.json()
			}

			It("forces SUCCESS on a PROCESSING order: the status query shows it and the signed callback arrives", func() {
				ref := create("255712345999", true) // would end FAILED on its own
				Expect(status(ref)).To(HaveKeyWithValue("status", "PROCESSING"))
				tx, err := sb.ForceOutcome(ref, "success")
				Expect(err).NotTo(HaveOccurred())
				Expect(tx.API).To(Equal(api.name))
				Expect(tx.Status).To(Equal("SUCCESS"))
				Expect(tx.Forced).To(BeTrue())
				Expect(status(ref)).To(HaveKeyWithValue("status", "SUCCESS"))

				Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(1))
				d := c.deliveries()[0]
				Expect(d.path).To(Equal("/callbacks/" + ref))
				Expect(callbackConforms(api.create, d)).To(Succeed())
				Expect(d.json()).To(HaveKeyWithValue("event", api.successEvent))
				Expect(d.json()).To(HaveKeyWithValue("status", "SUCCESS"))
				Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeTrue())

				got, err := sb.Transaction(ref)
				Expect(err).NotTo(HaveOccurred())
				Expect(got.Status).To(Equal("SUCCESS"))
			})

			It("forces FAILED with the failure event and reason", func() {
				ref := create("255712345678", true)
				tx, err := sb.ForceOutcome(ref, sandbox.OutcomeFailed)
				Expect(err).NotTo(HaveOccurred())
				Expect(tx.FailureReason).To(Equal("INSUFFICIENT_FUNDS"))
				Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(1))
				cb := c.deliveries()[0].json()
				Expect(cb).To(HaveKeyWithValue("event", api.failureEvent))
				Expect(cb).To(HaveKeyWithValue("failureReason", "INSUFFICIENT_FUNDS"))
				Expect(status(ref)).To(HaveKeyWithValue("status", "FAILED"))
			})

			It("refuses to force an order already final, with a typed error, and sends nothing more", func() {
				ref := create("255712345678", true)
				_, err := sb.ForceOutcome(ref, sandbox.OutcomeSuccess)
				Expect(err).NotTo(HaveOccurred())
				Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(1))
				_, err = sb.ForceOutcome(ref, sandbox.OutcomeFailed)
				var fe *sandbox.FinalError
				Expect(errors.As(err, &fe)).To(BeTrue(), "%v", err)
				Expect(fe.Status).To(Equal("SUCCESS"))
				Expect(status(ref)).To(HaveKeyWithValue("status", "SUCCESS"))
				Consistently(c.count).WithTimeout(200 * time.Millisecond).Should(Equal(1))
			})

			It("answers ErrNotFound for an unknown reference and a typed error for a bad outcome", func() {
				_, err := sb.ForceOutcome("ORDnothing", sandbox.OutcomeSuccess)
				Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
				_, err = sb.Transaction("ORDnothing")
				Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
				_, err = sb.ResendCallback(context.Background(), "ORDnothing")
				Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
				var oe *sandbox.OutcomeError
				_, err = sb.ForceOutcome(create("255712345678", false), "maybe")
				Expect(errors.As(err, &oe)).To(BeTrue())
			})

			It("resends a final order's callback, signed, and reports the receiver's answer", func() {
				ref := create("255712345678", true)
				_, err := sb.ForceOutcome(ref, sandbox.OutcomeSuccess)
				Expect(err).NotTo(HaveOccurred())
				Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(1))

				d, err := sb.ResendCallback(context.Background(), ref)
				Expect(err).NotTo(HaveOccurred())
				Expect(d.Err).NotTo(HaveOccurred())
				Expect(d.Status).To(Equal(http.StatusOK))
				Expect(d.URL).To(Equal(c.url(ref)))
				Expect(d.Latency).To(BeNumerically(">", 0))
				Expect(c.count()).To(Equal(2), "delivered again, synchronously")
				again := c.deliveries()[1]
				Expect(verifies(again, sandbox.DefaultChecksumKey)).To(BeTrue())
				Expect(again.json()).To(Equal(c.deliveries()[0].json()), "the same callback")

				By("reporting a receiver's error status as it is")
				c.answer(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
				d, err = sb.ResendCallback(context.Background(), ref)
				Expect(err).NotTo(HaveOccurred())
				Expect(d.Status).To(Equal(http.StatusServiceUnavailable))
			})

			It("reports the connection error when the receiver is gone", func() {
				ref := create("255712345678", true)
				_, err := sb.ForceOutcome(ref, sandbox.OutcomeSuccess)
				Expect(err).NotTo(HaveOccurred())
				Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(1))
				c.srv.Close()
				d, err := sb.ResendCallback(context.Background(), ref)
				Expect(err).NotTo(HaveOccurred())
				Expect(d.Status).To(BeZero())
				Expect(d.Err).To(HaveOccurred())
			})

			It("refuses to resend for an order still PROCESSING or without a callbackUrl", func() {
				_, err := sb.ResendCallback(context.Background(), create("255712345678", true))
				var nf *sandbox.NotFinalError
				Expect(errors.As(err, &nf)).To(BeTrue(), "%v", err)
				_, err = sb.ResendCallback(context.Background(), create("255712345678", false))
				var nc *sandbox.NoCallbackError
				Expect(errors.As(err, &nc)).To(BeTrue(), "%v", err)
				Expect(c.count()).To(BeZero())
			})
		})
	}

	It("never calls back twice when the settle timer and a forced outcome race", func() {
		c := newCatcher()
		sb, err := sandbox.New(sandbox.WithSettleAfter(time.Millisecond))
		Expect(err).NotTo(HaveOccurred())
		h := serve(sb, true)
		tok := h.token()
		var refs []string
		for range 20 {
			ref := newRef()
			x := h.call("initiateUssdPush", request{token: tok, body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", c.url(ref))})
			Expect(x.status).To(Equal(http.StatusOK))
			refs = append(refs, ref)
			_, _ = sb.ForceOutcome(ref, sandbox.OutcomeFailed) // wins or loses the race; either way one callback
		}
		Eventually(c.count).WithTimeout(5 * time.Second).Should(Equal(len(refs)))
		Consistently(c.count).WithTimeout(300 * time.Millisecond).Should(Equal(len(refs)))
		for _, ref := range refs {
			tx, err := sb.Transaction(ref)
			Expect(err).NotTo(HaveOccurred())
			var cb map[string]any
			for _, d := range c.deliveries() {
				if d.path == "/callbacks/"+ref {
					cb = d.json()
				}
			}
			Expect(cb).To(HaveKeyWithValue("status", tx.Status), "the callback agrees with the order")
		}
	})
})
