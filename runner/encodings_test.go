package runner_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

// The credentials of the echo run, each chosen so that every encoding
// changes it: "+", "/" and "=" change in a URL, "&", "<", ">", quotes and
// non-ASCII in JSON.
const (
	echoAPIKey       = "ak_Live+9f8e/7d6c=="            // ${ECHO_API_KEY}: path, query and api-key header
	echoClientSecret = `cs_Live&<Sec>/"r'e+t€x`         // ${ECHO_CLIENT_SECRET}: a JSON body
	echoBareToken    = "bt_Live+B4re/T0ken/Xy=="        // --header "Authorization: Bearer T", written out
	echoBasicPair    = "merchant-7:pw_Live+Pass/w0rd==" // base64 in ${ECHO_BASIC}: Proxy-Authorization: Basic
	echoPassword     = "pw_Live+Pass/w0rd=="
	echoIssuedToken  = "it_Live+Issued/T0k==" // issued by the target, at the suite's secret path
)

func echoSecrets() []string {
	return []string{echoAPIKey, echoClientSecret, echoBareToken, echoBasic(), echoBasicPair, echoPassword, echoIssuedToken}
}

func echoBasic() string { return base64.StdEncoding.EncodeToString([]byte(echoBasicPair)) }

// secretEncodings are the forms a secret takes when golive or a target
// encodes it once: raw; percent-encoded for a query and a path, with upper
// and lower case hex; inside a JSON string, with and without HTML-safe
// escapes; and base64 and base64url, padded and not.
func secretEncodings(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s),
		strings.ToLower(url.QueryEscape(s)), strings.ToLower(url.PathEscape(s))}
	for _, escapeHTML := range []bool{true, false} {
		out = append(out, jsonInner(s, escapeHTML))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
	}
	return out
}

// renderings are the ways a report writes a string: as it is, in a JSON
// string (results.json), in HTML text (report.html), in XML (junit.xml).
// A form escaped by the report is still the form.
func renderings(s string) []string {
	var h, x bytes.Buffer
	Expect(template.Must(template.New("").Parse("{{.}}")).Execute(&h, s)).To(Succeed())
	Expect(xml.EscapeText(&x, []byte(s))).To(Succeed())
	return []string{s, jsonInner(s, true), jsonInner(s, false), h.String(), x.String()}
}

func jsonInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	Expect(enc.Encode(s)).To(Succeed())
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// embedded is a secret inside a longer text, the way Basic credentials
// hold a password, in base64: none of the secret's own forms appear in it.
func embedded(s string) string {
	return base64.StdEncoding.EncodeToString([]byte("user-1:" + s + ":rest"))
}

// expectNoEncodedSecret scans every artifact for every form of every
// secret, as each artifact would write it, and for the secrets the target
// hid inside longer base64 texts.
func expectNoEncodedSecret(arts map[string][]byte, secrets []string) {
	GinkgoHelper()
	var needles []string
	for _, s := range secrets {
		for _, f := range append(secretEncodings(s), embedded(s)) {
			needles = append(needles, renderings(f)...)
		}
	}
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
		r, err := runner.New(runner.Target{BaseURL: t.srv.URL, Headers: []string{
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
		run := run(t.srv.URL, []runner.Job{loadJob("testdata/echo.yaml", "testdata/echo-suite.yaml", 0)},
			runner.WithEnv(env(map[string]string{"ECHO_API_KEY": echoAPIKey, "ECHO_CLIENT_SECRET": echoClientSecret})))
		e1, e2 := item(run, "E-1").Curl, item(run, "E-2").Curl
		Expect(e1).To(ContainSubstring(`/v1/keys/'"${ECHO_API_KEY_PATH_ESCAPED}"'?key='"${ECHO_API_KEY_QUERY_ESCAPED}"`))
		Expect(e1).To(ContainSubstring(`'Api-Key: '"${ECHO_API_KEY}"`))
		Expect(e2).To(ContainSubstring(`"clientSecret":"'"${ECHO_CLIENT_SECRET_JSON_ESCAPED}"'"`))

		dir := GinkgoT().TempDir()
		vars := []string{"ECHO_API_KEY=" + echoAPIKey,
			"ECHO_API_KEY_PATH_ESCAPED=" + url.PathEscape(echoAPIKey),
			"ECHO_API_KEY_QUERY_ESCAPED=" + url.QueryEscape(echoAPIKey),
			"ECHO_CLIENT_SECRET_JSON_ESCAPED=" + jsonInner(echoClientSecret, true)}
		for id, line := range map[string]string{"E-1": e1, "E-2": e2} {
			Expect(curlRequest(pasteRun(dir, vars, line), t.srv.URL)).To(Equal(t.request(id)), "%s:\n%s", id, line)
		}
	})

	It("leave values shorter than the minimum alone, so ordinary text is never masked", func() {
		red := runner.NewRedactor()
		for _, short := range []string{"1", "test", "DONE", "10.00", "abc1234"} {
			red.Add(short, "SHORT")
		}
		red.Add("long-enough", "LONG")
		text := `{"status":"DONE","amount":"10.00","note":"test abc1234 1"} long-enough ` +
			base64.StdEncoding.EncodeToString([]byte("long-enough"))
		Expect(red.Mask(text)).To(Equal(`{"status":"DONE","amount":"10.00","note":"test abc1234 1"} **** ****`))
	})
})

// echoTarget answers every request with every credential it received (from
// the headers, the path, the query and the JSON body), in every encoding: raw
// and percent-encoded in a Location query, a path and headers, base64 and
// base64url in headers, each of them in a JSON body (escaped by
// encoding/json), and inside a longer base64 text. It records each request
// under its X-Case header and refuses it (418), except token requests,
// which it answers 200 with a token.
type echoTarget struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]sentRequest
	got  map[string]bool
}

func newEchoTarget() *echoTarget {
	t := &echoTarget{seen: map[string]sentRequest{}, got: map[string]bool{}}
	t.srv = httptest.NewServer(http.HandlerFunc(t.serve))
	DeferCleanup(t.srv.Close)
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

	t.mu.Lock()
	h := r.Header.Clone()
	for _, own := range []string{"User-Agent", "Accept-Encoding", "Content-Length"} {
		h.Del(own)
	}
	t.seen[r.Header.Get("X-Case")] = sentRequest{method: r.Method, url: "http://" + r.Host + r.RequestURI, header: h, body: string(body)}
	var echoes []map[string]string
	var location []string
	for _, c := range creds {
		if c == "" {
			continue
		}
		t.got[c] = true
		e := map[string]string{"raw": c, "query": url.QueryEscape(c), "path": url.PathEscape(c), "embedded": embedded(c)}
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
	t.mu.Unlock()
	answer["echo"] = echoes
	// Location's query holds each secret percent-encoded, as a redirect
	// carrying a token would.
	w.Header().Set("Location", "/v1/next?"+strings.Join(location, "&"))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

func (t *echoTarget) received() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for c := range t.got {
		out = append(out, c)
	}
	return out
}

func (t *echoTarget) request(id string) sentRequest {
	GinkgoHelper()
	t.mu.Lock()
	defer t.mu.Unlock()
	req, ok := t.seen[id]
	Expect(ok).To(BeTrue(), "the target got no request for %s", id)
	return req
}
