package runner_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// Secrets of the paste target: the api-key golive reads from the environment,
// and the token the target issues for it.
const (
	pasteKey   = "pk_Live-PASTE-5b6c7d8e9f"
	pasteToken = "tok-PASTE-a1b2c3d4e5f6a7b8"
)

// shellBait lists values that do something when a shell reads them unquoted
// or in double quotes (command substitution, an assignment with a side
// effect then prompt expansion, variables, globs, history), that end a
// quoted string, or that a terminal interprets or a report mangles (control
// characters, escape sequences, bytes that are not UTF-8, bidi overrides).
// Each runs `touch marker` if a shell ever executes it.
func shellBait(marker string) []string {
	return []string{
		"$(touch " + marker + ")",
		"`touch " + marker + "`",
		"${x:=$(touch " + marker + ")}${x@P}",
		"${HOME} $HOME ~ ~root * ? [a-z]",
		"it's '$(touch " + marker + ")'",
		`"; touch ` + marker + `; echo "`,
		"line one\nline two\r\n$(touch " + marker + ")",
		"\x1b]0;retitled\x07\x1b[31mred\x1b[0m",
		"\xff\xfe not UTF-8 \xc3",
		"\u202eevil\u202c and\u00a0no-break",
		`back\slash \$(touch ` + marker + `) $'\x41'`,
		"!! !-1 ^x^y",
		"",
	}
}

// pasteRun runs line the way a person pasting it into an interactive bash
// would have it run (history expansion on), with curl replaced by a shell
// function that prints its arguments, so nothing is sent anywhere. It
// returns the arguments curl would have received.
func pasteRun(dir string, env []string, line string) []string {
	GinkgoHelper()
	home := filepath.Join(dir, "home")
	Expect(os.MkdirAll(home, 0o755)).To(Succeed())
	script := "set -o history -o histexpand\n" +
		`curl() { printf '%s\0' "$@"; }` + "\n" +
		line + "\n"
	cmd := exec.Command("bash", "--noprofile", "--norc", "-s")
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, env...)
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	Expect(cmd.Run()).To(Succeed(), "bash: %s", stderr.String())
	Expect(stderr.String()).To(BeEmpty(), "bash complained about the line")
	args := strings.Split(stdout.String(), "\x00")
	Expect(args[len(args)-1]).To(BeEmpty(), "printf ends every argument with a NUL")
	return args[:len(args)-1]
}

// expectOneVisibleLine checks that a curl line can be shown and copied as
// it is: one line of valid UTF-8 with no control or invisible characters.
func expectOneVisibleLine(line string) {
	GinkgoHelper()
	Expect(utf8.ValidString(line)).To(BeTrue(), "%q", line)
	for _, r := range line {
		Expect(r == ' ' || unicode.IsGraphic(r) && !unicode.Is(unicode.Zs, r)).To(BeTrue(), "%U in %q", r, line)
	}
}

var _ = Describe("curl lines are safe to paste", func() {
	var dir, marker string
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		marker = filepath.Join(dir, "executed")
	})
	expectNothingRan := func() {
		GinkgoHelper()
		_, err := os.Stat(marker)
		Expect(os.IsNotExist(err)).To(BeTrue(), "a pasted line ran a command (%s exists)", marker)
	}

	It("quotes every value as inert text that a shell reads back byte for byte", func() {
		for _, v := range shellBait(marker) {
			quoted := runner.ShellLiteral(v)
			expectOneVisibleLine(quoted)
			Expect(pasteRun(dir, nil, "curl "+quoted)).To(Equal([]string{v}), "%q quoted as %s", v, quoted)
		}
		expectNothingRan()
	})

	It("repeats exactly what was sent: target values inert, forged credentials as sent, real ones as variables", func() {
		t := newPasteTarget(shellBait(marker))
		r, err := runner.New(runner.Target{BaseURL: t.srv.URL}, []runner.Job{pasteJob()},
			runner.WithEnv(env(map[string]string{"PASTE_API_KEY": pasteKey})), runner.WithConcurrency(4))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())

		// Every item fails against the target and so carries a curl line.
		cases := map[string]string{}
		for _, it := range run.Items {
			Expect(it.Status).To(Equal(results.Fail), "%s: %s", it.ID, it.Message)
			Expect(it.Curl).To(HavePrefix("curl "), it.ID)
			cases[it.ID] = it.Curl
		}
		Expect(cases).To(HaveLen(7))

		// The variables a user holding the credentials has set.
		creds := []string{"PASTE_API_KEY=" + pasteKey, "GOLIVE_TOKEN=" + pasteToken}
		for id, line := range cases {
			expectOneVisibleLine(line)
			Expect(line).NotTo(ContainSubstring(pasteKey), id)
			Expect(line).NotTo(ContainSubstring(pasteToken), id)
			args := pasteRun(dir, creds, line)
			sent := t.request(id)
			Expect(curlRequest(args, t.srv.URL)).To(Equal(sent), "%s: the pasted line sends what golive sent:\n%s", id, line)
		}
		expectNothingRan()

		// Real secrets are references, forged ones are the values sent.
		Expect(cases["P-5"]).To(ContainSubstring(`'Authorization: Bearer '"${GOLIVE_TOKEN}"`))
		Expect(cases["P-6"]).To(ContainSubstring(`'Api-Key: '"${PASTE_API_KEY}"`))
		Expect(cases["P-3"]).To(MatchRegexp(`'Authorization: Bearer golive-invalid-[^']+'`))
		Expect(cases["P-4"]).To(ContainSubstring(`'Api-Key: golive-wrong-api-key-0000'`))
	})

	It("sends a value the target returned as it is, never expanding a ${VAR} in it", func() {
		// A target that answers "${PASTE_API_KEY}" in a field a later header
		// carries must get those characters back, not the variable.
		t := newPasteTarget(shellBait(marker))
		run := run(t.srv.URL, []runner.Job{pasteJob()}, runner.WithEnv(env(map[string]string{"PASTE_API_KEY": pasteKey})))
		Expect(item(run, "P-1").Status).To(Equal(results.Fail), item(run, "P-1").Message)
		Expect(t.request("P-1").Header.Get("X-Echo")).To(Equal(t.values["hdr"]))
		Expect(t.values["hdr"]).To(HavePrefix("${PASTE_API_KEY} "))
	})
})

// sentRequest is a request as it arrived at the target, in the parts a curl
// line repeats (the headers curl sets on its own left out).
type sentRequest = testnet.SentRequest

// curlRequest reads the request a curl line's arguments describe.
func curlRequest(args []string, base string) sentRequest {
	GinkgoHelper()
	out := sentRequest{Header: http.Header{}}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-sS", "-i", "--globoff", "--path-as-is":
			continue // how curl behaves, not what it sends
		}
		Expect(i+1).To(BeNumerically("<", len(args)), "option %s without a value", args[i])
		v := args[i+1]
		switch args[i] {
		case "-X":
			Expect(i+2).To(BeNumerically("<", len(args)), "no URL")
			out.Method, out.URL = v, args[i+2]
			i++
		case "-H":
			name, value, ok := strings.Cut(v, ": ")
			if !ok {
				name, ok = strings.CutSuffix(v, ";") // an empty header
				Expect(ok).To(BeTrue(), "header %q", v)
			}
			out.Header.Add(name, value)
		case "--data-raw":
			out.Body = v
		default:
			Fail("unexpected curl option " + args[i])
		}
		i++
	}
	Expect(out.URL).To(HavePrefix(base))
	return out
}

// pasteTarget serves testdata/paste.yaml. getSource answers the hostile
// values for the suite to capture and send back; every other request is
// recorded under its X-Case header and refused, so every item fails with a
// curl line of the request recorded.
type pasteTarget struct {
	srv    *httptest.Server
	values map[string]string // field of the getSource answer -> value

	mu   sync.Mutex
	seen map[string]sentRequest
}

func newPasteTarget(bait []string) *pasteTarget {
	// Ends in a letter: a server trims the spaces that end a header value.
	joined := strings.Join(bait, " | ") + " | end"
	// A header value may not hold control characters; the rest may. It
	// starts with a reference to a variable the run has set.
	hdr := "${PASTE_API_KEY} " + strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '.'
		}
		return r
	}, joined)
	t := &pasteTarget{seen: map[string]sentRequest{}, values: map[string]string{
		"hdr":   hdr,
		"body":  joined,
		"path":  joined,
		"query": joined,
	}}
	t.srv = httptest.NewServer(http.HandlerFunc(t.serve))
	DeferCleanup(t.srv.Close)
	return t
}

func (t *pasteTarget) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/v1/source" {
		// Written by hand: encoding/json would replace the bytes that are
		// not UTF-8, and the target means to send them.
		var b strings.Builder
		b.WriteString("{")
		keys := make([]string, 0, len(t.values))
		for k := range t.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:\"%s\"", k, jsonInside(t.values[k]))
		}
		b.WriteString("}")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, b.String())
		return
	}
	h := r.Header.Clone()
	for _, own := range []string{"User-Agent", "Accept-Encoding", "Content-Length"} {
		h.Del(own) // set by the HTTP client, not by golive's request
	}
	t.mu.Lock()
	t.seen[r.Header.Get("X-Case")] = sentRequest{Method: r.Method, URL: "http://" + r.Host + r.RequestURI, Header: h, Body: string(body)}
	t.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/v1/token" && r.Header.Get("Api-Key") == pasteKey && r.Header.Get("X-Case") == "" {
		_, _ = fmt.Fprintf(w, `{"token":%q}`, pasteToken)
		return
	}
	w.WriteHeader(http.StatusTeapot)
	_, _ = io.WriteString(w, `{"code":"REFUSED"}`)
}

func (t *pasteTarget) request(id string) sentRequest {
	GinkgoHelper()
	t.mu.Lock()
	defer t.mu.Unlock()
	req, ok := t.seen[id]
	Expect(ok).To(BeTrue(), "the target got no request for %s", id)
	return req
}

// jsonInside escapes what JSON requires inside a string (quotes,
// backslashes, control characters) and leaves every other byte as it is.
func jsonInside(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ':
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// pasteJob is testdata/paste.yaml with a suite whose every item sends what
// a curl line must repeat: values the target returned, in the path, the
// query, a header and the body (raw and JSON); a forged token; a wrong
// api-key written in the suite; and the real token and api-key.
func pasteJob() runner.Job {
	GinkgoHelper()
	api, err := specs.NewLoader().Load(context.Background(), "testdata/paste.yaml")
	Expect(err).NotTo(HaveOccurred())
	const source = `
      - name: source
        operation: getSource
        capture: {hdr: hdr, body: body, path: path, query: query}
`
	text := `name: paste
api: paste
variables:
  apiKey: ${PASTE_API_KEY}
auth:
  operation: generateToken
  request:
    headers:
      api-key: "{{ var.apiKey }}"
  token: token
items:
  - id: P-1
    title: values from the target in every part of a request, body raw
    severity: critical
    flow:` + source + `      - name: sink
        operation: postSink
        request:
          path: {id: "{{ capture.path }}"}
          query: {q: "{{ capture.query }}"}
          headers: {X-Case: P-1, X-Echo: "{{ capture.hdr }}"}
          rawBody: "{{ capture.body }}"
          contentType: text/plain
        expect: {status: 200}
  - id: P-2
    title: values from the target in a JSON body
    severity: critical
    flow:` + source + `      - name: sink
        operation: postSink
        request:
          path: {id: json}
          headers: {X-Case: P-2, X-Empty: ""}
          body: {text: "{{ capture.body }}", nested: {list: ["{{ capture.query }}", 1]}}
        expect: {status: 200}
  - id: P-3
    title: a forged token
    severity: critical
    check:
      operation: postSink
      auth: invalid
      request:
        path: {id: forged}
        headers: {X-Case: P-3}
      expect: {status: 200}
  - id: P-4
    title: a wrong api-key the suite writes out
    severity: critical
    check:
      operation: generateToken
      request:
        headers: {X-Case: P-4, api-key: golive-wrong-api-key-0000}
      expect: {status: 200}
  - id: P-5
    title: the real token
    severity: critical
    check:
      operation: postSink
      request:
        path: {id: real}
        headers: {X-Case: P-5}
      expect: {status: 200}
  - id: P-6
    title: the real api-key
    severity: critical
    check:
      operation: generateToken
      request:
        headers: {X-Case: P-6, api-key: "{{ var.apiKey }}"}
      expect: {status: 201}
  - id: P-7
    title: the real api-key in a path and a query
    severity: critical
    check:
      operation: postSink
      request:
        path: {id: "{{ var.apiKey }}"}
        query: {q: "{{ var.apiKey }}"}
        headers: {X-Case: P-7}
      expect: {status: 200}
`
	s, err := suites.Parse("paste-suite.yaml", []byte(text))
	Expect(err).NotTo(HaveOccurred())
	return runner.Job{API: api, Suite: s}
}
