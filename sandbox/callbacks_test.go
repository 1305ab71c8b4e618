package sandbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/sandbox"
)

// settle is how long orders stay PROCESSING in these tests.
const settle = 300 * time.Millisecond

// canonicalCallback writes a callback's canonical payload by hand (keys
// sorted, compact, no checksum), independently of the callbacks package,
// so a bug there cannot hide one here.
func canonicalCallback(m map[string]any) string {
	reason := "null"
	if r, ok := m["failureReason"].(string); ok {
		reason = strconv.Quote(r)
	}
	return fmt.Sprintf(`{"amount":%q,"channel":%q,"currency":%q,"event":%q,"failureReason":%s,"occurredAt":%q,"orderReference":%q,"status":%q}`,
		m["amount"], m["channel"], m["currency"], m["event"], reason, m["occurredAt"], m["orderReference"], m["status"])
}

func hmacHex(key, data string) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(data))
	return hex.EncodeToString(mac.Sum(nil))
}

// verifies reports whether a callback's checksum verifies under key.
func verifies(d delivery, key string) bool {
	GinkgoHelper()
	sum, _ := d.json()["checksum"].(string)
	ok, err := callbacks.Verify(d.body, key, sum, "checksum")
	Expect(err).NotTo(HaveOccurred())
	return ok
}

var _ = Describe("callbacks", func() {
	for _, api := range bothAPIs {
		Describe("on "+api.name, func() {
			var c *catcher
			BeforeEach(func() { c = newCatcher() })

			// create starts an order that asks for a callback to c.
			create := func(h *harness, tok, amount, phone string) string {
				GinkgoHelper()
				ref := newRef()
				x := h.call(api.create, request{token: tok, body: with(order(ref, amount, phone), "callbackUrl", c.url(ref))})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				return ref
			}
			status := func(h *harness, tok, ref string) map[string]any {
				GinkgoHelper()
				x := h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				return x.json()
			}
			// arrive waits for the n-th callback and returns them all.
			arrive := func(n int) []delivery {
				GinkgoHelper()
				Eventually(c.count).WithTimeout(3 * time.Second).WithPolling(10 * time.Millisecond).Should(Equal(n))
				return c.deliveries()
			}
			// agrees checks a callback against the status query, field by field.
			agrees := func(cb, q map[string]any) {
				GinkgoHelper()
				for _, f := range []string{"orderReference", "amount", "currency", "status", "channel", "failureReason"} {
					Expect(cb).To(HaveKey(f))
					if q[f] == nil {
						Expect(cb[f]).To(BeNil(), "callback field %s", f)
						continue
					}
					Expect(cb[f]).To(Equal(q[f]), "callback field %s", f)
				}
				Expect(cb).To(HaveKeyWithValue("occurredAt", q["updatedAt"]))
			}

			It("POSTs the signed final status once, when the order settles, agreeing with the status query", func() {
				h := clean(sandbox.WithSettleAfter(settle))
				tok := h.token()
				start := time.Now()
				ref := create(h, tok, "1500.50", "255712345678")
				d := arrive(1)[0]
				Expect(d.at.Sub(start)).To(BeNumerically(">=", settle), "not before the order settles")
				Consistently(c.count).WithTimeout(300 * time.Millisecond).Should(Equal(1))
				Expect(d.method).To(Equal(http.MethodPost))
				Expect(d.path).To(Equal("/callbacks/" + ref))
				Expect(d.header.Get("Content-Type")).To(Equal("application/json"))
				Expect(callbackConforms(api.create, d)).To(Succeed())

				cb := d.json()
				Expect(cb).To(HaveKeyWithValue("event", api.successEvent))
				Expect(cb).To(HaveKeyWithValue("amount", "1500.50"), "the amount exactly as sent")
				By("signing the canonical payload with the default checksum key")
				Expect(cb["checksum"]).To(Equal(hmacHex(sandbox.DefaultChecksumKey, canonicalCallback(cb))))
				Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeTrue())
				By("agreeing with the status query")
				q := status(h, tok, ref)
				Expect(q).To(HaveKeyWithValue("status", "SUCCESS"))
				agrees(cb, q)
			})

			It("reports a failed order with its failure event and reason", func() {
				h := clean(sandbox.WithSettleAfter(settle))
				tok := h.token()
				ref := create(h, tok, "1500.00", "255712345999")
				d := arrive(1)[0]
				Expect(callbackConforms(api.create, d)).To(Succeed())
				cb := d.json()
				Expect(cb).To(HaveKeyWithValue("event", api.failureEvent))
				Expect(cb).To(HaveKeyWithValue("status", "FAILED"))
				Expect(cb).To(HaveKeyWithValue("failureReason", "INSUFFICIENT_FUNDS"))
				Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeTrue())
				agrees(cb, status(h, tok, ref))
			})

			It("signs with the key WithChecksumKey sets", func() {
				h := clean(sandbox.WithSettleAfter(settle), sandbox.WithChecksumKey("merchant-42-key"))
				create(h, h.token(), "1500.00", "255712345678")
				d := arrive(1)[0]
				Expect(verifies(d, "merchant-42-key")).To(BeTrue())
				Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeFalse())
			})

			It("calls back a localhost URL", func() {
				h := clean(sandbox.WithSettleAfter(settle))
				ref := newRef()
				url := strings.Replace(c.url(ref), "127.0.0.1", "localhost", 1)
				x := h.call(api.create, request{token: h.token(), body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", url)})
				Expect(x.status).To(Equal(http.StatusOK))
				Expect(arrive(1)[0].path).To(Equal("/callbacks/" + ref))
			})

			It("accepts a callbackUrl off loopback but never calls it", func() {
				h := clean(sandbox.WithSettleAfter(time.Millisecond))
				tok := h.token()
				ref := newRef()
				// TEST-NET-1: reserved for documentation, routed nowhere.
				x := h.call(api.create, request{token: tok, body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", "http://192.0.2.1:9/cb")})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				Eventually(func() any { return status(h, tok, ref)["status"] }).Should(Equal("SUCCESS"))
				// Whether it tried is seen from inside (notifier_internal_test.go).
			})

			It("does not follow a redirect from the callback URL", func() {
				other := newCatcher()
				c.answer(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, other.url("elsewhere"), http.StatusTemporaryRedirect)
				})
				h := clean(sandbox.WithSettleAfter(settle))
				create(h, h.token(), "1500.00", "255712345678")
				arrive(1)
				Consistently(other.count).WithTimeout(300 * time.Millisecond).Should(BeZero())
			})

			It("gives up on a callback endpoint that does not answer within the callback timeout", func() {
				gaveUp := make(chan time.Duration, 1)
				c.answer(func(_ http.ResponseWriter, r *http.Request) {
					start := time.Now()
					select {
					case <-r.Context().Done():
						gaveUp <- time.Since(start)
					case <-time.After(5 * time.Second):
					}
				})
				h := clean(sandbox.WithSettleAfter(10*time.Millisecond), sandbox.WithCallbackTimeout(200*time.Millisecond))
				create(h, h.token(), "1500.00", "255712345678")
				var waited time.Duration
				Eventually(gaveUp).WithTimeout(3 * time.Second).Should(Receive(&waited))
				Expect(waited).To(BeNumerically("<", time.Second))
			})

			Describe("faults", func() {
				It("no-callback: never calls back, though the order settles", func() {
					h := faulty(sandbox.FaultNoCallback, sandbox.WithSettleAfter(settle))
					tok := h.token()
					ref := create(h, tok, "1500.00", "255712345678")
					Consistently(c.count).WithTimeout(settle + 500*time.Millisecond).Should(BeZero())
					Expect(status(h, tok, ref)).To(HaveKeyWithValue("status", "SUCCESS"))
				})

				It("never-final: an order that never settles never calls back", func() {
					h := faulty(sandbox.FaultNeverFinal, sandbox.WithSettleAfter(10*time.Millisecond))
					create(h, h.token(), "1500.00", "255712345678")
					Consistently(c.count).WithTimeout(400 * time.Millisecond).Should(BeZero())
				})

				It("callback-bad-signature: the checksum is over the payload as serialized, not the canonical one", func() {
					h := faulty(sandbox.FaultCallbackBadSignature, sandbox.WithSettleAfter(settle))
					tok := h.token()
					ref := create(h, tok, "1500.00", "255712345678")
					d := arrive(1)[0]
					Expect(callbackConforms(api.create, d)).To(Succeed(), "well-formed, just wrongly signed")
					Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeFalse())
					body := string(d.body)
					unsigned := body[:strings.Index(body, `,"checksum":`)] + "}"
					Expect(d.json()["checksum"]).To(Equal(hmacHex(sandbox.DefaultChecksumKey, unsigned)))
					agrees(d.json(), status(h, tok, ref))
				})

				It("callback-disagrees: the callback reports the amount plus the fee", func() {
					h := faulty(sandbox.FaultCallbackDisagrees, sandbox.WithSettleAfter(settle))
					tok := h.token()
					ref := create(h, tok, "25000.00", "255712345678")
					d := arrive(1)[0]
					Expect(callbackConforms(api.create, d)).To(Succeed())
					Expect(verifies(d, sandbox.DefaultChecksumKey)).To(BeTrue(), "correctly signed, just wrong")
					q := status(h, tok, ref)
					Expect(q).To(HaveKeyWithValue("amount", "25000.00"))
					Expect(d.json()).To(HaveKeyWithValue("amount", "25250.00"), "1% fee on 25000.00")
					Expect(d.json()).To(HaveKeyWithValue("status", q["status"]))
				})

				It("callback-duplicate: sends every callback twice, identical", func() {
					h := faulty(sandbox.FaultCallbackDuplicate, sandbox.WithSettleAfter(settle))
					tok := h.token()
					ref := create(h, tok, "1500.00", "255712345678")
					ds := arrive(2)
					Consistently(c.count).WithTimeout(300 * time.Millisecond).Should(Equal(2))
					Expect(ds[1].body).To(Equal(ds[0].body))
					Expect(verifies(ds[0], sandbox.DefaultChecksumKey)).To(BeTrue())
					agrees(ds[0].json(), status(h, tok, ref))
				})

				It("callback-early: the callback arrives before the initiate response, and agrees with every status query", func() {
					// Without the fault the callback would come 10s later.
					h := faulty(sandbox.FaultCallbackEarly, sandbox.WithSettleAfter(10*time.Second))
					tok := h.token()
					ref := newRef()
					x := h.call(api.create, request{token: tok, body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", c.url(ref))})
					answered := time.Now()
					Expect(x.status).To(Equal(http.StatusOK))
					Expect(x.conformance()).To(Succeed())
					Expect(x.str("status")).To(Equal("PROCESSING"), "the initiate response still says PROCESSING: that is the race")
					ds := c.deliveries()
					Expect(ds).To(HaveLen(1), "delivered while the initiate request was still being answered")
					Expect(ds[0].at).To(BeTemporally("<", answered))
					Expect(verifies(ds[0], sandbox.DefaultChecksumKey)).To(BeTrue())
					q := status(h, tok, ref)
					Expect(q).To(HaveKeyWithValue("status", "SUCCESS"), "the outcome was known at once")
					agrees(ds[0].json(), q)
					Consistently(c.count).WithTimeout(300 * time.Millisecond).Should(Equal(1))
				})
			})
		})
	}

	Describe("stopping", func() {
		var c *catcher
		BeforeEach(func() { c = newCatcher() })

		start := func(sb *sandbox.Sandbox) (*harness, string) {
			GinkgoHelper()
			h := serve(sb, true)
			tok := h.token()
			ref := newRef()
			x := h.call("initiateUssdPush", request{token: tok, body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", c.url(ref))})
			Expect(x.status).To(Equal(http.StatusOK))
			return h, tok
		}

		It("Close drops the callbacks still pending, and may be called again", func() {
			sb, err := sandbox.New(sandbox.WithSettleAfter(settle))
			Expect(err).NotTo(HaveOccurred())
			h, tok := start(sb)
			sb.Close()
			sb.Close()
			Consistently(c.count).WithTimeout(settle + 500*time.Millisecond).Should(BeZero())
			By("still answering requests, calling nobody back")
			ref := newRef()
			x := h.call("initiateUssdPush", request{token: tok, body: with(order(ref, "1.00", "255712345678"), "callbackUrl", c.url(ref))})
			Expect(x.status).To(Equal(http.StatusOK))
			Consistently(c.count).WithTimeout(settle + 300*time.Millisecond).Should(BeZero())
		})

		It("Close cancels a callback being sent and waits for it", func() {
			cancelled := make(chan struct{})
			c.answer(func(_ http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // hangs until the sandbox gives up
				close(cancelled)
			})
			sb, err := sandbox.New(sandbox.WithSettleAfter(10*time.Millisecond), sandbox.WithCallbackTimeout(time.Minute))
			Expect(err).NotTo(HaveOccurred())
			start(sb)
			Eventually(c.count).Should(Equal(1))
			began := time.Now()
			sb.Close()
			Expect(time.Since(began)).To(BeNumerically("<", time.Second))
			Eventually(cancelled).Should(BeClosed())
		})

		It("the stop function of Start stops callbacks too", func() {
			sb, err := sandbox.New(sandbox.WithSettleAfter(settle))
			Expect(err).NotTo(HaveOccurred())
			base, stop, err := sb.Start("127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			h := &harness{base: base, client: http.DefaultClient, strict: true, ops: documented}
			tok := h.token()
			ref := newRef()
			Expect(h.call("createPayout", request{token: tok, body: with(order(ref, "1500.00", "255712345678"), "callbackUrl", c.url(ref))}).status).To(Equal(http.StatusOK))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			Expect(stop(ctx)).To(Succeed())
			Consistently(c.count).WithTimeout(settle + 500*time.Millisecond).Should(BeZero())
		})
	})
})

var _ = Describe("the specs' examples", func() {
	// A partner checks its signing code against the documents' examples:
	// their checksums must verify with the sandbox's key.
	DescribeTable("carry checksums that verify with DefaultChecksumKey",
		func(opID, schema string) {
			doc := documented[opID].api.Doc
			s := doc.Components.Schemas[schema]
			Expect(s).NotTo(BeNil(), schema)
			example := s.Value.Example
			if len(s.Value.Examples) > 0 {
				example = s.Value.Examples[0] // OpenAPI 3.1
			}
			Expect(example).NotTo(BeNil(), "%s has an example", schema)
			body, err := json.Marshal(example)
			Expect(err).NotTo(HaveOccurred())
			sum, _ := example.(map[string]any)["checksum"].(string)
			ok, err := callbacks.Verify(body, sandbox.DefaultChecksumKey, sum, "checksum")
			Expect(err).NotTo(HaveOccurred())
			Expect(ok).To(BeTrue(), "%s example: %s", schema, body)
		},
		Entry("CollectionCallback", "initiateUssdPush", "CollectionCallback"),
		Entry("PayoutCallback", "createPayout", "PayoutCallback"),
		Entry("Event", "receiveEvent", "Event"),
	)
})
