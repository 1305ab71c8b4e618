package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/golive-cert/golive/sandbox"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// Credentials the sandbox accepts (golive sandbox --help).
const (
	sandboxClientID = "sandbox-client"
	sandboxAPIKey   = "sandbox-api-key"
)

// Exit codes: the contract in DESIGN.md.
const (
	exitCertified    = 0
	exitNotCertified = 1
	exitInvalid      = 2
	exitNotTestable  = 3
	exitInterrupted  = 130
)

// Verdicts as results.json and the terminal spell them.
const (
	verdictCertified    = "CERTIFIED"
	verdictObservations = "CERTIFIED WITH OBSERVATIONS"
	verdictNotCertified = "NOT CERTIFIED"
	verdictNotTestable  = "NOT TESTABLE"
)

// ---------------------------------------------------------------------------
// Running golive

// minimalEnv is the whole environment of a child process: PATH and HOME and
// the given NAME=value pairs, so that a developer's GOLIVE_* variables (or
// NO_COLOR, proxies, ...) never reach the binary under test.
func minimalEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	return append(env, extra...)
}

// credsEnv is minimalEnv plus the sandbox credentials in the variables the
// built-in suites read.
func credsEnv(extra ...string) []string {
	return minimalEnv(append([]string{"GOLIVE_CLIENT_ID=" + sandboxClientID, "GOLIVE_API_KEY=" + sandboxAPIKey,
		"GOLIVE_CHECKSUM_KEY=" + sandbox.DefaultChecksumKey}, extra...)...)
}

// startGolive starts the binary with exactly env, in a scratch working
// directory (so a forgotten --out never writes into the repository).
func startGolive(env []string, args ...string) *gexec.Session {
	GinkgoHelper()
	cmd := exec.Command(golivePath, args...)
	cmd.Env = env
	cmd.Dir = GinkgoT().TempDir()
	session, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	return session
}

// golive runs the binary to its end and checks the exit code and that
// nothing it printed looks like a Go crash.
func golive(wantExit int, env []string, args ...string) *gexec.Session {
	GinkgoHelper()
	session := startGolive(env, args...)
	waitExit(session, wantExit)
	return session
}

// waitExit waits for the process to end with code, and checks it did not crash.
func waitExit(session *gexec.Session, code int) {
	GinkgoHelper()
	Eventually(session, exitTimeout).Should(gexec.Exit(code),
		"golive %v\nstdout:\n%s\nstderr:\n%s", session.Command.Args[1:], tail(session.Out), tail(session.Err))
	expectNoCrash(session)
}

func expectNoCrash(session *gexec.Session) {
	GinkgoHelper()
	for name, out := range map[string][]byte{"stdout": session.Out.Contents(), "stderr": session.Err.Contents()} {
		Expect(string(out)).NotTo(ContainSubstring("panic"), "%s of golive %v", name, session.Command.Args[1:])
		Expect(string(out)).NotTo(ContainSubstring("goroutine"), "%s of golive %v", name, session.Command.Args[1:])
	}
}

func tail(b *gbytes.Buffer) string {
	s := string(b.Contents())
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func stdout(s *gexec.Session) string { return string(s.Out.Contents()) }
func stderr(s *gexec.Session) string { return string(s.Err.Contents()) }

// nonEmptyLines splits s into its non-blank lines.
func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// verdictLine is the "Verdict: ..." line of the text summary.
func verdictLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Verdict: ") {
			return l
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Background sandbox and fake targets

// startSandbox serves `golive sandbox` on a free 127.0.0.1 port and returns
// its base URL; the process is stopped when the spec ends.
func startSandbox(extraArgs ...string) string {
	GinkgoHelper()
	for attempt := 1; ; attempt++ {
		addr := freeAddr()
		args := append([]string{"sandbox", "--addr", addr, "--settle-after", "300ms"}, extraArgs...)
		session := startGolive(minimalEnv(), args...)
		if waitListening(session, addr) {
			DeferCleanup(func() {
				session.Interrupt()
				Eventually(session, 10*time.Second).Should(gexec.Exit())
			})
			return "http://" + addr
		}
		// The port was taken between picking and binding: try another one.
		session.Kill()
		Eventually(session, 10*time.Second).Should(gexec.Exit())
		Expect(attempt).To(BeNumerically("<", 3), "sandbox did not start:\n%s", stderr(session))
	}
}

// freeAddr picks a loopback port nobody listens on right now.
func freeAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return addr
}

// waitListening waits until addr accepts connections, or the process ends.
func waitListening(session *gexec.Session, addr string) bool {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if session.ExitCode() != -1 {
			return false
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			_ = c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// countingTarget is a 127.0.0.1 HTTP server that counts what reaches it; for
// runs that must fail before sending anything.
type countingTarget struct {
	URL      string
	requests atomic.Int64
}

func newCountingTarget() *countingTarget {
	GinkgoHelper()
	t := &countingTarget{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.requests.Add(1)
		http.Error(w, "this target must not be contacted", http.StatusTeapot)
	}))
	DeferCleanup(srv.Close)
	t.URL = srv.URL
	return t
}

func (t *countingTarget) Requests() int64 { return t.requests.Load() }

// ---------------------------------------------------------------------------
// Fixtures and report folders

// fixture copies testdata/name into dir and returns the copy's path, so that
// every test works on its own files.
func fixture(dir, name string) string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(dir, name)
	Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
	return path
}

// lineOf is the 1-based number of the first line of file containing marker.
func lineOf(file, marker string) int {
	GinkgoHelper()
	f, err := os.Open(file)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), marker) {
			return n
		}
	}
	Fail(fmt.Sprintf("%s has no line containing %q", file, marker))
	return 0
}

// filesUnder lists every regular file below dir (none when it is missing).
func filesUnder(dir string) []string {
	GinkgoHelper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	sort.Strings(files)
	return files
}

// listedAPIs are the built-in APIs as `golive list` names them.
func listedAPIs() []string {
	GinkgoHelper()
	session := golive(exitCertified, minimalEnv(), "list")
	var apis []string
	lines := strings.Split(stdout(session), "\n")
	Expect(lines[0]).To(HavePrefix("API "))
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		apis = append(apis, strings.Fields(l)[0])
	}
	return apis
}

// builtinSuiteFile is the source of an embedded suite, to read its item ids
// and line numbers the way golive reports them.
func builtinSuiteFile(name string) string {
	path, err := filepath.Abs(filepath.Join("..", "..", "suites", name+".yaml"))
	Expect(err).NotTo(HaveOccurred())
	return path
}

var itemIDLine = regexp.MustCompile(`(?m)^\s*-\s*id:\s*(\S+)\s*$`)

// suiteItemIDs lists the ids of a suite file's items, in order.
func suiteItemIDs(file string) []string {
	GinkgoHelper()
	data, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred())
	var ids []string
	for _, m := range itemIDLine.FindAllStringSubmatch(string(data), -1) {
		ids = append(ids, m[1])
	}
	Expect(ids).NotTo(BeEmpty(), file)
	return ids
}

// ---------------------------------------------------------------------------
// results.json, as a consumer reads it (docs: golive.results/v1)

type resultsDoc struct {
	Schema string `json:"schema"`
	Tool   struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"tool"`
	RunID  string `json:"runId"`
	Target struct {
		Partner     string `json:"partner"`
		BaseURL     string `json:"baseUrl"`
		Environment string `json:"environment"`
	} `json:"target"`
	APIs []struct {
		Name       string `json:"name"`
		Spec       string `json:"spec"`
		SpecSHA256 string `json:"specSha256"`
		Suite      string `json:"suite"`
	} `json:"apis"`
	Interrupted bool `json:"interrupted"`
	Verdict     struct {
		Status   string `json:"status"`
		Reason   string `json:"reason"`
		ExitCode int    `json:"exitCode"`
	} `json:"verdict"`
	Summary struct {
		Total   int `json:"total"`
		Passed  int `json:"passed"`
		Failed  int `json:"failed"`
		Errored int `json:"errored"`
		Skipped int `json:"skipped"`
	} `json:"summary"`
	Items []itemDoc `json:"items"`
}

type itemDoc struct {
	ID        string   `json:"id"`
	API       string   `json:"api"`
	Group     string   `json:"group"`
	Title     string   `json:"title"`
	Kind      string   `json:"kind"`
	Severity  string   `json:"severity"`
	Status    string   `json:"status"`
	Category  string   `json:"category"`
	Reason    string   `json:"reason"`
	Message   string   `json:"message"`
	Expected  string   `json:"expected"`
	Actual    string   `json:"actual"`
	Step      string   `json:"step"`
	Curl      string   `json:"curl"`
	Notes     []string `json:"notes"`
	Exchanges []struct {
		Request struct {
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		} `json:"request"`
		Response *struct {
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		} `json:"response"`
		Error string `json:"error"`
	} `json:"exchanges"`
}

func readResults(out string) resultsDoc {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	Expect(err).NotTo(HaveOccurred())
	return parseResults(data)
}

func parseResults(data []byte) resultsDoc {
	GinkgoHelper()
	var doc resultsDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	Expect(dec.Decode(&doc)).To(Succeed(), "results.json does not parse:\n%.2000s", data)
	Expect(dec.More()).To(BeFalse(), "results.json has trailing data")
	return doc
}

func (d resultsDoc) item(id string) itemDoc {
	GinkgoHelper()
	for _, it := range d.Items {
		if it.ID == id {
			return it
		}
	}
	Fail("results.json has no item " + id)
	return itemDoc{}
}

// ids lists the items whose status is one of statuses.
func (d resultsDoc) ids(statuses ...string) []string {
	var out []string
	for _, it := range d.Items {
		for _, s := range statuses {
			if it.Status == s {
				out = append(out, it.ID)
			}
		}
	}
	return out
}

// notPassed lists the items that failed or errored.
func (d resultsDoc) notPassed() []itemDoc {
	var out []itemDoc
	for _, it := range d.Items {
		if it.Status == "fail" || it.Status == "error" {
			out = append(out, it)
		}
	}
	return out
}

// designVerdict applies DESIGN.md's rule to the items: an integration
// failure of a critical or major item is NOT CERTIFIED; connection or system
// failures of such items make the target NOT TESTABLE; minor failures alone
// are observations.
func designVerdict(d resultsDoc) (string, int) {
	var blocking, untestable, minor int
	for _, it := range d.notPassed() {
		switch {
		case it.Severity == "minor":
			minor++
		case it.Category == "connection" || it.Category == "system":
			untestable++
		default:
			blocking++
		}
	}
	switch {
	case d.Interrupted || blocking > 0:
		return verdictNotCertified, exitNotCertified
	case untestable > 0:
		return verdictNotTestable, exitNotTestable
	case minor > 0:
		return verdictObservations, exitCertified
	default:
		return verdictCertified, exitCertified
	}
}

// expectReportSet checks that out holds the four reports and that the
// manifest's hashes describe them.
func expectReportSet(out string) {
	GinkgoHelper()
	for _, name := range []string{"results.json", "junit.xml", "report.html", "manifest.json"} {
		info, err := os.Stat(filepath.Join(out, name))
		Expect(err).NotTo(HaveOccurred(), "report %s", name)
		Expect(info.Size()).To(BeNumerically(">", 0), "report %s", name)
	}
}
