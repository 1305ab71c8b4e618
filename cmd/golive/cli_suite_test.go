package main_test

import (
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// exitTimeout bounds every wait for a golive run to end. The slowest runs
// (demo --fault never-final polls for 30s) stay well inside it.
const exitTimeout = 60 * time.Second

func TestGoliveCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "golive CLI end to end")
}

var _ = BeforeSuite(func() {
	SetDefaultEventuallyTimeout(exitTimeout)
	SetDefaultEventuallyPollingInterval(50 * time.Millisecond)
	if wholeSerialRun() {
		startFaultDemos() // demo_test.go: 30s of polling, in the background
	}
})

// wholeSerialRun says this process runs every spec of the suite, one after
// the other: no focus, skip or label filter, not in parallel.
func wholeSerialRun() bool {
	suite, _ := GinkgoConfiguration()
	return suite.ParallelTotal <= 1 && !suite.DryRun && suite.LabelFilter == "" &&
		len(suite.FocusStrings) == 0 && len(suite.SkipStrings) == 0 &&
		len(suite.FocusFiles) == 0 && len(suite.SkipFiles) == 0
}

// The binary, for the specs that need a real process (runSetup.binary,
// interrupt_test.go). It is built on first use, so a run of in-process
// specs alone never builds it; under `ginkgo -p` each process that needs
// it builds it (from the build cache after the first).
var binary struct {
	once sync.Once
	path string
	err  error
}

// golivePath is the built binary under test.
func golivePath() string {
	GinkgoHelper()
	binary.once.Do(func() {
		binary.path, binary.err = gexec.Build("github.com/golive-cert/golive/cmd/golive")
	})
	Expect(binary.err).NotTo(HaveOccurred(), "build golive")
	return binary.path
}

var _ = AfterSuite(func() {
	// Safety net: end every process this suite started.
	gexec.KillAndWait(10 * time.Second)
	gexec.CleanupBuildArtifacts()
})
