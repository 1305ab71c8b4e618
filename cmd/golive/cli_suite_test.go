package main_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// golivePath is the binary under test, built once for the whole suite.
var golivePath string

// exitTimeout bounds every wait for a golive process to end. The slowest
// runs (demo --fault never-final polls for 30s) stay well inside it.
const exitTimeout = 60 * time.Second

func TestGoliveCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "golive CLI end to end")
}

// The binary is built once (on process 1 under `ginkgo -p`) and shared.
var _ = SynchronizedBeforeSuite(func() []byte {
	path, err := gexec.Build("github.com/golive-cert/golive/cmd/golive")
	Expect(err).NotTo(HaveOccurred(), "build golive")
	return []byte(path)
}, func(path []byte) {
	golivePath = string(path)
	SetDefaultEventuallyTimeout(exitTimeout)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
})

var _ = SynchronizedAfterSuite(func() {
	// Safety net: end every process this suite started (sandboxes included).
	gexec.KillAndWait(10 * time.Second)
}, func() {
	gexec.CleanupBuildArtifacts()
})
