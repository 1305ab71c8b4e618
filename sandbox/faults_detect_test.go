package sandbox_test

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
)

// The faults the spec-derived checks must catch (derive/sandbox_test.go
// shows each one caught by its rule); here, that each does what it says and
// nothing else.
var _ = Describe("faults for the spec-derived checks", func() {
	for _, api := range bothAPIs {
		Describe("on "+api.name, func() {
			It("any-bearer: any bearer value is accepted, a missing or non-bearer one is not", func() {
				h := faulty(sandbox.FaultAnyBearer)
				x := h.call(api.create, request{token: "never-issued", body: order(newRef(), "1500.00", "255712345678")})
				Expect(x.status).To(Equal(http.StatusOK))
				h.call(api.create, request{body: order(newRef(), "1500.00", "255712345678")}).expectError(http.StatusUnauthorized, "UNAUTHORIZED")
				x = h.call(api.create, request{headers: map[string]string{"Authorization": "never-issued"}, body: order(newRef(), "1500.00", "255712345678")})
				Expect(x.status).To(Equal(http.StatusUnauthorized))
			})

			It("crash-at-limit: a valid amount with 11 or more integer digits gives 500, shorter ones work", func() {
				h := faulty(sandbox.FaultCrashAtLimit)
				tok := h.token()
				Expect(h.call(api.create, request{token: tok, body: order(newRef(), "999999999999.99", "255712345678")}).status).
					To(Equal(http.StatusInternalServerError))
				Expect(h.call(api.create, request{token: tok, body: order(newRef(), "9999999999.99", "255712345678")}).status).
					To(Equal(http.StatusOK))
			})

			It("read-other-id: the status reports another id, the rest as created", func() {
				h := faulty(sandbox.FaultReadOtherID)
				tok := h.token()
				ref := newRef()
				created := h.call(api.create, request{token: tok, body: order(ref, "1500.00", "255712345678")})
				Expect(created.status).To(Equal(http.StatusOK))
				read := h.call(api.status, request{token: tok, params: map[string]string{"orderReference": ref}})
				Expect(read.conformance()).To(Succeed(), "the response itself is well-formed")
				Expect(read.str("id")).NotTo(Equal(created.str("id")))
				Expect(read.str("id")).To(HavePrefix(api.idPrefix))
				Expect(read.str("orderReference")).To(Equal(ref))
			})
		})
	}
})
