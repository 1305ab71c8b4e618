package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
)

var _ = Describe("hang-on-malformed", func() {
	// serveAsync hands the request straight to the sandbox and reports when
	// the handler returns, so the test waits on that event, not on a clock.
	serveAsync := func(sb *sandbox.Sandbox, req *http.Request) (*httptest.ResponseRecorder, chan struct{}) {
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			sb.ServeHTTP(rec, req)
		}()
		return rec, done
	}

	It("holds malformed JSON to initiateUssdPush until the client goes away, and answers nothing", func() {
		sb, err := sandbox.New(sandbox.WithFault(sandbox.FaultHangOnMalformed))
		Expect(err).NotTo(HaveOccurred())
		tok := serve(sb, false).token()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/collections/ussd-push", strings.NewReader(`{"amount": "1500.00",`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec, done := serveAsync(sb, req)
		// Without the fault the 400 comes at once; with it, nothing until
		// the client hangs up.
		Consistently(done).WithTimeout(300 * time.Millisecond).ShouldNot(BeClosed())
		cancel()
		Eventually(done).Should(BeClosed())
		Expect(rec.Body.Len()).To(BeZero())
	})

	It("answers valid input, a missing body, and malformed JSON to other operations as usual", func() {
		h := faulty(sandbox.FaultHangOnMalformed)
		tok := h.token()
		Expect(h.call("initiateUssdPush", request{token: tok, body: order(newRef(), "1500.00", "255712345678")}).status).
			To(Equal(http.StatusOK))
		h.call("initiateUssdPush", request{token: tok}).expectError(http.StatusBadRequest, "VALIDATION_FAILED")
		for _, op := range []string{"previewUssdPush", "createPayout", "previewPayout"} {
			h.call(op, request{token: tok, body: `{"amount": "1500.00",`}).expectError(http.StatusBadRequest, "INVALID_JSON")
		}
	})
})
