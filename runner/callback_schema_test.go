package runner_test

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
)

// The callback payload is checked against the spec's declared callbacks, so
// a callback a merchant could not parse fails even when its values agree.
var _ = DescribeTable("callback payloads against the spec's declared callbacks",
	func(name, op, event string) {
		api, err := specs.NewLoader().Load(context.Background(), name)
		Expect(err).NotTo(HaveOccurred())
		good := `{"event":"` + event + `","orderReference":"ORD20261123A1","amount":"1500.00","currency":"TZS",` +
			`"status":"SUCCESS","channel":"M-PESA","failureReason":null,"fee":"100.00","occurredAt":"2026-11-23T10:00:00Z",` +
			`"checksum":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`
		Expect(runner.CallbackSchemaProblem(api, op, []byte(good))).To(BeEmpty())

		bad := `{"event":"` + event + `","orderReference":"ORD20261123A1","amount":1500,"currency":"TZS","status":"SUCCESS"}`
		problem := runner.CallbackSchemaProblem(api, op, []byte(bad))
		Expect(problem).To(ContainSubstring("/amount"))

		Expect(runner.CallbackSchemaProblem(api, "generateToken", []byte(bad))).To(BeEmpty(),
			"an operation that declares no callbacks does not judge them")
	},
	Entry("collections (OpenAPI 3.1)", "collections", "initiateUssdPush", "PAYMENT RECEIVED"),
	Entry("payouts (OpenAPI 3.0)", "payouts", "createPayout", "PAYOUT SUCCESS"),
)
