package tools

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/telegram/ratelimit"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schema.json
var schemaJSON []byte

// Schema is the JSON Schema of tools.yaml (documented in docs/telegram.md),
// for editors and the hub's API documentation.
func Schema() []byte { return bytes.Clone(schemaJSON) }

const (
	defaultTimeout = 10 * time.Second
	maxTimeout     = time.Minute
)

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// Load reads and checks a tools file.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tools: %w", err)
	}
	return Parse(path, data)
}

// Parse checks a tools file's text; source names it in errors. Every problem
// is a *LoadError with FILE:LINE.
func Parse(source string, data []byte) (*Catalog, error) {
	fail := func(ps ...Problem) error {
		for i := range ps {
			ps[i].File = source
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
		return &LoadError{Problems: ps}
	}
	if blank(data) {
		return nil, fail(Problem{Line: 1, Msg: "empty file: it needs a tools list"})
	}
	var root yaml.Node
	if err := yaml.Load(data, &root); err != nil {
		var le *yaml.LoadError
		if errors.As(err, &le) {
			return nil, fail(Problem{Line: max(le.Mark.Line, 1), Msg: "YAML syntax: " + le.Message})
		}
		return nil, fail(Problem{Line: 1, Msg: "YAML syntax: " + strings.Join(strings.Fields(err.Error()), " ")})
	}
	at := lines{}
	doc, err := toValue(&root, "", at)
	var p *Problem
	if errors.As(err, &p) {
		return nil, fail(*p)
	}
	if doc == nil {
		return nil, fail(Problem{Line: 1, Msg: "empty file: it needs a tools list"})
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if ps := validateSchema(raw, at); len(ps) > 0 {
		return nil, fail(ps...)
	}
	var f fileJSON
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s: decode after schema check: %w", source, err)
	}
	cat, ps := build(f, at)
	if len(ps) > 0 {
		return nil, fail(ps...)
	}
	cat.Source = source
	return cat, nil
}

type fileJSON struct {
	Tools []toolJSON `json:"tools"`
}

type toolJSON struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	Params      []paramJSON `json:"params"`
	Returns     []Return    `json:"returns"`
	Allow       *struct {
		Roles    []string `json:"roles"`
		Partners []string `json:"partners"`
	} `json:"allow"`
	RateLimit *struct {
		Calls int    `json:"calls"`
		Per   string `json:"per"`
	} `json:"rate_limit"`
	Timeout string `json:"timeout"`
}

type paramJSON struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Required    bool           `json:"required"`
	Secret      bool           `json:"secret"`
	Schema      map[string]any `json:"schema"`
}

// UnmarshalJSON keeps Return's Go field names out of the file format.
func (r *Return) UnmarshalJSON(b []byte) error {
	var v struct {
		Name   string `json:"name"`
		Path   string `json:"path"`
		Secret bool   `json:"secret"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Return{Name: v.Name, Path: v.Path, Secret: v.Secret}
	return nil
}

// validateSchema checks the document against schema.json and turns each
// leaf error into a Problem at the line of the value it is about.
func validateSchema(raw []byte, at lines) []Problem {
	c := jsonschema.NewCompiler()
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return []Problem{{Line: 1, Msg: "golive's tools schema is broken: " + err.Error()}}
	}
	if err := c.AddResource("tools.json", schemaDoc); err != nil {
		return []Problem{{Line: 1, Msg: "golive's tools schema is broken: " + err.Error()}}
	}
	sch, err := c.Compile("tools.json")
	if err != nil {
		return []Problem{{Line: 1, Msg: "golive's tools schema is broken: " + err.Error()}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []Problem{{Line: 1, Msg: err.Error()}}
	}
	var ve *jsonschema.ValidationError
	if err := sch.Validate(inst); !errors.As(err, &ve) {
		return nil
	}
	printer := message.NewPrinter(language.English)
	var out []Problem
	for _, leaf := range leaves(ve) {
		ptr := pointer(leaf.InstanceLocation)
		switch k := leaf.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, name := range k.Properties {
				out = append(out, Problem{Line: at.lineOf(ptr + "/" + escapePointer(name)),
					Msg: fmt.Sprintf("unknown key %q%s", name, where(ptr))})
			}
		case *kind.Required:
			out = append(out, Problem{Line: at.lineOf(ptr),
				Msg: fmt.Sprintf("missing key %s%s", quoteAll(k.Missing), where(ptr))})
		default:
			out = append(out, Problem{Line: at.lineOf(ptr),
				Msg: fmt.Sprintf("%s: %s", orRoot(ptr), leaf.ErrorKind.LocalizedString(printer))})
		}
	}
	return out
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, s := range loc {
		b.WriteString("/" + escapePointer(s))
	}
	return b.String()
}

// where names the place for a reader: " in tools[0].params[1]".
func where(ptr string) string {
	if ptr == "" {
		return ""
	}
	return " in " + readable(ptr)
}

func orRoot(ptr string) string {
	if ptr == "" {
		return "the file"
	}
	return readable(ptr)
}

func readable(ptr string) string {
	var b strings.Builder
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(seg)
	}
	return b.String()
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// build makes the catalog and checks what a schema cannot: unique names,
// URL placeholders, durations, and that each parameter schema compiles.
func build(f fileJSON, at lines) (*Catalog, []Problem) {
	cat := &Catalog{}
	var ps []Problem
	seen := map[string]bool{}
	for i, tj := range f.Tools {
		base := fmt.Sprintf("/tools/%d", i)
		bad := func(field, format string, args ...any) {
			ps = append(ps, Problem{Line: at.lineOf(base + field), Msg: fmt.Sprintf(format, args...)})
		}
		t := &Tool{Name: tj.Name, Description: tj.Description, Method: tj.Method, URL: tj.URL,
			Returns: tj.Returns, Roles: []string{"partner"}, Timeout: defaultTimeout, Line: at.lineOf(base)}
		if seen[t.Name] {
			bad("/name", "tool %q is declared twice", t.Name)
		}
		seen[t.Name] = true
		if tj.Allow != nil {
			if len(tj.Allow.Roles) > 0 {
				t.Roles = tj.Allow.Roles
			}
			t.Partners = tj.Allow.Partners
		}
		if tj.RateLimit != nil {
			per, err := time.ParseDuration(tj.RateLimit.Per)
			if err != nil || per <= 0 {
				bad("/rate_limit/per", "bad duration %q: write it like 30s, 1m or 1h", tj.RateLimit.Per)
			}
			t.RateLimit = ratelimit.Limit{Calls: tj.RateLimit.Calls, Per: per}
		}
		if tj.Timeout != "" {
			d, err := time.ParseDuration(tj.Timeout)
			if err != nil || d <= 0 || d > maxTimeout {
				bad("/timeout", "bad timeout %q: a duration up to %s", tj.Timeout, maxTimeout)
			}
			t.Timeout = d
		}
		names := map[string]*Param{}
		for j, pj := range tj.Params {
			pbase := fmt.Sprintf("%s/params/%d", base, j)
			if names[pj.Name] != nil {
				ps = append(ps, Problem{Line: at.lineOf(pbase + "/name"), Msg: fmt.Sprintf("parameter %q is declared twice", pj.Name)})
			}
			if pj.Name == "partner" {
				ps = append(ps, Problem{Line: at.lineOf(pbase + "/name"),
					Msg: `"partner" is reserved: the caller's partner is always sent (X-Golive-Partner, {partner})`})
			}
			p, err := compileParam(pj)
			if err != nil {
				ps = append(ps, Problem{Line: at.lineOf(pbase + "/schema"), Msg: fmt.Sprintf("parameter %q: bad JSON Schema: %v", pj.Name, oneLine(err))})
				continue
			}
			names[pj.Name] = p
			t.Params = append(t.Params, p)
		}
		ps = append(ps, checkURL(t, names, at.lineOf(base+"/url"))...)
		cat.Tools = append(cat.Tools, t)
	}
	return cat, ps
}

func checkURL(t *Tool, names map[string]*Param, line int) []Problem {
	u, err := url.Parse(placeholder.ReplaceAllString(t.URL, "x"))
	if err != nil || u.Host == "" {
		return []Problem{{Line: line, Msg: fmt.Sprintf("bad url %q", t.URL)}}
	}
	var ps []Problem
	for _, m := range placeholder.FindAllStringSubmatch(t.URL, -1) {
		name := m[1]
		p := names[name]
		switch {
		case name == "partner":
		case p == nil:
			ps = append(ps, Problem{Line: line, Msg: fmt.Sprintf("url uses {%s}, which is not a parameter", name)})
		case !p.Required:
			ps = append(ps, Problem{Line: line, Msg: fmt.Sprintf("url uses {%s}: the parameter must be required", name)})
		case p.Secret:
			ps = append(ps, Problem{Line: line, Msg: fmt.Sprintf("url uses {%s}: a secret parameter must not be in a URL (URLs get logged)", name)})
		}
	}
	return ps
}

// compileParam compiles a parameter's schema with no loader: a $ref to a
// file or URL fails rather than reaching outside.
func compileParam(pj paramJSON) (*Param, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	raw, err := json.Marshal(pj.Schema)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if err := c.AddResource("param.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("param.json")
	if err != nil {
		return nil, err
	}
	typ, _ := pj.Schema["type"].(string)
	return &Param{Name: pj.Name, Description: pj.Description, Required: pj.Required,
		Secret: pj.Secret, Type: typ, schema: sch}, nil
}

type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("references to other documents (%s) are not allowed", u)
}

// blank reports whether data holds only blank lines and comments (YAML has
// no document then).
func blank(data []byte) bool {
	for _, l := range strings.Split(string(data), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
