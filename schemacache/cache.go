// Package schemacache validates JSON against the schemas of an OpenAPI 3.1
// document, compiling each schema once. kin-openapi builds a fresh JSON
// Schema 2020-12 validator on every call for 3.1 documents (about 500 µs per
// response or request body); a compiled schema validates in about 20 µs. The
// runner validates responses with it, the sandbox requests; it imports
// neither.
//
// The schemas of an OpenAPI 3.0 document are compiled from a translation
// that is never laxer than kin-openapi's 3.0 validator (oas30.go): for them
// only Passes is authoritative, and a body it does not pass is judged by
// kin-openapi.
package schemacache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/tidwall/gjson"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ErrNotJSON wraps the reason a body is not JSON at all.
var ErrNotJSON = errors.New("body is not valid JSON")

// Cache holds the compiled schemas of one document. Safe for concurrent use.
type Cache struct {
	doc     *openapi3.T
	printer *message.Printer

	mu       sync.Mutex
	compiled map[*openapi3.Schema]compiled
}

// compiled is a schema compiled, or why it cannot be here (kept, so a
// schema that cannot is not tried again on every body).
type compiled struct {
	schema *jsonschema.Schema
	fast   *fast // nil when the schema has keywords it does not know
	err    error
}

// New makes an empty cache for doc.
func New(doc *openapi3.T) *Cache {
	return &Cache{doc: doc, printer: message.NewPrinter(language.English), compiled: map[*openapi3.Schema]compiled{}}
}

// errOutOfRange: a number kin-openapi's 3.0 validator cannot read as a
// float64, so it rejects the body; the compiled schema would not.
var errOutOfRange = errors.New("a number beyond float64's range")

// Passes reports whether body is JSON that conforms to s by the compiled
// schema. For either dialect a pass is authoritative; false means the body
// does not conform, or that s (or the body) is not one this cache judges,
// and the caller asks kin-openapi.
func (c *Cache) Passes(s *openapi3.Schema, body []byte) bool {
	if c.PassesFast(s, body) {
		return true
	}
	found, err := c.Validate(s, body)
	return err == nil && len(found) == 0
}

// PassesFast is Passes without the compiled schema: true only when the
// fast check (fast.go) passes the body, which the compiled schema would
// too. A body it does not pass may still conform.
func (c *Cache) PassesFast(s *openapi3.Schema, body []byte) bool {
	got := c.entry(s)
	return got.fast != nil && gjson.ValidBytes(body) &&
		got.fast.passes(gjson.ParseBytes(body), !c.doc.IsOpenAPI31OrLater())
}

// Problem is one thing wrong with a body: where, why, and by which rule.
type Problem struct {
	Pointer []string // instance location, from the body's root
	Reason  string
	Keyword string // the failing keyword ("type", "required"), "" when unknown
	// Properties names the properties a "required" or "additionalProperties"
	// problem is about (missing ones, or ones not allowed).
	Properties []string
}

// Validate checks body against s. It returns the problems (none when the
// body conforms), or an error: one wrapping ErrNotJSON when the body is not
// JSON, otherwise the reason s could not be compiled here (callers then fall
// back to kin-openapi).
func (c *Cache) Validate(s *openapi3.Schema, body []byte) ([]Problem, error) {
	sch, err := c.get(s)
	if err != nil {
		return nil, err
	}
	v, huge, err := decode(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if huge && !c.doc.IsOpenAPI31OrLater() {
		return nil, errOutOfRange
	}
	verr := sch.Validate(v)
	if verr == nil {
		return nil, nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return []Problem{{Reason: verr.Error()}}, nil
	}
	var out []Problem
	c.leaves(ve, &out)
	return out, nil
}

// decode reads a JSON body into the values jsonschema validates (numbers as
// json.Number, as jsonschema.UnmarshalJSON makes them). A valid body is read
// with gjson, in a third of the time and allocations of encoding/json's
// Decoder, which every validated body went through; an invalid one by
// jsonschema.UnmarshalJSON, for its error.
// huge says a number in it is beyond float64's range.
func decode(body []byte) (v any, huge bool, err error) {
	if !gjson.ValidBytes(body) {
		v, err = jsonschema.UnmarshalJSON(bytes.NewReader(body))
		return v, false, err
	}
	return value(gjson.ParseBytes(body), &huge), huge, nil
}

func value(r gjson.Result, huge *bool) any {
	switch {
	case r.IsObject():
		m := map[string]any{}
		r.ForEach(func(k, v gjson.Result) bool {
			m[k.Str] = value(v, huge) // a repeated key: the last wins, as in encoding/json
			return true
		})
		return m
	case r.IsArray():
		a := []any{}
		r.ForEach(func(_, v gjson.Result) bool {
			a = append(a, value(v, huge))
			return true
		})
		return a
	}
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		if math.IsInf(r.Num, 0) {
			*huge = true
		}
		return json.Number(r.Raw)
	case gjson.True:
		return true
	case gjson.False:
		return false
	}
	return nil
}

// get returns the compiled schema, with the document's component schemas
// attached so "#/components/schemas/X" references resolve.
func (c *Cache) get(s *openapi3.Schema) (*jsonschema.Schema, error) {
	got := c.entry(s)
	return got.schema, got.err
}

func (c *Cache) entry(s *openapi3.Schema) compiled {
	c.mu.Lock()
	defer c.mu.Unlock()
	if got, ok := c.compiled[s]; ok {
		return got
	}
	got := c.compile(s)
	c.compiled[s] = got
	return got
}

func (c *Cache) compile(s *openapi3.Schema) compiled {
	res, err := c.resource(s)
	if err != nil {
		return compiled{err: err}
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource("golive:schema.json", res); err != nil {
		return compiled{err: err}
	}
	sch, err := comp.Compile("golive:schema.json")
	if err != nil {
		return compiled{err: err}
	}
	f, _ := buildFast(res) // nil: every body goes through sch
	return compiled{schema: sch, fast: f}
}

// resource is s as a JSON Schema 2020-12 document, with the document's
// component schemas under "components" (translated from 3.0 for a 3.0
// document), its numbers as json.Number.
func (c *Cache) resource(s *openapi3.Schema) (any, error) {
	oas30 := !c.doc.IsOpenAPI31OrLater()
	data, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	translate := forOAS31
	if oas30 {
		translate = fromOAS30
	}
	if err := translate(root); err != nil {
		return nil, err
	}
	if c.doc.Components != nil && len(c.doc.Components.Schemas) > 0 {
		comps, err := json.Marshal(c.doc.Components.Schemas)
		if err != nil {
			return nil, err
		}
		var cm map[string]any
		if err := json.Unmarshal(comps, &cm); err != nil {
			return nil, err
		}
		for name, cs := range cm {
			if translate(cs) != nil {
				// Left out: a schema referring to it does not compile,
				// and its bodies go to kin-openapi.
				delete(cm, name)
			}
		}
		root["components"] = map[string]any{"schemas": cm}
	}
	data, _ = json.Marshal(root)
	return jsonschema.UnmarshalJSON(bytes.NewReader(data))
}

func (c *Cache) leaves(ve *jsonschema.ValidationError, out *[]Problem) {
	if len(ve.Causes) > 0 {
		for _, cause := range ve.Causes {
			c.leaves(cause, out)
		}
		return
	}
	p := Problem{Pointer: ve.InstanceLocation, Reason: ve.ErrorKind.LocalizedString(c.printer)}
	if kp := ve.ErrorKind.KeywordPath(); len(kp) > 0 {
		p.Keyword = kp[len(kp)-1]
	}
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		p.Properties = k.Missing
	case *kind.AdditionalProperties:
		p.Properties = k.Properties
	case *kind.Pattern:
		// A format kin-openapi asserts, translated to its pattern
		// (formatConstraint): said as the format it is.
		if f := formatOfPattern(k.Want); f != "" {
			p.Keyword, p.Reason = "format", fmt.Sprintf("%q is not a valid %s", k.Got, f)
		}
	}
	*out = append(*out, p)
}
