package sandbox_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/sandbox"
)

// event builds an unsigned webhook event of the given type; each call
// gets a new eventId.
func event(kind, status string) map[string]any {
	return map[string]any{
		"eventId":    "evt-" + newRef(),
		"event":      kind,
		"occurredAt": "2026-11-23T09:00:01Z",
		"data": map[string]any{
			"orderReference": newRef(),
			"amount":         "1500.00",
			"currency":       "TZS",
			"status":         status,
			"channel":        "TIGO-PESA",
			"phoneNumber":    "255712345678",
			"failureReason":  nil,
		},
	}
}

// signed encodes the event with its checksum under key; e is left as it was.
func signed(e map[string]any, key string) string {
	GinkgoHelper()
	body, err := json.Marshal(e)
	Expect(err).NotTo(HaveOccurred())
	sum, err := callbacks.Sign(body, key, "checksum")
	Expect(err).NotTo(HaveOccurred())
	body, err = json.Marshal(with(maps.Clone(e), "checksum", sum))
	Expect(err).NotTo(HaveOccurred())
	return string(body)
}

// tamperedAfterSigning signs the event, then changes the amount.
func tamperedAfterSigning(e map[string]any) string {
	GinkgoHelper()
	var m map[string]any
	Expect(json.Unmarshal([]byte(signed(e, sandbox.DefaultChecksumKey)), &m)).To(Succeed())
	m["data"].(map[string]any)["amount"] = "150000.00"
	body, err := json.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return string(body)
}

// deliver POSTs a raw body to the webhook receiver; in strict mode the
// answer must conform to the webhooks spec.
func (h *harness) deliver(body string) *exchange {
	GinkgoHelper()
	x := h.send(http.MethodPost, sandbox.WebhookReceiverPath, request{body: body})
	ref := h.ops["receiveEvent"]
	x.ref, x.params = &ref, map[string]string{}
	if h.strict {
		Expect(x.conformance()).To(Succeed(), "%d %s", x.status, x.body)
	}
	return x
}

// acked asserts a 200 acknowledgement and says whether it was a repeat.
func (x *exchange) acked() (duplicate bool) {
	GinkgoHelper()
	Expect(x.status).To(Equal(http.StatusOK), "body: %s", x.body)
	m := x.json()
	Expect(m).To(HaveKeyWithValue("received", true))
	return m["duplicate"] == true
}

var allEvents = [][2]string{
	{"PAYMENT RECEIVED", "SUCCESS"},
	{"PAYMENT FAILED", "FAILED"},
	{"PAYOUT INITIATED", "PROCESSING"},
	{"PAYOUT REVERSED", "REVERSED"},
	{"PAYOUT REFUNDED", "REFUNDED"},
}

var _ = Describe("the webhook receiver", func() {
	for _, ev := range allEvents {
		It("acknowledges a correctly signed "+ev[0]+" event with 200", func() {
			h := clean()
			e := event(ev[0], ev[1])
			x := h.deliver(signed(e, sandbox.DefaultChecksumKey))
			Expect(x.acked()).To(BeFalse())
			Expect(x.json()).To(HaveKeyWithValue("eventId", e["eventId"]))
		})
	}

	It("verifies with the key WithChecksumKey sets", func() {
		h := clean(sandbox.WithChecksumKey("merchant-42-key"))
		h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), "merchant-42-key")).acked()
		h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)).expectError(http.StatusUnauthorized, "INVALID_CHECKSUM")
	})

	It("acknowledges a repeated eventId with 200 again and changes nothing", func() {
		h := clean()
		body := signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)
		Expect(h.deliver(body).acked()).To(BeFalse())
		Expect(h.deliver(body).acked()).To(BeTrue())
		Expect(h.deliver(body).acked()).To(BeTrue(), "still the same event, however often it comes")
		By("keeping the first version of an event whose eventId comes back with other content")
		e := event("PAYOUT REVERSED", "REVERSED")
		Expect(h.deliver(signed(e, sandbox.DefaultChecksumKey)).acked()).To(BeFalse())
		Expect(h.deliver(signed(with(e, "occurredAt", "2026-11-24T00:00:00Z"), sandbox.DefaultChecksumKey)).acked()).To(BeTrue())
	})

	It("ignores fields it does not know, as long as the checksum covers them", func() {
		h := clean()
		e := with(event("PAYMENT RECEIVED", "SUCCESS"), "merchantNote", "new in v2")
		h.deliver(signed(e, sandbox.DefaultChecksumKey)).acked()
	})

	DescribeTable("refuses an event whose checksum does not verify with 401",
		func(body func() string, code string) {
			h := clean()
			h.deliver(body()).expectError(http.StatusUnauthorized, code)
		},
		Entry("a wrong checksum", func() string {
			b := signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)
			i := strings.Index(b, `"checksum":"`) + len(`"checksum":"`)
			flipped := map[byte]byte{'0': '1'}[b[i]]
			if flipped == 0 {
				flipped = '0'
			}
			return b[:i] + string(flipped) + b[i+1:]
		}, "INVALID_CHECKSUM"),
		Entry("another key", func() string { return signed(event("PAYMENT RECEIVED", "SUCCESS"), "not-the-key") }, "INVALID_CHECKSUM"),
		Entry("a body changed after signing", func() string { return tamperedAfterSigning(event("PAYMENT RECEIVED", "SUCCESS")) }, "INVALID_CHECKSUM"),
		Entry("a field added after signing", func() string {
			b := signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)
			return strings.Replace(b, "{", `{"tampered":true,`, 1)
		}, "INVALID_CHECKSUM"),
		Entry("no checksum", func() string {
			b, _ := json.Marshal(event("PAYMENT RECEIVED", "SUCCESS"))
			return string(b)
		}, "MISSING_CHECKSUM"),
		Entry("an empty checksum", func() string {
			b, _ := json.Marshal(with(event("PAYMENT RECEIVED", "SUCCESS"), "checksum", ""))
			return string(b)
		}, "MISSING_CHECKSUM"),
		Entry("a checksum that is not a string", func() string {
			b, _ := json.Marshal(with(event("PAYMENT RECEIVED", "SUCCESS"), "checksum", 42))
			return string(b)
		}, "MISSING_CHECKSUM"),
		Entry("an unknown event with a wrong checksum: the checksum comes first", func() string {
			return signed(event("PAYMENT REFUSED", "SUCCESS"), "not-the-key")
		}, "INVALID_CHECKSUM"),
	)

	It("refuses a forged copy of an accepted event, and keeps the original", func() {
		h := clean()
		e := event("PAYMENT RECEIVED", "SUCCESS")
		h.deliver(signed(e, sandbox.DefaultChecksumKey)).acked()
		h.deliver(tamperedAfterSigning(e)).expectError(http.StatusUnauthorized, "INVALID_CHECKSUM")
		Expect(h.deliver(signed(e, sandbox.DefaultChecksumKey)).acked()).To(BeTrue())
	})

	DescribeTable("refuses a body that is not a valid event with 400",
		func(body func() string, code string, fields ...string) {
			h := clean()
			x := h.deliver(body())
			x.expectError(http.StatusBadRequest, code)
			if len(fields) > 0 {
				Expect(x.errorFields()).To(ContainElements(fields))
			}
		},
		Entry("malformed JSON", func() string { return `{"eventId": "e1", "event": ` }, "INVALID_JSON", "body"),
		Entry("an array", func() string { return `[]` }, "INVALID_JSON", "body"),
		Entry("an empty body", func() string { return `` }, "INVALID_JSON", "body"),
		Entry("an unknown event type", func() string {
			return signed(event("PAYMENT REFUSED", "SUCCESS"), sandbox.DefaultChecksumKey)
		}, "VALIDATION_FAILED", "event"),
		Entry("no data.orderReference", func() string {
			e := event("PAYMENT RECEIVED", "SUCCESS")
			delete(e["data"].(map[string]any), "orderReference")
			return signed(e, sandbox.DefaultChecksumKey)
		}, "VALIDATION_FAILED", "data.orderReference"),
		Entry("no eventId", func() string {
			e := event("PAYMENT RECEIVED", "SUCCESS")
			delete(e, "eventId")
			return signed(e, sandbox.DefaultChecksumKey)
		}, "VALIDATION_FAILED"),
		Entry("an amount as a number", func() string {
			e := event("PAYMENT RECEIVED", "SUCCESS")
			e["data"].(map[string]any)["amount"] = 1500
			return signed(e, sandbox.DefaultChecksumKey)
		}, "VALIDATION_FAILED", "data.amount"),
	)

	It("refuses a body over 64 KiB with 400", func() {
		h := clean()
		e := with(event("PAYMENT RECEIVED", "SUCCESS"), "padding", strings.Repeat("x", 70<<10))
		h.deliver(signed(e, sandbox.DefaultChecksumKey)).expectError(http.StatusBadRequest, "VALIDATION_FAILED")
	})

	It("answers other methods with 405 and Allow: POST", func() {
		h := clean()
		x := h.send(http.MethodGet, sandbox.WebhookReceiverPath, request{})
		x.expectError(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
		Expect(x.header.Get("Allow")).To(Equal(http.MethodPost))
	})

	It("is not affected by the API's faults: it is the merchant's component", func() {
		for _, fault := range []string{sandbox.FaultMaintenance, sandbox.FaultBadErrorSchema, sandbox.FaultCrashOnInvalid, sandbox.FaultNoValidation} {
			h := faulty(fault)
			h.strict = true
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)).acked()
			h.deliver(`{`).expectError(http.StatusBadRequest, "INVALID_JSON")
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), "not-the-key")).expectError(http.StatusUnauthorized, "INVALID_CHECKSUM")
		}
	})

	Describe("faults", func() {
		It("receiver-accepts-tampered: events whose checksum does not verify get 200", func() {
			h := faulty(sandbox.FaultReceiverAcceptsTampered)
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), "not-the-key")).acked()
			h.deliver(tamperedAfterSigning(event("PAYMENT RECEIVED", "SUCCESS"))).acked()
			By("still refusing what the schema refuses, a missing checksum included")
			b, _ := json.Marshal(event("PAYMENT RECEIVED", "SUCCESS"))
			h.deliver(string(b)).expectError(http.StatusBadRequest, "VALIDATION_FAILED")
			h.deliver(`{`).expectError(http.StatusBadRequest, "INVALID_JSON")
		})

		It("receiver-fails-duplicates: a repeated eventId gets 500", func() {
			h := faulty(sandbox.FaultReceiverFailsDuplicates)
			body := signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)
			Expect(h.deliver(body).acked()).To(BeFalse())
			x := h.deliver(body)
			Expect(x.status).To(Equal(http.StatusInternalServerError))
			Expect(x.conformance()).NotTo(Succeed())
			By("still acknowledging new events")
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)).acked()
		})

		It("receiver-accepts-malformed: bodies that are not valid events get 200", func() {
			h := faulty(sandbox.FaultReceiverAcceptsMalformed)
			h.deliver(`{"eventId": "e1", "event": `).acked()
			h.deliver(signed(event("PAYMENT REFUSED", "SUCCESS"), sandbox.DefaultChecksumKey)).acked()
			By("still refusing events whose checksum does not verify")
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), "not-the-key")).expectError(http.StatusUnauthorized, "INVALID_CHECKSUM")
		})

		It("receiver-slow: answers after SlowDelay", func() {
			h := faulty(sandbox.FaultReceiverSlow)
			start := time.Now()
			h.deliver(signed(event("PAYMENT RECEIVED", "SUCCESS"), sandbox.DefaultChecksumKey)).acked()
			Expect(time.Since(start)).To(BeNumerically(">=", sandbox.SlowDelay))
			By("leaving the API alone")
			start = time.Now()
			h.token()
			Expect(time.Since(start)).To(BeNumerically("<", time.Second))
		})

		It("receiver-slow: stops waiting when the sender goes away", func() {
			sb, err := sandbox.New(sandbox.WithFault(sandbox.FaultReceiverSlow))
			Expect(err).NotTo(HaveOccurred())
			ctx, cancel := context.WithCancel(context.Background())
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, sandbox.WebhookReceiverPath, strings.NewReader("{}"))
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				sb.ServeHTTP(rec, req)
			}()
			cancel()
			Eventually(done).WithTimeout(sandbox.SlowDelay / 2).Should(BeClosed())
			Expect(rec.Body.Len()).To(BeZero())
		})
	})
})
