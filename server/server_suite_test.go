package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	_ "github.com/jackc/pgx/v5/stdlib"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/internal/testlog"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

func TestServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Server Suite")
}

const envPostgresURL = "GOLIVE_TEST_POSTGRES_URL"

// backends: SQLite always, PostgreSQL when GOLIVE_TEST_POSTGRES_URL is set.
func backends() []string {
	out := []string{"sqlite"}
	if os.Getenv(envPostgresURL) != "" {
		out = append(out, "postgres")
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freshURL is an empty database: a SQLite file, or a schema of its own on
// the test PostgreSQL.
func freshURL(backend string) string {
	if backend == "sqlite" {
		return "sqlite:" + filepath.Join(GinkgoT().TempDir(), "golive.db")
	}
	base := os.Getenv(envPostgresURL)
	schema := "h_" + randomHex(8)
	admin, err := sql.Open("pgx", base)
	Expect(err).NotTo(HaveOccurred())
	_, err = admin.Exec(`CREATE SCHEMA ` + schema)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		_ = admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Secrets planted in partner credentials: no page, API answer or log line
// may ever contain them.
const (
	plantedSecret = "s3cr3t-planted-api-key-7f3a"
	adminPassword = "correct horse battery staple"
)

// hub is one running hub for a spec: a store, the server behind
// httptest on 127.0.0.1, an admin with an API token, a sandbox as the
// partners' registered endpoint, and the server's log.
type hub struct {
	backend  string
	url      string
	dbURL    string
	key      []byte
	st       *store.Store
	srv      *server.Server
	http     *httptest.Server
	admin    store.User
	adminTok string
	sandbox  string
	log      *testlog.Buffer
	cfg      server.Config
	ctx      context.Context
	doc      *openapi3.T
	router   routers.Router
}

// sandboxTarget serves a sandbox on 127.0.0.1 (the partner's endpoint).
// It accepts the planted secret as its api-key, so runs pass only if the
// hub really sends the stored credentials.
func sandboxTarget(fault string) string {
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(50*time.Millisecond),
		sandbox.WithCredentials(sandbox.DefaultClientID, plantedSecret))
	Expect(err).NotTo(HaveOccurred())
	ts := httptest.NewServer(sb)
	DeferCleanup(func() { ts.Close(); sb.Close() })
	return ts.URL
}

// tune cuts the poll deadlines of checklist flows, so faults that never
// settle end quickly; the run itself is unchanged.
func tune(req *certify.Request) {
	req.Options.Timeout = 5 * time.Second
}

type hubOption func(*server.Config)

func startHub(backend string, opts ...hubOption) *hub {
	h := &hub{backend: backend, ctx: context.Background(), log: &testlog.Buffer{}}
	h.dbURL = freshURL(backend)
	h.key = make([]byte, 32)
	_, _ = rand.Read(h.key)
	h.open()
	var err error
	var created bool
	h.admin, created, err = h.st.BootstrapAdmin(h.ctx, "admin@bau.example", adminPassword)
	Expect(err).NotTo(HaveOccurred())
	Expect(created).To(BeTrue())
	h.adminTok, _, err = h.st.CreateAPIToken(h.ctx, store.PrincipalOf(h.admin), h.admin.ID, "tests", time.Time{})
	Expect(err).NotTo(HaveOccurred())
	h.cfg = server.Config{Store: h.st, Logger: slog.New(slog.NewTextHandler(h.log, nil)), Workers: 4,
		ClaimInterval: 200 * time.Millisecond, ScratchDir: GinkgoT().TempDir(), Tune: tune, Version: "test"}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.boot()
	h.sandbox = sandboxTarget("")
	h.loadOpenAPI()
	return h
}

func (h *hub) open() {
	kr, err := store.NewKeyring(h.key)
	Expect(err).NotTo(HaveOccurred())
	h.st, err = store.Open(h.ctx, h.dbURL, store.WithKeyring(kr))
	Expect(err).NotTo(HaveOccurred())
	st := h.st
	DeferCleanup(st.Close)
}

// boot starts a server over the current store.
func (h *hub) boot() {
	h.cfg.Store = h.st
	srv, err := server.New(h.ctx, h.cfg)
	Expect(err).NotTo(HaveOccurred())
	Expect(srv.Start(h.ctx)).To(Succeed())
	h.srv = srv
	h.http = httptest.NewServer(srv.Handler())
	h.url = h.http.URL
	ts := h.http
	DeferCleanup(func() { ts.Close(); srv.Stop() })
}

// restart stops the server and starts a new one over the same database.
func (h *hub) restart() {
	h.http.Close()
	h.srv.Stop()
	h.boot()
	h.loadOpenAPI() // the new server has a new address
}

func (h *hub) loadOpenAPI() {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(server.OpenAPI())
	Expect(err).NotTo(HaveOccurred())
	Expect(doc.Validate(loader.Context)).To(Succeed())
	doc.Servers = openapi3.Servers{{URL: h.url + "/api/v1"}}
	h.doc = doc
	h.router, err = legacy.NewRouter(doc)
	Expect(err).NotTo(HaveOccurred())
}

// apiResp is an API answer, validated against server/openapi.yaml.
type apiResp struct {
	status int
	body   []byte
	header http.Header
}

func (r apiResp) json(v any) {
	GinkgoHelper()
	Expect(json.Unmarshal(r.body, v)).To(Succeed(), string(r.body))
}

// api calls the JSON API with a token and validates the answer against the
// API's own document (status, content type, schema).
func (h *hub) api(token, method, path string, body any) apiResp {
	GinkgoHelper()
	var rd io.Reader
	var raw []byte
	if body != nil {
		switch b := body.(type) {
		case string:
			raw = []byte(b)
		default:
			var err error
			raw, err = json.Marshal(b)
			Expect(err).NotTo(HaveOccurred())
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.url+"/api/v1"+path, rd)
	Expect(err).NotTo(HaveOccurred())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	h.validate(req, raw, resp, data)
	return apiResp{status: resp.StatusCode, body: data, header: resp.Header}
}

// validate checks one API answer against the document. Paths the document
// does not have (unknown endpoints) must still answer the Error shape.
func (h *hub) validate(req *http.Request, reqBody []byte, resp *http.Response, body []byte) {
	GinkgoHelper()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return
	}
	route, params, err := h.router.FindRoute(req)
	if err != nil {
		Expect(resp.StatusCode).To(BeNumerically(">=", 400), "an endpoint missing from openapi.yaml answered %d", resp.StatusCode)
		var e server.APIError
		Expect(json.Unmarshal(body, &e)).To(Succeed())
		Expect(e.Error).NotTo(BeEmpty())
		return
	}
	if reqBody != nil {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true,
			// Report files (HTML, XML) are checked by status and content
			// type; their bodies are the reports' own formats.
			ExcludeResponseBody: !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")}}
	Expect(openapi3filter.ValidateResponse(context.Background(), out)).To(Succeed(),
		"%s %s answered %d against openapi.yaml: %s", req.Method, req.URL.Path, resp.StatusCode, truncate(string(body), 500))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// partner creates a partner with APIs and a staging endpoint (the sandbox,
// with the planted secret as its api-key), as the admin, over the API.
func (h *hub) partner(name string, apis ...string) server.PartnerJSON {
	GinkgoHelper()
	if len(apis) == 0 {
		apis = []string{"collections", "payouts"}
	}
	r := h.api(h.adminTok, "POST", "/partners", map[string]any{"name": name, "apis": apis})
	Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
	var p server.PartnerJSON
	r.json(&p)
	h.endpoint(p.ID, "staging", h.sandbox)
	return p
}

func (h *hub) endpoint(partnerID, env, baseURL string) {
	GinkgoHelper()
	r := h.api(h.adminTok, "PUT", "/partners/"+partnerID+"/environments/"+env, map[string]any{
		"baseUrl": baseURL, "credentials": map[string]string{"clientId": sandbox.DefaultClientID,
			"apiKey": plantedSecret, "checksumKey": sandbox.DefaultChecksumKey}})
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
}

// partnerUser makes a partner user and its API token.
func (h *hub) partnerUser(partnerID, email string) (store.User, string) {
	GinkgoHelper()
	u, err := h.st.CreateUser(h.ctx, store.PrincipalOf(h.admin), store.NewUser{Email: email, Name: "Dev",
		Role: store.RolePartner, PartnerID: partnerID, Password: adminPassword})
	Expect(err).NotTo(HaveOccurred())
	tok, _, err := h.st.CreateAPIToken(h.ctx, store.PrincipalOf(u), u.ID, "ci", time.Time{})
	Expect(err).NotTo(HaveOccurred())
	return u, tok
}

// startRun starts a run over the API and returns its id.
func (h *hub) startRun(token, partnerID string, body map[string]any) int64 {
	GinkgoHelper()
	if body == nil {
		body = map[string]any{}
	}
	r := h.api(token, "POST", "/partners/"+partnerID+"/runs", body)
	Expect(r.status).To(Equal(http.StatusAccepted), string(r.body))
	var run server.RunJSON
	r.json(&run)
	return run.ID
}

// waitRun waits for a run's final state, on its events (never on time).
func (h *hub) waitRun(id int64) store.Run {
	GinkgoHelper()
	events, cancel := h.srv.SubscribeRun(id)
	defer cancel()
	run, err := h.st.GetRun(h.ctx, store.System(), id)
	Expect(err).NotTo(HaveOccurred())
	if isFinal(run.State) {
		return run
	}
	// The bound only keeps a broken hub from hanging the suite.
	deadline := time.After(3 * time.Minute)
	for {
		select {
		case ev, open := <-events:
			if !open || ev.Kind == server.EventDone {
				run, err := h.st.GetRun(h.ctx, store.System(), id)
				Expect(err).NotTo(HaveOccurred())
				return run
			}
		case <-deadline:
			Fail("run did not finish")
		}
	}
}

func isFinal(s store.RunState) bool {
	return s == store.RunDone || s == store.RunFailed || s == store.RunInterrupted
}

// browser is a signed-in web session (cookies kept by hand: the session
// cookie is Secure, which Go's cookie jar withholds from http://).
type browser struct {
	h      *hub
	cookie *http.Cookie
	csrf   string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (h *hub) signIn(email, password string) *browser {
	GinkgoHelper()
	b := &browser{h: h}
	resp := b.post("/login", url.Values{"email": {email}, "password": {password}})
	Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
	for _, c := range resp.Cookies() {
		if c.Name == "golive_session" {
			b.cookie = c
		}
	}
	Expect(b.cookie).NotTo(BeNil())
	_, page := b.get("/")
	m := csrfRe.FindStringSubmatch(page)
	Expect(m).NotTo(BeNil())
	b.csrf = m[1]
	return b
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (b *browser) do(method, path string, form url.Values) *http.Response {
	GinkgoHelper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.url+path, body)
	Expect(err).NotTo(HaveOccurred())
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.cookie != nil {
		req.AddCookie(&http.Cookie{Name: b.cookie.Name, Value: b.cookie.Value})
	}
	resp, err := noRedirect.Do(req)
	Expect(err).NotTo(HaveOccurred())
	return resp
}

func (b *browser) get(path string) (*http.Response, string) {
	GinkgoHelper()
	resp := b.do("GET", path, nil)
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func (b *browser) post(path string, form url.Values) *http.Response {
	GinkgoHelper()
	if b.csrf != "" && form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	resp := b.do("POST", path, form)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
