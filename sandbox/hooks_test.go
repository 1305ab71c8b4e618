package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/sandbox"
)

var _ = Describe("hooks for a host that wraps the sandbox", func() {
	It("settles each order after the time its settle rule gives", func() {
		clock := newFakeClock()
		h := clean(sandbox.WithClock(clock.Now), sandbox.WithSettleRule(func(o sandbox.OrderInfo) time.Duration {
			if o.Amount == "7007.00" {
				return time.Minute
			}
			return -1 // the default settle time
		}))
		tok := h.token()
		slow, quick := newRef(), newRef()
		for ref, amount := range map[string]string{slow: "7007.00", quick: "1500.00"} {
			x := h.call("initiateUssdPush", request{token: tok, body: order(ref, amount, "255712345678")})
			Expect(x.status).To(Equal(http.StatusOK))
		}
		clock.Advance(time.Second)
		status := func(ref string) string {
			return h.call("getCollectionStatus", request{token: tok, params: map[string]string{"orderReference": ref}}).str("status")
		}
		Expect(status(quick)).To(Equal("SUCCESS"))
		Expect(status(slow)).To(Equal("PROCESSING"))
		clock.Advance(time.Minute)
		Expect(status(slow)).To(Equal("SUCCESS"))
	})

	It("hands every callback, signed, to the callback sender instead of posting it", func() {
		got := make(chan sandbox.Callback, 1)
		h := clean(sandbox.WithSettleAfter(10*time.Millisecond), sandbox.WithCallbackSender(func(_ context.Context, cb sandbox.Callback) {
			got <- cb
		}))
		ref := newRef()
		body := order(ref, "1500.00", "255712345999")
		body["callbackUrl"] = "https://merchant.example/callback" // not loopback: the sender decides
		Expect(h.call("createPayout", request{token: h.token(), body: body}).status).To(Equal(http.StatusOK))
		var cb sandbox.Callback
		Eventually(got).Should(Receive(&cb))
		Expect(cb.API).To(Equal("payouts"))
		Expect(cb.URL).To(Equal("https://merchant.example/callback"))
		Expect(cb.OrderReference).To(Equal(ref))
		var payload struct{ Status, Checksum string }
		Expect(json.Unmarshal(cb.Body, &payload)).To(Succeed())
		Expect(payload.Status).To(Equal("FAILED"))
		ok, err := callbacks.Verify(cb.Body, sandbox.DefaultChecksumKey, payload.Checksum, "checksum")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
	})
})
