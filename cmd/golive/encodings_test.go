package main_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testnet"
)

// The credentials of the echo runs (testdata/echo.yaml and echo-suite.yaml):
// internal/testnet's, each chosen so that every encoding changes it.
const (
	echoAPIKey       = testnet.EchoAPIKey
	echoClientSecret = testnet.EchoClientSecret
	echoBareToken    = testnet.EchoBareToken
)

func echoBasic() string { return testnet.EchoBasic() }

func echoSecrets() []string { return testnet.EchoSecrets() }

var _ = Describe("secrets in every encoding", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	env := func() []string {
		return minimalEnv("ECHO_API_KEY="+echoAPIKey, "ECHO_CLIENT_SECRET="+echoClientSecret, "ECHO_BASIC="+echoBasic())
	}
	runArgs := func(target, out string, extra ...string) []string {
		return append([]string{"run", "--spec", fixture(dir, "echo.yaml"), "--suite", fixture(dir, "echo-suite.yaml"),
			"--target", target, "--out", out, "--concurrency", "3", "--no-derived", // the checklist's own credentials only
			"--header", "Authorization: Bearer " + echoBareToken,
			"--header", "Proxy-Authorization: Basic ${ECHO_BASIC}"}, extra...)
	}

	It("are in no output and no report of a run against a target that echoes them in every encoding, on a terminal or not", func() {
		target := newEchoTarget()
		outputs := map[string][]byte{}
		collect := func(run string, stdout, stderr []byte, out string) {
			outputs[run+": stdout"], outputs[run+": stderr"] = stdout, stderr
			expectReportSet(out)
			for _, f := range filesUnder(out) {
				data, err := os.ReadFile(f)
				Expect(err).NotTo(HaveOccurred())
				outputs[run+": "+filepath.Base(f)] = data
			}
		}

		out := filepath.Join(dir, "text")
		s := golive(exitNotCertified, env(), runArgs(target.URL, out)...)
		Expect(stdout(s)).To(ContainSubstring(`'Authorization: Bearer '"${GOLIVE_TOKEN}"`), "the reproduce lines")
		collect("text", s.Out.Contents(), s.Err.Contents(), out)

		out = filepath.Join(dir, "json")
		s = golive(exitNotCertified, env(), runArgs(target.URL, out, "--format", "json")...)
		Expect(parseResults(s.Out.Contents()).Verdict.Status).To(Equal(verdictNotCertified))
		collect("json", s.Out.Contents(), s.Err.Contents(), out)

		out = filepath.Join(dir, "tty")
		ttyOut, ttyErr := goliveOnTerminal(exitNotCertified, env(), runArgs(target.URL, out)...)
		Expect(string(ttyOut)).To(MatchRegexp(`\[1/\d+\] `), "on a terminal, golive prints progress lines")
		Expect(string(ttyOut)).To(ContainSubstring("\x1b["), "on a terminal, golive prints in colour")
		collect("tty", ttyOut, ttyErr, out)

		// Every credential reached the target, so every one was echoed.
		Expect(target.received()).To(ConsistOf(echoSecrets()))
		needles := testnet.SecretNeedles(echoSecrets())
		names := make([]string, 0, len(outputs))
		for name := range outputs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			for _, n := range needles {
				Expect(bytes.Contains(outputs[name], []byte(n))).To(BeFalse(), "%s contains %q", name, n)
			}
		}
	})
})

// goliveOnTerminal runs golive with its stdout on a pseudo-terminal, as a
// person running it by hand sees it (progress lines, colours), and returns
// what it printed there and on stderr.
func goliveOnTerminal(wantExit int, env []string, args ...string) (stdout, stderr []byte) {
	GinkgoHelper()
	master, slave := openPTY()
	defer master.Close()
	cmd := exec.Command(golivePath(), args...)
	cmd.Env, cmd.Dir = env, GinkgoT().TempDir()
	var errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = slave, &errOut
	Expect(cmd.Start()).To(Succeed())
	DeferCleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it has exited
	// The child has its own copy; once it exits, reading the master ends.
	Expect(slave.Close()).To(Succeed())
	printed := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(master) // ends with EIO when the terminal closes
		printed <- data
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	Eventually(exited, exitTimeout).Should(Receive())
	Eventually(printed, exitTimeout).Should(Receive(&stdout))
	Expect(cmd.ProcessState.ExitCode()).To(Equal(wantExit), "golive %v\nstdout:\n%s\nstderr:\n%s", args, stdout, errOut.String())
	for name, out := range map[string][]byte{"stdout": stdout, "stderr": errOut.Bytes()} {
		Expect(string(out)).NotTo(ContainSubstring("panic"), name)
		Expect(string(out)).NotTo(ContainSubstring("goroutine"), name)
	}
	return stdout, errOut.Bytes()
}

// echoTarget is testnet.EchoTarget for testdata/echo.yaml, closed when the
// spec ends: every item fails and every report section is written.
type echoTarget struct{ *testnet.EchoTarget }

func newEchoTarget() echoTarget {
	t := testnet.NewEchoTarget()
	DeferCleanup(t.Close)
	return echoTarget{t}
}

func (t echoTarget) received() []string { return t.Received() }
