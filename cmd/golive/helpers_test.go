package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golive-cert/golive/internal/cli"
	"github.com/golive-cert/golive/sandbox"

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

// ---------------------------------------------------------------------------
// Running golive
//
// Specs run golive in-process: cli.Execute with a GlobalState whose streams,
// environment and context belong to the spec, exactly what main does with
// the process's own. The built binary runs only where a real process is
// under test: its exit status (binary_test.go, and the demo --fault matrix,
// which checks it for every verdict) and its signal handling
// (interrupt_test.go).

// cliRun is one golive command line, run in this process or as the binary.
// It stands in for a *gexec.Session: Out and Err fill as golive writes,
// ExitCode is -1 until golive ends (so gexec.Exit matchers work on it), and
// Interrupt is Ctrl-C.
type cliRun struct {
	Args     []string // the command line, without the program name
	Out, Err *gbytes.Buffer

	cancel  context.CancelFunc
	started chan struct{} // closed when golive starts
	done    chan struct{}
	code    int // written once, before done is closed
}

// ExitCode is golive's exit code, or -1 while it runs.
func (r *cliRun) ExitCode() int {
	select {
	case <-r.done:
		return r.code
	default:
		return -1
	}
}

// Interrupt is Ctrl-C. In-process it cancels the GlobalState's context,
// which is what the real process's SIGINT handler does; the binary gets a
// real SIGINT.
func (r *cliRun) Interrupt() *cliRun {
	r.cancel()
	return r
}

// Started is closed once golive has started: at once, or when a slot is
// free (runSetup.slots).
func (r *cliRun) Started() <-chan struct{} { return r.started }

// Buffer is stdout, so gbytes.Say works on the run itself.
func (r *cliRun) Buffer() *gbytes.Buffer { return r.Out }

// startGolive runs golive in a goroutine of this process with exactly env
// as its environment: a developer's GOLIVE_* variables (or NO_COLOR, ...)
// never reach it. The run is interrupted and waited for when the node that
// started it ends (the spec; an Ordered container for BeforeAll; the suite
// for BeforeSuite), so it never outlives it.
func startGolive(env []string, args ...string) *cliRun {
	GinkgoHelper()
	return startGoliveWith(runSetup{}, env, args...)
}

// runSetup is how startGoliveWith runs golive.
type runSetup struct {
	// binary runs the built binary, with exactly env as its environment, in
	// a scratch working directory (so a forgotten --out never writes into
	// the repository), instead of running golive in this process.
	binary bool
	// slots is shared by runs of which only cap(slots) may run at once: a
	// run waits for a free slot before it starts (ExitCode stays -1
	// meanwhile). nil starts at once. Many certifications at once would
	// push responses past the checklists' latency budgets.
	slots chan struct{}
	// quiet keeps the output out of GinkgoWriter, for runs that go on
	// while other specs run (it would land in their output).
	quiet bool
}

func startGoliveWith(setup runSetup, env []string, args ...string) *cliRun {
	GinkgoHelper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &cliRun{
		Args:    args,
		Out:     gbytes.NewBuffer(),
		Err:     gbytes.NewBuffer(),
		cancel:  cancel,
		started: make(chan struct{}),
		done:    make(chan struct{}),
	}
	var stdout, stderr io.Writer = r.Out, r.Err
	if !setup.quiet {
		stdout, stderr = io.MultiWriter(r.Out, GinkgoWriter), io.MultiWriter(r.Err, GinkgoWriter)
	}
	var run func() int
	if setup.binary {
		cmd := exec.CommandContext(ctx, golivePath(), args...)
		cmd.Env = env
		cmd.Dir = GinkgoT().TempDir()
		cmd.Stdout, cmd.Stderr = stdout, stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second // then killed
		run = func() int { return runBinary(cmd, r.Err) }
	} else {
		expectOutFlag(args)
		gs := &cli.GlobalState{
			Ctx:       ctx,
			Args:      args,
			Stdout:    stdout,
			Stderr:    stderr,
			LookupEnv: envLookup(env),
			IsTTY:     false,
			Version:   "dev",
		}
		run = func() int { return cli.Execute(gs) }
	}
	go func() {
		defer close(r.done)
		defer cancel()
		defer func() {
			// A panic would crash the real binary with exit code 2 and a
			// stack trace on stderr; say the same so expectNoCrash catches
			// it, instead of taking the whole test process down.
			if p := recover(); p != nil {
				fmt.Fprintf(r.Err, "panic: %v\n\n%s", p, debug.Stack())
				r.code = 2
			}
		}()
		if setup.slots != nil {
			select {
			case setup.slots <- struct{}{}:
				defer func() { <-setup.slots }()
			case <-ctx.Done(): // interrupted while waiting: run at once, to stop at once
			}
		}
		close(r.started)
		r.code = run()
	}()
	DeferCleanup(func() {
		r.Interrupt()
		Eventually(r, exitTimeout).Should(gexec.Exit(), "golive %v did not stop after its spec", r.Args)
	})
	return r
}

// runBinary runs cmd to its end and returns its exit status as a shell
// gives it (128+n for a death by signal n).
func runBinary(cmd *exec.Cmd, stderr io.Writer) int {
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintf(stderr, "golive test: cannot start the binary: %v\n", err)
		return 127
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// expectOutFlag fails an in-process run or demo without --out: golive's
// working directory is then the package folder, and the default --out
// would write into the repository.
func expectOutFlag(args []string) {
	GinkgoHelper()
	if len(args) == 0 || (args[0] != "run" && args[0] != "demo") {
		return
	}
	for _, a := range args {
		if a == "--out" || strings.HasPrefix(a, "--out=") || a == "--help" || a == "-h" {
			return
		}
	}
	Fail(fmt.Sprintf("golive %v: pass --out (a temporary folder); in-process the default would write into the repository", args))
}

// envLookup is os.LookupEnv over env alone (NAME=value pairs, the last of
// a name wins, as for a child process).
func envLookup(env []string) func(string) (string, bool) {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// golive runs golive in-process to its end and checks the exit code and
// that nothing it printed looks like a Go crash.
func golive(wantExit int, env []string, args ...string) *cliRun {
	GinkgoHelper()
	r := startGolive(env, args...)
	waitExit(r, wantExit)
	return r
}

// waitExit waits for the run to end with code, and checks it did not crash.
func waitExit(r *cliRun, code int) {
	GinkgoHelper()
	Eventually(r, exitTimeout).Should(gexec.Exit(code),
		"golive %v\nstdout:\n%s\nstderr:\n%s", r.Args, tail(r.Out), tail(r.Err))
	expectNoCrash(r)
}

func expectNoCrash(r *cliRun) {
	GinkgoHelper()
	for name, out := range map[string]*gbytes.Buffer{"stdout": r.Out, "stderr": r.Err} {
		Expect(string(out.Contents())).NotTo(ContainSubstring("panic"), "%s of golive %v", name, r.Args)
		Expect(string(out.Contents())).NotTo(ContainSubstring("goroutine"), "%s of golive %v", name, r.Args)
	}
}

func tail(b *gbytes.Buffer) string {
	s := string(b.Contents())
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func stdout(r *cliRun) string { return string(r.Out.Contents()) }
func stderr(r *cliRun) string { return string(r.Err.Contents()) }

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

var servingAt = regexp.MustCompile(`serving at (http://127\.0\.0\.1:\d+)`)

// startSandbox serves `golive sandbox` (in-process) on a port the kernel
// picks on 127.0.0.1 and returns its base URL; it is stopped when the spec
// ends.
func startSandbox(extraArgs ...string) string {
	GinkgoHelper()
	args := append([]string{"sandbox", "--listen", "127.0.0.1:0", "--settle-after", "300ms"}, extraArgs...)
	r := startGolive(minimalEnv(), args...)
	Eventually(r.Out, exitTimeout).Should(gbytes.Say(servingAt.String()), "sandbox did not start:\n%s", r.Err.Contents())
	m := servingAt.FindSubmatch(r.Out.Contents())
	Expect(m).NotTo(BeNil())
	return string(m[1])
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

// pollCounter is a 127.0.0.1 reverse proxy in front of target that counts
// the status polls (GET /v1/<collections|payouts>/<reference>) it passes
// on: a poll means a run is inside a payment flow.
type pollCounter struct {
	URL   string
	polls atomic.Int64
}

var statusPollPath = regexp.MustCompile(`^/v1/(collections|payouts)/[^/]+$`)

func newPollCounter(target string) *pollCounter {
	GinkgoHelper()
	u, err := url.Parse(target)
	Expect(err).NotTo(HaveOccurred())
	p := &pollCounter{}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && statusPollPath.MatchString(r.URL.Path) && !strings.HasSuffix(r.URL.Path, "/preview") {
			p.polls.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	DeferCleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *pollCounter) Polls() int64 { return p.polls.Load() }

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
