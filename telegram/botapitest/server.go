package botapitest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// maxBody bounds a request body: Telegram accepts 50 MB uploads, a test needs
// far less.
const maxBody = 8 << 20

// Server is a local Bot API server. Create it with New; Close it when done.
type Server struct {
	token string
	http  *http.Server
	ln    net.Listener
	url   string

	mu           sync.Mutex
	wake         chan struct{} // closed and replaced whenever updates arrive
	pending      []Update      // not yet confirmed by an offset
	nextUpdateID int64
	nextMsgID    int
	nextCBID     int
	chats        map[int64]Chat
	sent         []Sent
	sentNotify   chan struct{} // closed and replaced on every Sent
	calls        map[string]int
	faults       []Fault
	webhook      webhook
	hooks        *deliverer
	closed       chan struct{}
}

type webhook struct {
	url, secret string
}

// New starts a server on 127.0.0.1 at a free port for the bot token.
func New(token string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("botapitest: listen: %w", err)
	}
	s := &Server{
		token:        token,
		ln:           ln,
		url:          "http://" + ln.Addr().String(),
		wake:         make(chan struct{}),
		sentNotify:   make(chan struct{}),
		nextUpdateID: 1000,
		chats:        map[int64]Chat{},
		calls:        map[string]int{},
		closed:       make(chan struct{}),
	}
	s.hooks = newDeliverer(s)
	s.http = &http.Server{Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, what a client takes as its API server
// ("http://127.0.0.1:PORT"); methods are at URL/bot<TOKEN>/<method>.
func (s *Server) URL() string { return s.url }

// Close stops the server; long polls in progress end.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	s.hooks.stop()
	_ = s.http.Close()
}

// FailNext makes the next n calls (of f.Method, or any) fail as f says.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Calls is how many times method was called, faults included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(method)]
}

// takeFault removes and returns the first fault that applies to method.
func (s *Server) takeFault(method string) (Fault, bool) {
	for i, f := range s.faults {
		if f.Method == "" || strings.EqualFold(f.Method, method) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if token != s.token {
		writeError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	s.mu.Lock()
	s.calls[strings.ToLower(method)]++
	f, faulty := s.takeFault(method)
	s.mu.Unlock()
	if faulty {
		s.fail(w, f)
		return
	}
	p, err := parseParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	h, known := s.methods()[strings.ToLower(method)]
	if !known {
		writeError(w, http.StatusNotFound, "Not Found: method not found", 0)
		return
	}
	h(w, r, p)
}

func (s *Server) fail(w http.ResponseWriter, f Fault) {
	switch f.Kind {
	case TooManyRequests:
		writeError(w, http.StatusTooManyRequests,
			fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter), f.RetryAfter)
	case Unreachable:
		// Drop the connection: the client sees a reset or EOF, as when the
		// network is down between it and Telegram.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status == http.StatusBadGateway {
			// Telegram's front end answers a 502 with an HTML page, not JSON.
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
			return
		}
		writeError(w, status, http.StatusText(status), 0)
	}
}

// params are a call's parameters as the Bot API takes them: every value a
// string (JSON for objects and arrays), files apart.
type params struct {
	values map[string]string
	files  map[string]SentFile
}

func (p params) get(name string) string { return p.values[name] }

func (p params) int64(name string) (int64, bool) {
	v, err := strconv.ParseInt(p.values[name], 10, 64)
	return v, err == nil
}

// parseParams reads the query string and a JSON, urlencoded or multipart
// body, as the Bot API accepts all of them.
func parseParams(r *http.Request) (params, error) {
	p := params{values: map[string]string{}, files: map[string]SentFile{}}
	for k, v := range r.URL.Query() {
		p.values[k] = v[0]
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil && err != io.EOF {
			return p, fmt.Errorf("can't parse JSON: %w", err)
		}
		for k, raw := range m {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				p.values[k] = str
			} else {
				p.values[k] = string(raw)
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return p, fmt.Errorf("can't parse form: %w", err)
		}
		for k, v := range r.PostForm {
			p.values[k] = v[0]
		}
	case "multipart/form-data":
		return p, parseMultipart(r, p)
	}
	return p, nil
}

func parseMultipart(r *http.Request, p params) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return fmt.Errorf("can't parse multipart: %w", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("can't parse multipart: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("can't read multipart: %w", err)
		}
		if part.FileName() != "" {
			p.files[part.FormName()] = SentFile{Name: part.FileName(), Data: data}
			continue
		}
		p.values[part.FormName()] = string(data)
	}
}

func writeResult(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func writeError(w http.ResponseWriter, code int, description string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": code, "description": description}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// validWebhookURL is what setWebhook accepts here: an http(s) URL. (Telegram
// wants https on ports 443, 80, 88 or 8443; a loopback test server cannot
// offer that.)
func validWebhookURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
