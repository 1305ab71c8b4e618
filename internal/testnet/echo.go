package testnet

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
	"strings"
	"sync"

	"github.com/tidwall/gjson"
)

// The credentials of an echo run, each chosen so that every encoding
// changes it: "+", "/" and "=" change in a URL, "&", "<", ">", quotes and
// non-ASCII in JSON.
const (
	EchoAPIKey       = "ak_Live+9f8e/7d6c=="            // ${ECHO_API_KEY}: path, query and api-key header
	EchoClientSecret = `cs_Live&<Sec>/"r'e+t€x`         // ${ECHO_CLIENT_SECRET}: a JSON body
	EchoBareToken    = "bt_Live+B4re/T0ken/Xy=="        // --header "Authorization: Bearer T", written out
	EchoBasicPair    = "merchant-7:pw_Live+Pass/w0rd==" // base64 in ${ECHO_BASIC}: Proxy-Authorization: Basic
	EchoPassword     = "pw_Live+Pass/w0rd=="
	EchoIssuedToken  = "it_Live+Issued/T0k==" // issued by the target, at the suite's secret path
)

// EchoBasic is the Basic credential of EchoBasicPair.
func EchoBasic() string { return base64.StdEncoding.EncodeToString([]byte(EchoBasicPair)) }

// EchoSecrets lists every secret of an echo run.
func EchoSecrets() []string {
	return []string{EchoAPIKey, EchoClientSecret, EchoBareToken, EchoBasic(), EchoBasicPair, EchoPassword, EchoIssuedToken}
}

// SecretNeedles are the byte strings no artifact may hold: every form a
// secret takes when golive or a target encodes it once (raw;
// percent-encoded for a query and a path, upper- and lower-case hex; inside
// a JSON string with and without HTML-safe escapes; base64 and base64url,
// padded and not; inside a longer base64 text), each as a report writes it
// (as it is, in a JSON string, in HTML text, in XML).
func SecretNeedles(secrets []string) []string {
	var needles []string
	for _, s := range secrets {
		for _, f := range append(SecretEncodings(s), EmbeddedBase64(s)) {
			needles = append(needles, renderings(f)...)
		}
	}
	return needles
}

// SecretEncodings are the forms a secret takes when encoded once.
func SecretEncodings(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s),
		strings.ToLower(url.QueryEscape(s)), strings.ToLower(url.PathEscape(s)),
		JSONInner(s, true), JSONInner(s, false)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
	}
	return out
}

// renderings are the ways a report writes a string: as it is, in a JSON
// string (results.json), in HTML text (report.html), in XML (junit.xml).
func renderings(s string) []string {
	var h, x bytes.Buffer
	_ = template.Must(template.New("").Parse("{{.}}")).Execute(&h, s) // a string into a buffer cannot fail
	_ = xml.EscapeText(&x, []byte(s))
	return []string{s, JSONInner(s, true), JSONInner(s, false), h.String(), x.String()}
}

// JSONInner is s as it stands between the quotes of a JSON string.
func JSONInner(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// EmbeddedBase64 is a secret inside a longer base64 text, the way Basic
// credentials hold a password: none of the secret's own forms appear in it.
func EmbeddedBase64(s string) string {
	return base64.StdEncoding.EncodeToString([]byte("user-1:" + s + ":rest"))
}

// SentRequest is a request as it arrived at the target, in the parts a curl
// line reproduces (the client's own User-Agent, Accept-Encoding and
// Content-Length left out).
type SentRequest struct {
	Method, URL string
	Header      http.Header
	Body        string
}

// EchoTarget is a hostile target that sends every credential it receives
// back in every encoding: raw and percent-encoded in a Location query, a
// path and headers, base64 and base64url in headers, each of them in a JSON
// body (escaped by encoding/json), and inside a longer base64 text. It
// records each request under its X-Case header and refuses it (418),
// except token requests, which it answers 200 with EchoIssuedToken.
// Close it when done.
type EchoTarget struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]SentRequest
	got  map[string]bool
}

// NewEchoTarget starts an EchoTarget on 127.0.0.1.
func NewEchoTarget() *EchoTarget {
	t := &EchoTarget{seen: map[string]SentRequest{}, got: map[string]bool{}}
	t.Server = httptest.NewServer(http.HandlerFunc(t.serve))
	return t
}

func (t *EchoTarget) serve(w http.ResponseWriter, r *http.Request) {
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
		creds = append(creds, EchoIssuedToken)
		status, answer = http.StatusOK, map[string]any{"token": EchoIssuedToken}
	}

	t.mu.Lock()
	h := r.Header.Clone()
	for _, own := range []string{"User-Agent", "Accept-Encoding", "Content-Length"} {
		h.Del(own)
	}
	t.seen[r.Header.Get("X-Case")] = SentRequest{Method: r.Method, URL: "http://" + r.Host + r.RequestURI, Header: h, Body: string(body)}
	var echoes []map[string]string
	var location []string
	for _, c := range creds {
		if c == "" {
			continue
		}
		t.got[c] = true
		e := map[string]string{"raw": c, "query": url.QueryEscape(c), "path": url.PathEscape(c), "embedded": EmbeddedBase64(c)}
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

// Received lists the distinct credentials the target has seen.
func (t *EchoTarget) Received() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.got))
	for c := range t.got {
		out = append(out, c)
	}
	return out
}

// Request is the request recorded under X-Case id.
func (t *EchoTarget) Request(id string) (SentRequest, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	req, ok := t.seen[id]
	return req, ok
}
