package sandbox_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
)

var _ = Describe("the clean sandbox", func() {
	Describe("generateToken", func() {
		It("issues a bearer token for the configured credentials", func() {
			h := clean()
			x := h.call("generateToken", request{headers: credentials(sandbox.DefaultClientID, sandbox.DefaultAPIKey)})
			Expect(x.status).To(Equal(http.StatusOK))
			Expect(len(x.str("token"))).To(BeNumerically(">=", 32))
			Expect(x.str("tokenType")).To(Equal("Bearer"))
			Expect(x.json()["expiresIn"]).To(BeEquivalentTo("3600"))
		})

		It("issues a different token each time", func() {
			h := clean()
			Expect(h.token()).NotTo(Equal(h.token()))
		})

		It("reports the configured TTL in expiresIn", func() {
			h := clean(sandbox.WithTokenTTL(90 * time.Second))
			x := h.call("generateToken", request{headers: credentials(sandbox.DefaultClientID, sandbox.DefaultAPIKey)})
			Expect(x.json()["expiresIn"]).To(BeEquivalentTo("90"))
		})

		It("accepts the credentials given with WithCredentials, and only those", func() {
			h := clean(sandbox.WithCredentials("partner-7", "s3cret"))
			Expect(h.call("generateToken", request{headers: credentials("partner-7", "s3cret")}).status).To(Equal(http.StatusOK))
			h.call("generateToken", request{headers: credentials(sandbox.DefaultClientID, sandbox.DefaultAPIKey)}).
				expectError(http.StatusUnauthorized, "UNAUTHORIZED")
		})

		DescribeTable("rejects bad credentials with 401",
			func(headers map[string]string) {
				clean().call("generateToken", request{headers: headers}).expectError(http.StatusUnauthorized, "UNAUTHORIZED")
			},
			Entry("wrong api-key", credentials(sandbox.DefaultClientID, "nope")),
			Entry("wrong client-id", credentials("someone-else", sandbox.DefaultAPIKey)),
			Entry("no api-key", map[string]string{"client-id": sandbox.DefaultClientID}),
			Entry("no client-id", map[string]string{"api-key": sandbox.DefaultAPIKey}),
			Entry("no headers", nil),
		)

		It("lets tokens expire after their TTL", func() {
			clock := newFakeClock()
			h := clean(sandbox.WithClock(clock.Now), sandbox.WithTokenTTL(time.Minute))
			tok := h.token()
			body := order(newRef(), "1500.00", "255712345678")
			Expect(h.call("previewUssdPush", request{token: tok, body: body}).status).To(Equal(http.StatusOK))
			clock.Advance(time.Minute)
			h.call("previewUssdPush", request{token: tok, body: body}).expectError(http.StatusUnauthorized, "UNAUTHORIZED")
		})
	})

	Describe("authentication", func() {
		var h *harness
		BeforeEach(func() { h = clean() })

		for _, opID := range []string{"previewUssdPush", "initiateUssdPush", "getCollectionStatus", "previewPayout", "createPayout", "getPayoutStatus"} {
			DescribeTable(opID+" requires a live bearer token",
				func(headers map[string]string) {
					x := h.call(opID, request{
						headers: headers,
						params:  map[string]string{"orderReference": newRef()},
						body:    order(newRef(), "1500.00", "255712345678"),
					})
					x.expectError(http.StatusUnauthorized, "UNAUTHORIZED")
					Expect(x.header.Get("WWW-Authenticate")).To(HavePrefix("Bearer"))
				},
				Entry("no Authorization header", nil),
				Entry("an unknown token", map[string]string{"Authorization": "Bearer not-a-token-we-issued-0123456789"}),
				Entry("the api-key instead of a token", map[string]string{"Authorization": "Bearer " + sandbox.DefaultAPIKey}),
				Entry("another scheme", map[string]string{"Authorization": "Basic c2FuZGJveDpzYW5kYm94"}),
			)
		}

		It("checks the token before the body, so an anonymous bad request gets 401", func() {
			h.call("initiateUssdPush", request{body: "{not json"}).expectError(http.StatusUnauthorized, "UNAUTHORIZED")
		})
	})

	for _, api := range bothAPIs {
		Describe(api.name, func() {
			var (
				h   *harness
				tok string
			)
			BeforeEach(func() {
				h = clean(sandbox.WithSettleAfter(50 * time.Millisecond))
				tok = h.token()
			})

			status := func(ref string) *exchange {
				return h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
			}

			It("previews a valid order with its fee", func() {
				ref := newRef()
				x := h.call(api.preview, request{token: tok, body: order(ref, "25000.00", "255754000111")})
				Expect(x.status).To(Equal(http.StatusOK))
				Expect(x.str("orderReference")).To(Equal(ref))
				Expect(x.str("amount")).To(Equal("25000.00"))
				Expect(x.str("currency")).To(Equal("TZS"))
				Expect(x.str("fee")).To(Equal("250.00"))
			})

			It("runs initiate -> PROCESSING -> SUCCESS", func() {
				ref := newRef()
				x := h.call(api.create, request{token: tok, body: order(ref, "1500.5", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				created := x.json()
				Expect(created).To(HaveKeyWithValue("status", "PROCESSING"))
				Expect(created).To(HaveKeyWithValue("orderReference", ref))
				Expect(created).To(HaveKeyWithValue("amount", "1500.5"), "the amount is echoed exactly as sent")
				Expect(created).To(HaveKeyWithValue("currency", "TZS"))
				Expect(created).To(HaveKeyWithValue("phoneNumber", "255712345678"))
				Expect(created).To(HaveKeyWithValue("channel", "TIGO-PESA"))
				Expect(created["id"]).To(HavePrefix(api.idPrefix))
				_, err := time.Parse(time.RFC3339, x.str("createdAt"))
				Expect(err).NotTo(HaveOccurred())

				Eventually(func() string { return status(ref).str("status") }).
					WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).
					Should(Equal("SUCCESS"))
				final := status(ref).json()
				Expect(final).To(HaveKeyWithValue("failureReason", BeNil()))
				Expect(final).To(HaveKeyWithValue("id", created["id"]))
				Expect(final).To(HaveKeyWithValue("amount", "1500.5"))
				Expect(final["updatedAt"]).NotTo(BeEmpty())
			})

			It("fails orders from phone numbers ending in 999 with INSUFFICIENT_FUNDS", func() {
				ref := newRef()
				Expect(h.call(api.create, request{token: tok, body: order(ref, "700.00", "255744000999")}).status).To(Equal(http.StatusOK))
				Eventually(func() string { return status(ref).str("status") }).
					WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).
					Should(Equal("FAILED"))
				Expect(status(ref).str("failureReason")).To(Equal("INSUFFICIENT_FUNDS"))
			})

			It("keeps an order PROCESSING until settleAfter has passed", func() {
				clock := newFakeClock()
				h := clean(sandbox.WithClock(clock.Now), sandbox.WithSettleAfter(time.Minute))
				tok := h.token()
				ref := newRef()
				created := h.call(api.create, request{token: tok, body: order(ref, "10.00", "255712345678")})
				get := func() *exchange {
					return h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
				}
				clock.Advance(59 * time.Second)
				Expect(get().json()).To(HaveKeyWithValue("status", "PROCESSING"))
				clock.Advance(time.Second)
				x := get()
				Expect(x.json()).To(HaveKeyWithValue("status", "SUCCESS"))
				Expect(x.str("createdAt")).To(Equal(created.str("createdAt")))
				Expect(x.str("updatedAt")).To(Equal("2026-11-23T09:01:00Z"))
			})

			It("answers a reused orderReference with 409", func() {
				ref := newRef()
				body := order(ref, "1500.00", "255712345678")
				Expect(h.call(api.preview, request{token: tok, body: body}).status).To(Equal(http.StatusOK))
				Expect(h.call(api.preview, request{token: tok, body: body}).status).To(Equal(http.StatusOK), "previews do not use up a reference")
				Expect(h.call(api.create, request{token: tok, body: body}).status).To(Equal(http.StatusOK))
				h.call(api.create, request{token: tok, body: body}).expectError(http.StatusConflict, "DUPLICATE_ORDER_REFERENCE")
				h.call(api.preview, request{token: tok, body: body}).expectError(http.StatusConflict, "DUPLICATE_ORDER_REFERENCE")
			})

			It("answers an unknown orderReference with 404", func() {
				status(newRef()).expectError(http.StatusNotFound, "NOT_FOUND")
			})

			It("answers an orderReference that cannot exist with 404, as the operation documents no 400", func() {
				status("ab").expectError(http.StatusNotFound, "NOT_FOUND")
				status("has%20space").expectError(http.StatusNotFound, "NOT_FOUND")
			})

			DescribeTable("rejects invalid requests with 400 and names the fields",
				func(body any, code string, fields ...string) {
					x := h.call(api.create, request{token: tok, body: body})
					x.expectError(http.StatusBadRequest, code)
					if len(fields) > 0 {
						Expect(x.errorFields()).To(ConsistOf(fields))
					}
				},
				Entry("empty object", map[string]any{}, "VALIDATION_FAILED", "amount", "currency", "orderReference", "phoneNumber"),
				Entry("missing phoneNumber", without(order("ORD123456", "1500.00", "255712345678"), "phoneNumber"), "VALIDATION_FAILED", "phoneNumber"),
				Entry("amount as a number", with(order("ORD123456", "", "255712345678"), "amount", 1500), "VALIDATION_FAILED", "amount"),
				Entry("amount with three decimals", order("ORD123456", "15.001", "255712345678"), "VALIDATION_FAILED", "amount"),
				Entry("negative amount", order("ORD123456", "-5.00", "255712345678"), "VALIDATION_FAILED", "amount"),
				Entry("currency not TZS", with(order("ORD123456", "1500.00", "255712345678"), "currency", "USD"), "VALIDATION_FAILED", "currency"),
				Entry("phone without country code", order("ORD123456", "1500.00", "0712345678"), "VALIDATION_FAILED", "phoneNumber"),
				Entry("orderReference too short", order("ORD12", "1500.00", "255712345678"), "VALIDATION_FAILED", "orderReference"),
				Entry("orderReference with a dash", order("ORD-123456", "1500.00", "255712345678"), "VALIDATION_FAILED", "orderReference"),
				Entry("unknown property", with(order("ORD123456", "1500.00", "255712345678"), "notifyUrl", "http://x"), "VALIDATION_FAILED", "notifyUrl"),
				Entry("callbackUrl not a URL", with(order("ORD123456", "1500.00", "255712345678"), "callbackUrl", "merchant.example/cb"), "VALIDATION_FAILED", "callbackUrl"),
				Entry("callbackUrl not http(s)", with(order("ORD123456", "1500.00", "255712345678"), "callbackUrl", "ftp://127.0.0.1/cb"), "VALIDATION_FAILED", "callbackUrl"),
				Entry("callbackUrl too long", with(order("ORD123456", "1500.00", "255712345678"), "callbackUrl", "http://127.0.0.1/"+strings.Repeat("a", 2048)), "VALIDATION_FAILED", "callbackUrl"),
				Entry("callbackUrl not a string", with(order("ORD123456", "1500.00", "255712345678"), "callbackUrl", 42), "VALIDATION_FAILED", "callbackUrl"),
				Entry("checksum not hex", with(order("ORD123456", "1500.00", "255712345678"), "checksum", "XYZ"), "VALIDATION_FAILED", "checksum"),
				Entry("an array", "[]", "VALIDATION_FAILED", "body"),
				Entry("malformed JSON", `{"amount": "1500.00",`, "INVALID_JSON", "body"),
				Entry("no body", nil, "VALIDATION_FAILED", "body"),
			)

			It("rejects a body that is not application/json", func() {
				x := h.call(api.create, request{token: tok, body: `amount=1500.00`,
					headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
				x.expectError(http.StatusBadRequest, "VALIDATION_FAILED")
				Expect(x.errorFields()).To(ConsistOf("Content-Type"))
			})

			It("rejects a body over 1 MiB", func() {
				body := with(order(newRef(), "1500.00", "255712345678"), "padding", strings.Repeat("x", 2<<20))
				x := h.call(api.create, request{token: tok, body: body})
				x.expectError(http.StatusBadRequest, "VALIDATION_FAILED")
				Expect(x.errorFields()).To(ConsistOf("body"))
			})

			It("accepts a valid checksum and a charset in the content type", func() {
				body := with(order(newRef(), "1500.00", "255712345678"), "checksum", strings.Repeat("ab", 32))
				x := h.call(api.create, request{token: tok, body: body,
					headers: map[string]string{"Content-Type": "application/json; charset=utf-8"}})
				Expect(x.status).To(Equal(http.StatusOK))
			})

			It("keeps at most WithMaxOrders orders, forgetting the oldest", func() {
				h := clean(sandbox.WithMaxOrders(2))
				tok := h.token()
				refs := []string{newRef(), newRef(), newRef()}
				for _, ref := range refs {
					Expect(h.call(api.create, request{token: tok, body: order(ref, "1.00", "255712345678")}).status).To(Equal(http.StatusOK))
				}
				get := func(ref string) int {
					return h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}}).status
				}
				Expect(get(refs[0])).To(Equal(http.StatusNotFound))
				Expect(get(refs[1])).To(Equal(http.StatusOK))
				Expect(get(refs[2])).To(Equal(http.StatusOK))
			})

			It("is safe under concurrent use: one winner per orderReference", func() {
				shared := newRef()
				var (
					wg       sync.WaitGroup
					mu       sync.Mutex
					statuses []int
				)
				for i := range 40 {
					wg.Add(1)
					go func() {
						defer GinkgoRecover()
						defer wg.Done()
						ref := shared
						if i%2 == 1 {
							ref = newRef()
						}
						x := h.call(api.create, request{token: tok, body: order(ref, "5.00", "255712345678")})
						h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
						mu.Lock()
						statuses = append(statuses, x.status)
						mu.Unlock()
					}()
				}
				wg.Wait()
				Expect(statuses).To(HaveLen(40))
				sort.Ints(statuses)
				Expect(statuses[:21]).To(HaveEach(http.StatusOK))
				Expect(statuses[21:]).To(HaveEach(http.StatusConflict))
			})
		})
	}

	Describe("collections specifics", func() {
		var (
			h   *harness
			tok string
		)
		BeforeEach(func() {
			h = clean()
			tok = h.token()
		})

		It("offers all four channels in a preview", func() {
			x := h.call("previewUssdPush", request{token: tok, body: order(newRef(), "1500.00", "255712345678")})
			Expect(x.json()["channels"]).To(ConsistOf(
				map[string]any{"channel": "TIGO-PESA", "status": "AVAILABLE"},
				map[string]any{"channel": "M-PESA", "status": "AVAILABLE"},
				map[string]any{"channel": "AIRTEL-MONEY", "status": "AVAILABLE"},
				map[string]any{"channel": "HALOPESA", "status": "AVAILABLE"},
			))
		})

		DescribeTable("derives the channel from the phone prefix",
			func(phone, channel string) {
				x := h.call("initiateUssdPush", request{token: tok, body: order(newRef(), "1500.00", phone)})
				Expect(x.str("channel")).To(Equal(channel))
			},
			Entry(nil, "255712345678", "TIGO-PESA"),
			Entry(nil, "255652345678", "TIGO-PESA"),
			Entry(nil, "255672345678", "TIGO-PESA"),
			Entry(nil, "255742345678", "M-PESA"),
			Entry(nil, "255752345678", "M-PESA"),
			Entry(nil, "255762345678", "M-PESA"),
			Entry(nil, "255682345678", "AIRTEL-MONEY"),
			Entry(nil, "255692345678", "AIRTEL-MONEY"),
			Entry(nil, "255782345678", "AIRTEL-MONEY"),
			Entry(nil, "255622345678", "HALOPESA"),
			Entry("an unknown prefix falls back to M-PESA", "255772345678", "M-PESA"),
		)

		DescribeTable("charges 1% rounded half up to the cent, at least 100.00",
			func(amount, fee string) {
				x := h.call("previewUssdPush", request{token: tok, body: order(newRef(), amount, "255712345678")})
				Expect(x.str("fee")).To(Equal(fee))
			},
			Entry(nil, "0", "100.00"),
			Entry(nil, "1500.00", "100.00"),
			Entry(nil, "10000", "100.00"),
			Entry(nil, "10050", "100.50"),
			Entry(nil, "12345.67", "123.46"),
			Entry(nil, "12345.5", "123.46"),
			Entry(nil, "12345.49", "123.45"),
			Entry(nil, "999999999999.99", "10000000000.00"),
		)
	})

	Describe("payouts specifics", func() {
		var (
			h   *harness
			tok string
		)
		BeforeEach(func() {
			h = clean()
			tok = h.token()
		})

		It("previews the total and the receiver", func() {
			x := h.call("previewPayout", request{token: tok, body: order(newRef(), "25000.05", "255684000111")})
			Expect(x.str("fee")).To(Equal("250.00"))
			Expect(x.str("totalAmount")).To(Equal("25250.05"))
			Expect(x.json()["receiver"]).To(And(
				HaveKeyWithValue("phoneNumber", "255684000111"),
				HaveKeyWithValue("channel", "AIRTEL-MONEY"),
				HaveKeyWithValue("name", Not(BeEmpty())),
			))
		})

		It("reports the fee on the payout and its status", func() {
			ref := newRef()
			Expect(h.call("createPayout", request{token: tok, body: order(ref, "100000", "255754000111")}).str("fee")).To(Equal("1000.00"))
			x := h.call("getPayoutStatus", request{token: tok, params: map[string]string{"orderReference": ref}})
			Expect(x.str("fee")).To(Equal("1000.00"))
		})

		It("refuses a payout whose total would exceed the largest amount", func() {
			x := h.call("previewPayout", request{token: tok, body: order(newRef(), "999999999999.99", "255754000111")})
			x.expectError(http.StatusBadRequest, "VALIDATION_FAILED")
			Expect(x.errorFields()).To(ConsistOf("amount"))
		})
	})

	Describe("both APIs on one handler", func() {
		It("shares the token but keeps orderReferences apart", func() {
			h := clean()
			tok := h.token()
			ref := newRef()
			Expect(h.call("initiateUssdPush", request{token: tok, body: order(ref, "1.00", "255712345678")}).status).To(Equal(http.StatusOK))
			Expect(h.call("createPayout", request{token: tok, body: order(ref, "1.00", "255712345678")}).status).To(Equal(http.StatusOK))
		})

		It("serves only the APIs chosen with WithAPIs", func() {
			h := clean(sandbox.WithAPIs("collections"))
			tok := h.token()
			x := h.send(http.MethodPost, "/v1/payouts/preview", request{token: tok, body: order(newRef(), "1.00", "255712345678")})
			Expect(x.status).To(Equal(http.StatusNotFound))
			Expect(h.call("previewUssdPush", request{token: tok, body: order(newRef(), "1.00", "255712345678")}).status).To(Equal(http.StatusOK))
		})

		It("answers undeclared paths with a JSON 404 and wrong methods with a JSON 405", func() {
			h := clean()
			x := h.send(http.MethodGet, "/v1/refunds", request{})
			x.expectError(http.StatusNotFound, "NOT_FOUND")
			x = h.send(http.MethodDelete, "/v1/token", request{})
			x.expectError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
			Expect(x.header.Get("Allow")).To(Equal("POST"))
		})
	})

	Describe("New and Start", func() {
		It("refuses an unknown fault, listing the valid ones", func() {
			_, err := sandbox.New(sandbox.WithFault("gremlins"))
			Expect(err).To(MatchError(ContainSubstring(`unknown fault "gremlins"`)))
			for _, f := range sandbox.Faults() {
				Expect(err.Error()).To(ContainSubstring(f.Name))
			}
		})

		It("refuses unknown APIs and impossible settings", func() {
			_, err := sandbox.New(sandbox.WithAPIs("refunds"), sandbox.WithSettleAfter(-time.Second), sandbox.WithTokenTTL(0))
			Expect(err).To(MatchError(And(
				ContainSubstring(`unknown API "refunds"`),
				ContainSubstring("settle-after"),
				ContainSubstring("token TTL"),
			)))
		})

		It("serves on the address given to Start until stopped", func() {
			sb, err := sandbox.New()
			Expect(err).NotTo(HaveOccurred())
			base, stop, err := sb.Start("127.0.0.1:0")
			Expect(err).NotTo(HaveOccurred())
			Expect(base).To(HavePrefix("http://127.0.0.1:"))

			req, err := http.NewRequest(http.MethodPost, base+"/v1/token", nil)
			Expect(err).NotTo(HaveOccurred())
			req.Header.Set("client-id", sandbox.DefaultClientID)
			req.Header.Set("api-key", sandbox.DefaultAPIKey)
			resp, err := http.DefaultClient.Do(req)
			Expect(err).NotTo(HaveOccurred())
			resp.Body.Close()
			Expect(resp.StatusCode).To(Equal(http.StatusOK))

			Expect(stop(context.Background())).To(Succeed())
			_, err = http.DefaultClient.Do(req)
			Expect(err).To(HaveOccurred())
		})
	})
})

func with(m map[string]any, key string, value any) map[string]any {
	m[key] = value
	return m
}

func without(m map[string]any, key string) map[string]any {
	delete(m, key)
	return m
}
