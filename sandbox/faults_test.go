package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
)

var _ = Describe("faults", func() {
	It("are listed sorted by name, described, and accepted by WithFault", func() {
		faults := sandbox.Faults()
		Expect(faults).To(HaveLen(25))
		Expect(slices.IsSortedFunc(faults, func(a, b sandbox.Fault) int { return strings.Compare(a.Name, b.Name) })).To(BeTrue())
		for _, f := range faults {
			Expect(f.Description).NotTo(BeEmpty(), f.Name)
			_, err := sandbox.New(sandbox.WithFault(f.Name))
			Expect(err).NotTo(HaveOccurred(), f.Name)
		}
	})

	It("has each fault tested below", func() {
		// Keeps this file honest when a fault is added.
		tested := []string{
			sandbox.FaultAmountChanged, sandbox.FaultBadErrorSchema, sandbox.FaultCrashOnInvalid,
			sandbox.FaultDuplicateAccepted, sandbox.FaultMaintenance, sandbox.FaultNeverFinal,
			sandbox.FaultNoAuth, sandbox.FaultNoStatus, sandbox.FaultNoValidation,
			sandbox.FaultSchemaViolation, sandbox.FaultLocalTimestamps, sandbox.FaultSlow,
			// callbacks_test.go
			sandbox.FaultNoCallback, sandbox.FaultCallbackBadSignature, sandbox.FaultCallbackDisagrees,
			sandbox.FaultCallbackDuplicate, sandbox.FaultCallbackEarly,
			// webhooks_test.go
			sandbox.FaultReceiverAcceptsMalformed, sandbox.FaultReceiverAcceptsTampered,
			sandbox.FaultReceiverFailsDuplicates, sandbox.FaultReceiverSlow,
			// faults_detect_test.go
			sandbox.FaultAnyBearer, sandbox.FaultCrashAtLimit, sandbox.FaultReadOtherID,
			// faults_hang_test.go
			sandbox.FaultHangOnMalformed,
		}
		var names []string
		for _, f := range sandbox.Faults() {
			names = append(names, f.Name)
		}
		Expect(names).To(ConsistOf(tested))
	})

	for _, api := range bothAPIs {
		Describe("on "+api.name, func() {
			// create starts an order on h and returns its reference.
			create := func(h *harness, tok, amount, phone string) string {
				GinkgoHelper()
				ref := newRef()
				x := h.call(api.create, request{token: tok, body: order(ref, amount, phone)})
				Expect(x.status).To(Equal(http.StatusOK), string(x.body))
				return ref
			}
			status := func(h *harness, tok, ref string) *exchange {
				return h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
			}

			It("no-status: the status operation answers like an unregistered route", func() {
				h := faulty(sandbox.FaultNoStatus)
				tok := h.token()
				ref := create(h, tok, "1500.00", "255712345678")
				x := status(h, tok, ref)
				Expect(x.status).To(Equal(http.StatusNotFound))
				Expect(x.header.Get("Content-Type")).To(HavePrefix("text/plain"))
				Expect(string(x.body)).To(Equal("404 page not found\n"))
				Expect(x.conformance()).NotTo(Succeed())
			})

			It("never-final: the status stays PROCESSING however long one waits", func() {
				clock := newFakeClock()
				h := faulty(sandbox.FaultNeverFinal, sandbox.WithClock(clock.Now), sandbox.WithSettleAfter(time.Millisecond))
				tok := h.token()
				ref := create(h, tok, "1500.00", "255712345678")
				clock.Advance(30 * time.Minute) // tokens live an hour
				x := status(h, tok, ref)
				Expect(x.conformance()).To(Succeed(), "the response itself is well-formed")
				Expect(x.str("status")).To(Equal("PROCESSING"))
			})

			It("amount-changed: the status reports another amount than initiated", func() {
				h := faulty(sandbox.FaultAmountChanged)
				tok := h.token()
				ref := create(h, tok, "1500.00", "255712345678")
				x := status(h, tok, ref)
				Expect(x.conformance()).To(Succeed(), "the response itself is well-formed")
				Expect(x.str("amount")).To(Equal("1501.00"))
			})

			It("no-validation: invalid payloads are accepted with 200", func() {
				h := faulty(sandbox.FaultNoValidation)
				tok := h.token()
				ref := newRef() // reused on purpose: probes often share one reference
				for _, body := range []any{
					map[string]any{},
					"[]",
					order(ref, "1500.00", "12"),
					order(ref, "lots", "255712345678"),
					order("ab", "1500.00", "255712345678"),
					with(order(ref, "1500.00", "255712345678"), "amount", 1500),
					with(order(ref, "1500.00", "255712345678"), "notifyUrl", "http://x"),
					with(order(ref, "1500.00", "255712345678"), "currency", "USD"),
				} {
					for _, op := range []string{api.preview, api.create, api.create} {
						x := h.call(op, request{token: tok, body: body})
						Expect(x.status).To(Equal(http.StatusOK), "%s %v: %s", op, body, x.body)
					}
				}
				By("echoing what was sent")
				x := h.call(api.create, request{token: tok, body: with(order(ref, "", "12"), "amount", 1500)})
				Expect(x.json()).To(And(HaveKeyWithValue("amount", "1500"), HaveKeyWithValue("phoneNumber", "12")))
				By("still refusing what is not JSON at all")
				h.call(api.create, request{token: tok, body: "{"}).expectError(http.StatusBadRequest, "INVALID_JSON")
				By("still serving valid orders as usual")
				Expect(status(h, tok, ref).status).To(Equal(http.StatusNotFound), "invalid orders are not kept")
				create(h, tok, "1500.00", "255712345678")
			})

			It("no-auth: requests without or with a bad token succeed", func() {
				h := faulty(sandbox.FaultNoAuth)
				x := h.call(api.create, request{body: order(newRef(), "1500.00", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				x = h.call(api.preview, request{token: "forged", body: order(newRef(), "1500.00", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				By("still checking credentials on the token operation")
				h.call("generateToken", request{headers: credentials("x", "y")}).expectError(http.StatusUnauthorized, "UNAUTHORIZED")
			})

			It("duplicate-accepted: a reused orderReference is accepted again", func() {
				h := faulty(sandbox.FaultDuplicateAccepted)
				tok := h.token()
				body := order(newRef(), "1500.00", "255712345678")
				Expect(h.call(api.create, request{token: tok, body: body}).status).To(Equal(http.StatusOK))
				Expect(h.call(api.preview, request{token: tok, body: body}).status).To(Equal(http.StatusOK))
				Expect(h.call(api.create, request{token: tok, body: body}).status).To(Equal(http.StatusOK))
			})

			It("schema-violation: success responses carry amount as a number", func() {
				h := faulty(sandbox.FaultSchemaViolation)
				tok := h.token()
				ref := newRef()
				x := h.call(api.create, request{token: tok, body: order(ref, "1500.50", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				Expect(x.json()["amount"]).To(Equal(json.Number("1500.50")))
				Expect(x.conformance()).To(MatchError(ContainSubstring("amount")))
				Expect(status(h, tok, ref).conformance()).NotTo(Succeed())
				By("leaving error answers alone")
				Expect(status(h, tok, newRef()).conformance()).To(Succeed())
			})

			It("local-timestamps: success responses carry timestamps that are not date-times", func() {
				h := faulty(sandbox.FaultLocalTimestamps)
				tok := h.token()
				ref := newRef()
				x := h.call(api.create, request{token: tok, body: order(ref, "1500.50", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				Expect(x.json()["createdAt"]).To(MatchRegexp(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`))
				Expect(x.json()["updatedAt"]).To(MatchRegexp(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`))
				Expect(x.conformance()).To(MatchError(ContainSubstring("createdAt")))
				Expect(status(h, tok, ref).conformance()).NotTo(Succeed())
				By("leaving error answers alone")
				Expect(status(h, tok, newRef()).conformance()).To(Succeed())
			})

			It("crash-on-invalid: invalid input gives 500, valid input still works", func() {
				h := faulty(sandbox.FaultCrashOnInvalid)
				tok := h.token()
				for _, body := range []any{map[string]any{}, `{"amount":`, order(newRef(), "1500.00", "0712345678")} {
					Expect(h.call(api.create, request{token: tok, body: body}).status).To(Equal(http.StatusInternalServerError))
				}
				Expect(status(h, tok, "x").status).To(Equal(http.StatusInternalServerError))
				ref := create(h, tok, "1500.00", "255712345678")
				x := status(h, tok, ref)
				Expect(x.status).To(Equal(http.StatusOK))
				Expect(x.conformance()).To(Succeed())
				By("keeping 401, 404 and 409 as they are")
				Expect(h.call(api.create, request{body: map[string]any{}}).status).To(Equal(http.StatusUnauthorized))
				Expect(status(h, tok, newRef()).status).To(Equal(http.StatusNotFound))
				Expect(h.call(api.create, request{token: tok, body: order(ref, "1.00", "255712345678")}).status).To(Equal(http.StatusConflict))
			})
		})
	}

	Describe("bad-error-schema", func() {
		It("keeps the 4xx status codes but breaks the Error schema", func() {
			h := faulty(sandbox.FaultBadErrorSchema)
			for _, x := range []*exchange{
				h.call("generateToken", request{}),
				h.call("previewPayout", request{body: order(newRef(), "1.00", "255712345678")}),
			} {
				Expect(x.status).To(Equal(http.StatusUnauthorized))
				Expect(x.json()).To(Equal(map[string]any{"error": "unauthorized"}))
				Expect(x.conformance()).NotTo(Succeed())
			}
			tok := h.token()
			x := h.call("initiateUssdPush", request{token: tok, body: map[string]any{}})
			Expect(x.status).To(Equal(http.StatusBadRequest))
			Expect(x.json()).To(Equal(map[string]any{"error": "bad request"}))
			x = h.call("getCollectionStatus", request{token: tok, params: map[string]string{"orderReference": newRef()}})
			Expect(x.status).To(Equal(http.StatusNotFound))
			Expect(x.conformance()).NotTo(Succeed())
			By("leaving success answers alone")
			x = h.call("initiateUssdPush", request{token: tok, body: order(newRef(), "1.00", "255712345678")})
			Expect(x.conformance()).To(Succeed())
		})
	})

	Describe("maintenance", func() {
		It("answers every request, the token included, with a 503 HTML page and Retry-After", func() {
			h := faulty(sandbox.FaultMaintenance)
			for _, x := range []*exchange{
				h.call("generateToken", request{headers: credentials(sandbox.DefaultClientID, sandbox.DefaultAPIKey)}),
				h.call("createPayout", request{token: "whatever", body: order(newRef(), "1.00", "255712345678")}),
				h.send(http.MethodGet, "/anything", request{}),
			} {
				Expect(x.status).To(Equal(http.StatusServiceUnavailable))
				Expect(x.header.Get("Retry-After")).To(Equal("120"))
				Expect(x.header.Get("Content-Type")).To(HavePrefix("text/html"))
				Expect(string(x.body)).To(ContainSubstring("<html"))
			}
		})
	})

	Describe("slow", func() {
		It("delays every response by SlowDelay", func() {
			h := faulty(sandbox.FaultSlow)
			start := time.Now()
			tok := h.token()
			Expect(time.Since(start)).To(BeNumerically(">=", sandbox.SlowDelay))
			Expect(tok).NotTo(BeEmpty(), "the answer itself is unchanged")
		})

		It("stops waiting when the client goes away", func() {
			sb, err := sandbox.New(sandbox.WithFault(sandbox.FaultSlow))
			Expect(err).NotTo(HaveOccurred())
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/token", nil)
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				sb.ServeHTTP(rec, req)
			}()
			cancel()
			// Well under SlowDelay: the handler returned because of the cancellation.
			Eventually(done).WithTimeout(sandbox.SlowDelay / 2).Should(BeClosed())
			Expect(rec.Body.Len()).To(BeZero())
		})
	})
})
