package main_test

import (
	. "github.com/onsi/ginkgo/v2"
)

// Every other spec of this package runs golive in-process through
// cli.Execute, except the demo --fault matrix (demo_test.go: the binary's
// exit status for verdicts 0, 1 and 3) and the SIGINT specs
// (interrupt_test.go: 130). These check the rest of what only the real
// binary shows: main hands Execute's code to the operating system as the
// process's exit status.
var _ = Describe("the golive binary", func() {
	DescribeTable("exits with the code of the outcome",
		func(code int, args ...string) {
			session := startGoliveWith(runSetup{binary: true}, minimalEnv(), args...)
			waitExit(session, code)
		},
		Entry("0 for a command that succeeds", exitCertified, "list"),
		Entry("2 for invalid input", exitInvalid, "nosuch"),
	)
})
