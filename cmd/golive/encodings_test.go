package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tidwall/gjson"
)

// The credentials of the echo runs (testdata/echo.yaml and echo-suite.yaml),
// each chosen so that every encoding changes it.
const (
	echoAPIKey       = "ak_Live+9f8e/7d6c=="            // ${ECHO_API_KEY}: path, query and api-key header
	echoClientSecret = `cs_Live&<Sec>/"r'e+t€x`         // ${ECHO_CLIENT_SECRET}: a JSON body
	echoBareToken    = "bt_Live+B4re/T0ken/Xy=="        // --header "Authorization: Bearer $T", written out
	echoBasicPair    = "merchant-7:pw_Live+Pass/w0rd==" // base64 in ${ECHO_BASIC}: Proxy-Authorization: Basic
	echoPassword     = "pw_Live+Pass/w0rd=="
	echoIssuedToken  = "it_Live+Issued/T0k==" // issued by the target, at the suite's secret path
)

func echoBasic() string { return base64.StdEncoding.EncodeToString([]byte(echoBasicPair)) }

func echoSecrets() []string {
	return []string{echoAPIKey, echoClientSecret, echoBareToken, echoBasic(), echoBasicPair, echoPassword, echoIssuedToken}
}

// encodedSecretNeedles are the byte strings no output may hold: every form
// a secret takes when golive or a target encodes it once (raw; percent-
// encoded for a query and a path, upper- and lower-case hex; inside a JSON
// string with and without HTML-safe escapes; base64 and base64url, padded
// and not; inside a longer base64 text), each as a report would write it
// (as it is, in a JSON string, in HTML text, in XML).
func encodedSecretNeedles(secrets []string) []string {
	inner := func(s string, escapeHTML bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		Expect(enc.Encode(s)).To(Succeed())
		out := strings.TrimSuffix(b.String(), "\n")
		return out[1 : len(out)-1]
	}
	var needles []string
	for _, s := range secrets {
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s), strings.ToLower(url.QueryEscape(s)),
			strings.ToLower(url.PathEscape(s)), inner(s, true), inner(s, false), echoEmbedded(s)}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			forms = append(forms, enc.EncodeToString([]byte(s)))
		}
		for _, f := range forms {
			var h, x bytes.Buffer
			Expect(template.Must(template.New("").Parse("{{.}}")).Execute(&h, f)).To(Succeed())
			Expect(xml.EscapeText(&x, []byte(f))).To(Succeed())
			needles = append(needles, f, inner(f, true), inner(f, false), h.String(), x.String())
		}
	}
	return needles
}

// echoEmbedded is a secret inside a longer base64 text, as a password is in
// Basic credentials: none of the secret's own forms appear in it.
func echoEmbedded(s string) string {
	return base64.StdEncoding.EncodeToString([]byte("user-1:" + s + ":rest"))
}

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
		needles := encodedSecretNeedles(echoSecrets())
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

// echoTarget is a 127.0.0.1 server for testdata/echo.yaml that answers
// every request with every credential it received (headers, path, query,
// JSON body), in every encoding: raw and percent-encoded in a Location query,
// a path and headers, base64 and base64url in headers, all of them in a JSON
// body (escaped by encoding/json), and inside a longer base64 text. Token
// requests get a token; everything else is refused, so every item fails and
// every report section is written.
type echoTarget struct {
	URL string
	mu  sync.Mutex
	got map[string]bool // every credential received
}

func newEchoTarget() *echoTarget {
	t := &echoTarget{got: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(t.serve))
	DeferCleanup(srv.Close)
	t.URL = srv.URL
	return t
}

func (t *echoTarget) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var creds []string
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		creds = append(creds, v)
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Proxy-Authorization"), "Basic "); ok {
		creds = append(creds, v)
		if pair, err := base64.StdEncoding.DecodeString(v); err == nil {
			_, password, _ := strings.Cut(string(pair), ":")
			creds = append(creds, string(pair), password)
		}
	}
	creds = append(creds, r.Header.Get("Api-Key"), r.URL.Query().Get("key"), gjson.GetBytes(body, "clientSecret").String())
	if key, ok := strings.CutPrefix(r.URL.Path, "/v1/keys/"); ok {
		creds = append(creds, key)
	}
	status, answer := http.StatusTeapot, map[string]any{"code": "REFUSED"}
	if r.URL.Path == "/v1/token" {
		creds = append(creds, echoIssuedToken)
		status, answer = http.StatusOK, map[string]any{"token": echoIssuedToken}
	}
	var echoes []map[string]string
	var location []string
	for _, c := range creds {
		if c == "" {
			continue
		}
		t.mu.Lock()
		t.got[c] = true
		t.mu.Unlock()
		e := map[string]string{"raw": c, "query": url.QueryEscape(c), "path": url.PathEscape(c), "embedded": echoEmbedded(c)}
		for name, enc := range map[string]*base64.Encoding{"b64": base64.StdEncoding, "b64raw": base64.RawStdEncoding,
			"b64url": base64.URLEncoding, "b64rawurl": base64.RawURLEncoding} {
			e[name] = enc.EncodeToString([]byte(c))
			w.Header().Add("X-Echo-"+name, e[name])
		}
		w.Header().Add("X-Echo-Path", "/v1/keys/"+e["path"])
		w.Header().Add("X-Echo-Embedded", e["embedded"])
		w.Header().Add("X-Echo-Raw", c)
		location = append(location, "s="+e["query"])
		echoes = append(echoes, e)
	}
	answer["echo"] = echoes
	w.Header().Set("Location", "/v1/next?"+strings.Join(location, "&"))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

// received lists the distinct credentials the target has seen.
func (t *echoTarget) received() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.got))
	for c := range t.got {
		out = append(out, c)
	}
	return out
}
