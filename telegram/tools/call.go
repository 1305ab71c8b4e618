package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/telegram/ratelimit"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/tidwall/gjson"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// maxResponse bounds what is read from an internal service.
const maxResponse = 1 << 20

// Caller is who calls a tool, from any front end.
type Caller struct {
	Role    string // "partner" or "staff"
	Partner string // the caller's partner id (partners only)
	// Key identifies the caller for rate limits: "tg:<chat id>" for a chat,
	// "web:<session>" for the web page.
	Key string
	// Private is true when the answer is seen by the caller alone (a private
	// chat, the partner's own web page). Secret tools need it.
	Private bool
}

// Field is one returned value.
type Field struct {
	Name   string
	Value  string // the JSON text of the value; "" when absent
	Secret bool
}

// Result is a tool's answer: only the fields the tool declares.
type Result struct {
	Tool   string
	Status int
	Fields []Field
}

// Service calls the tools of a catalog.
type Service struct {
	cat      *Catalog
	client   *http.Client
	limiters map[string]*ratelimit.Limiter
}

// Options configure a Service.
type Options struct {
	Client *http.Client     // default: a client with no overall timeout (each tool has its own)
	Now    func() time.Time // the rate limits' clock; default time.Now
}

// New makes a Service; a nil catalog has no tools.
func New(cat *Catalog, opts Options) *Service {
	if cat == nil {
		cat = &Catalog{}
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	s := &Service{cat: cat, client: opts.Client, limiters: map[string]*ratelimit.Limiter{}}
	for _, t := range cat.Tools {
		s.limiters[t.Name] = ratelimit.New(t.RateLimit, opts.Now, 0)
	}
	return s
}

// Catalog is the tools this service calls.
func (s *Service) Catalog() *Catalog { return s.cat }

// Visible is the tools a caller may use, for /help and the web page's
// buttons.
func (s *Service) Visible(role, partner string) []*Tool {
	var out []*Tool
	for _, t := range s.cat.Tools {
		if t.Allows(role, partner) {
			out = append(out, t)
		}
	}
	return out
}

// Call checks access, the caller's rate limit and the parameters, in that
// order, and only then calls the internal service. Errors: *UnknownToolError,
// *PrivateOnlyError, *RateLimitError, *ParamError, *UpstreamError.
func (s *Service) Call(ctx context.Context, c Caller, name string, params map[string]any) (*Result, error) {
	t := s.cat.Find(name)
	if t == nil || !t.Allows(c.Role, c.Partner) {
		return nil, &UnknownToolError{Name: name}
	}
	if t.Private() && !c.Private {
		return nil, &PrivateOnlyError{Tool: name}
	}
	if d := s.limiters[name].Allow(c.Key); !d.OK {
		return nil, &RateLimitError{Tool: name, Wait: d.Wait}
	}
	if err := t.Validate(params); err != nil {
		return nil, err
	}
	req, err := t.request(ctx, c, params)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	resp, err := s.client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, &UpstreamError{Tool: name, Err: redactURL(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, &UpstreamError{Tool: name, Status: 0, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		return nil, &UpstreamError{Tool: name, Status: resp.StatusCode}
	}
	if len(bytes.TrimSpace(body)) > 0 && !gjson.ValidBytes(body) {
		return nil, &UpstreamError{Tool: name, Err: errors.New("the answer is not JSON")}
	}
	res := &Result{Tool: name, Status: resp.StatusCode}
	for _, r := range t.Returns {
		v := gjson.GetBytes(body, r.Path)
		val := ""
		if v.Exists() {
			val = v.String()
		}
		res.Fields = append(res.Fields, Field{Name: r.Name, Value: val, Secret: r.Secret})
	}
	return res, nil
}

// redactURL drops the query from a transport error's URL: parameters may be
// in it, and errors get logged.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			ue.URL = u.String()
		}
	}
	return err
}

// Validate checks params against the tool's parameters: unknown names,
// missing required ones, and each value against its JSON Schema.
func (t *Tool) Validate(params map[string]any) error {
	printer := message.NewPrinter(language.English)
	var problems []string
	known := map[string]bool{}
	for _, p := range t.Params {
		known[p.Name] = true
		v, ok := params[p.Name]
		if !ok {
			if p.Required {
				problems = append(problems, p.Name+": required")
			}
			continue
		}
		if err := p.schema.Validate(v); err != nil {
			var ve *jsonschema.ValidationError
			msg := "invalid"
			if errors.As(err, &ve) {
				msg = problemText(p, firstLeaf(ve).ErrorKind, printer)
			}
			problems = append(problems, p.Name+": "+msg)
		}
	}
	var unknown []string
	for k := range params {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, k+": unknown parameter")
	}
	if len(problems) > 0 {
		return &ParamError{Tool: t.Name, Problems: problems}
	}
	return nil
}

// problemText says what is wrong with a parameter's value. The schema
// library's messages quote the value ("'73911' does not match pattern
// ..."); for a secret parameter only what was wanted is said, so the value
// reaches no reply, page, audit row or log line.
func problemText(p *Param, k jsonschema.ErrorKind, printer *message.Printer) string {
	if !p.Secret {
		return k.LocalizedString(printer)
	}
	if pk, ok := k.(*kind.Pattern); ok {
		return "does not match pattern " + strconv.Quote(pk.Want)
	}
	return "is not valid (" + strings.Join(k.KeywordPath(), "/") + "); the value is secret and not shown"
}

func firstLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve
}

// request builds the HTTP request: placeholders in the URL, the rest as a
// query (GET, DELETE) or a JSON object body; the caller's partner and role
// as headers so the internal service can scope its answer.
func (t *Tool) request(ctx context.Context, c Caller, params map[string]any) (*http.Request, error) {
	rest := map[string]any{}
	for k, v := range params {
		rest[k] = v
	}
	u := placeholder.ReplaceAllStringFunc(t.URL, func(m string) string {
		name := m[1 : len(m)-1]
		if name == "partner" {
			return url.PathEscape(c.Partner)
		}
		v := rest[name]
		delete(rest, name)
		return url.PathEscape(text(v))
	})
	var body io.Reader
	if t.Method == http.MethodGet || t.Method == http.MethodDelete {
		if len(rest) > 0 {
			q := url.Values{}
			for k, v := range rest {
				q.Set(k, text(v))
			}
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + q.Encode()
		}
	} else {
		data, err := json.Marshal(rest)
		if err != nil {
			return nil, fmt.Errorf("tool %s: encode parameters: %w", t.Name, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, t.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("tool %s: build request: %w", t.Name, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Golive-Partner", c.Partner)
	req.Header.Set("X-Golive-Role", c.Role)
	return req, nil
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ParseArgs reads chat arguments "key=value key2=value2" into parameters,
// typed by each parameter's schema type so that "amount=5" is a number and
// "ref=00123" stays a string. A value that does not read as its type stays a
// string and fails validation with a clear message.
func (t *Tool) ParseArgs(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, &ParamError{Tool: t.Name, Problems: []string{fmt.Sprintf("%q: write name=value", a)}}
		}
		out[k] = v
		for _, p := range t.Params {
			if p.Name == k {
				out[k] = typed(p.Type, v)
			}
		}
	}
	return out, nil
}

func typed(typ, v string) any {
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case "number":
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

// Mask is params for the audit log: secret parameters replaced by "***".
func (t *Tool) Mask(params map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range params {
		out[k] = text(v)
		for _, p := range t.Params {
			if p.Name == k && p.Secret {
				out[k] = "***"
			}
		}
	}
	return out
}
