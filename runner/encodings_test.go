package runner_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

// The credentials of the echo run (internal/testnet.EchoTarget).
const (
	echoAPIKey       = testnet.EchoAPIKey
	echoClientSecret = testnet.EchoClientSecret
	echoBareToken    = testnet.EchoBareToken
	echoBasicPair    = testnet.EchoBasicPair
	echoPassword     = testnet.EchoPassword
	echoIssuedToken  = testnet.EchoIssuedToken
)

func echoSecrets() []string { return testnet.EchoSecrets() }

func echoBasic() string { return testnet.EchoBasic() }

// expectNoEncodedSecret scans every artifact for every form of every
// secret, as each artifact would write it, and for the secrets the target
// hid inside longer base64 texts.
func expectNoEncodedSecret(arts map[string][]byte, secrets []string) {
	GinkgoHelper()
	needles := testnet.SecretNeedles(secrets)
	names := make([]string, 0, len(arts))
	for name := range arts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, n := range needles {
			Expect(bytes.Contains(arts[name], []byte(n))).To(BeFalse(), "%s contains %q", name, n)
		}
	}
}

var _ = Describe("secrets in every encoding", func() {
	It("are masked in every artifact when golive encodes them and a target echoes them in every encoding", func() {
		t := newEchoTarget()
		// The terminal's progress lines, as a TTY shows them while the run goes.
		var tty, plain bytes.Buffer
		ttyTerm := &reports.Terminal{W: &tty, Color: true, Verbose: true}
		plainTerm := &reports.Terminal{W: &plain}
		progress := runner.WithProgress(func(it results.Item, done, total int) {
			ttyTerm.ItemDone(it, done, total)
			plainTerm.ItemDone(it, done, total)
		})
		r, err := runner.New(runner.Target{BaseURL: t.URL, Headers: []string{
			"Authorization: Bearer " + echoBareToken,
			"Proxy-Authorization: Basic ${ECHO_BASIC}",
		}}, []runner.Job{loadJob("testdata/echo.yaml", "testdata/echo-suite.yaml", 0)}, progress,
			runner.WithEnv(env(map[string]string{
				"ECHO_API_KEY": echoAPIKey, "ECHO_CLIENT_SECRET": echoClientSecret, "ECHO_BASIC": echoBasic(),
			})), runner.WithConcurrency(3))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())
		for _, it := range run.Items {
			Expect(it.Status).To(Equal(results.Fail), "%s: %s", it.ID, it.Message)
		}
		// Every credential reached the target, so every one was echoed.
		Expect(t.received()).To(ConsistOf(echoSecrets()))

		arts := map[string][]byte{"progress (TTY)": tty.Bytes(), "progress": plain.Bytes()}
		dir := GinkgoT().TempDir()
		Expect(reports.WriteAll(dir, run)).To(Succeed())
		for _, name := range []string{reports.ResultsFile, reports.JUnitFile, reports.HTMLFile, reports.ManifestFile} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			Expect(err).NotTo(HaveOccurred())
			arts[name] = data
		}
		var jsonOut bytes.Buffer
		Expect(reports.WriteJSON(&jsonOut, run)).To(Succeed())
		arts["stdout (--format json)"] = jsonOut.Bytes()
		for name, term := range map[string]*reports.Terminal{"summary (TTY)": ttyTerm, "summary": plainTerm,
			"summary (quiet)": {Quiet: true}} {
			var b bytes.Buffer
			term.W = &b
			term.Summary(run)
			arts[name] = b.Bytes()
		}
		expectNoEncodedSecret(arts, echoSecrets())

		// Masked, not dropped: the echoes are there, with **** for the secrets.
		e1 := item(run, "E-1")
		Expect(e1.Exchanges[0].Response.Headers["Location"]).To(HavePrefix("/v1/next?s="))
		Expect(e1.Exchanges[0].Response.Headers["Location"]).To(ContainSubstring("****"))
	})

	It("write curl lines that send the encoded secrets exactly, from variables holding each encoding", func() {
		t := newEchoTarget()
		run := run(t.URL, []runner.Job{loadJob("testdata/echo.yaml", "testdata/echo-suite.yaml", 0)},
			runner.WithEnv(env(map[string]string{"ECHO_API_KEY": echoAPIKey, "ECHO_CLIENT_SECRET": echoClientSecret})))
		e1, e2 := item(run, "E-1").Curl, item(run, "E-2").Curl
		Expect(e1).To(ContainSubstring(`/v1/keys/'"${ECHO_API_KEY_PATH_ESCAPED}"'?key='"${ECHO_API_KEY_QUERY_ESCAPED}"`))
		Expect(e1).To(ContainSubstring(`'Api-Key: '"${ECHO_API_KEY}"`))
		Expect(e2).To(ContainSubstring(`"clientSecret":"'"${ECHO_CLIENT_SECRET_JSON_ESCAPED}"'"`))

		dir := GinkgoT().TempDir()
		vars := []string{"ECHO_API_KEY=" + echoAPIKey,
			"ECHO_API_KEY_PATH_ESCAPED=" + url.PathEscape(echoAPIKey),
			"ECHO_API_KEY_QUERY_ESCAPED=" + url.QueryEscape(echoAPIKey),
			"ECHO_CLIENT_SECRET_JSON_ESCAPED=" + testnet.JSONInner(echoClientSecret, true)}
		for id, line := range map[string]string{"E-1": e1, "E-2": e2} {
			Expect(curlRequest(pasteRun(dir, vars, line), t.URL)).To(Equal(t.request(id)), "%s:\n%s", id, line)
		}
	})

	It("leave learned values shorter than the minimum alone, so ordinary text is never masked", func() {
		red := runner.NewRedactor()
		for _, short := range []string{"1", "test", "DONE", "10.00", "abc1234"} {
			red.AddLearned(short, "SHORT")
		}
		red.AddLearned("long-enough", "LONG")
		text := `{"status":"DONE","amount":"10.00","note":"test abc1234 1"} long-enough ` +
			base64.StdEncoding.EncodeToString([]byte("long-enough"))
		Expect(red.Mask(text)).To(Equal(`{"status":"DONE","amount":"10.00","note":"test abc1234 1"} **** ****`))
	})

	DescribeTable("mask credentials whatever their length, in every position and encoding",
		func(secret, text, want string) {
			red := runner.NewRedactor()
			red.Add(secret, "KEY")
			red.Add("a-much-longer-credential", "LONG")
			Expect(red.Mask(text)).To(Equal(want))
		},
		Entry("one byte", "Z", "aZbZ", "a****b****"),
		Entry("4 bytes at the start and the end", "k3Y9", "k3Y9 and k3Y9", "**** and ****"),
		Entry("4 bytes next to each other", "k3Y9", "k3Y9k3Y9", "********"),
		Entry("4 bytes, the last of the text", "k3Y9", "x=k3Y9", "x=****"),
		Entry("5 bytes JSON-escaped", `c5"q7`, `{"key":"c5\"q7"}`, `{"key":"****"}`),
		Entry("5 bytes query-escaped", "c5 q7", "/v1?key=c5+q7&x=1", "/v1?key=****&x=1"),
		Entry("4 bytes in base64", "k3Y9", "key="+base64.StdEncoding.EncodeToString([]byte("k3Y9")), "key=****"),
		Entry("4 bytes inside a longer base64 text", "k3Y9", base64.StdEncoding.EncodeToString([]byte("user:k3Y9")),
			"dXNlcjp****"),
		Entry("a short one beside a long one", "k3Y9", "a-much-longer-credential k3Y9", "**** ****"),
		Entry("a short one that starts a long one's text: the long one wins", "a-mu", "a-much-longer-credential a-mu", "**** ****"),
		Entry("7 bytes, just under the index key", "abcdefg", "xabcdefgx", "x****x"),
	)

	It("mask a short credential in curl lines by its variable", func() {
		t := newEchoTarget()
		run := run(t.URL, []runner.Job{loadJob("testdata/echo.yaml", "testdata/echo-suite.yaml", 0)},
			runner.WithEnv(env(map[string]string{"ECHO_API_KEY": "k3Y9", "ECHO_CLIENT_SECRET": "s3c"})))
		for _, id := range []string{"E-1", "E-2"} {
			it := item(run, id)
			Expect(it.Curl).NotTo(ContainSubstring("k3Y9"), id)
			Expect(it.Curl).NotTo(ContainSubstring("s3c"), id)
			for _, ex := range it.Exchanges {
				Expect(ex.Request.URL).NotTo(ContainSubstring("k3Y9"), id)
				Expect(ex.Request.Body).NotTo(ContainSubstring("s3c"), id)
			}
		}
		Expect(item(run, "E-1").Curl).To(ContainSubstring(`'Api-Key: '"${ECHO_API_KEY}"`))
	})
})

// echoTarget is testnet.EchoTarget, closed when the spec ends.
type echoTarget struct{ *testnet.EchoTarget }

func newEchoTarget() echoTarget {
	t := testnet.NewEchoTarget()
	DeferCleanup(t.Close)
	return echoTarget{t}
}

func (t echoTarget) received() []string { return t.Received() }

func (t echoTarget) request(id string) sentRequest {
	GinkgoHelper()
	req, ok := t.Request(id)
	Expect(ok).To(BeTrue(), "the target got no request for %s", id)
	return req
}
