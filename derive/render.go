package derive

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// request turns the model into the suite request the runner sends.
func (m *reqModel) request() (suites.Request, error) {
	var r suites.Request
	for _, p := range m.params {
		v, err := toValue(p.val)
		if err != nil {
			return r, fmt.Errorf("%s parameter %s: %w", p.in, p.name, err)
		}
		f := suites.Field{Key: p.name, Value: v}
		switch p.in {
		case inPath:
			r.Path = append(r.Path, f)
		case inQuery:
			r.Query = append(r.Query, f)
		case inHeader:
			r.Headers = append(r.Headers, f)
		}
	}
	switch {
	case m.raw != nil:
		r.RawBody = textValue(*m.raw)
		r.ContentType = m.contentType
	case m.kind == jsonBody:
		v, err := toValue(m.body)
		if err != nil {
			return r, fmt.Errorf("body: %w", err)
		}
		r.Body = v
		if m.mediaType != "application/json" {
			r.ContentType = m.mediaType
		}
	case m.kind == formBody:
		r.RawBody = textValue(formText(m.body, m.encoding, templateText))
		r.ContentType = m.mediaType
	}
	if m.contentType != "" {
		r.ContentType = m.contentType
	}
	return r, nil
}

// toValue converts a model value; refs become templates, every other
// string stays a literal.
func toValue(v any) (*suites.Value, error) {
	switch x := v.(type) {
	case ref:
		return suites.NewString(string(x))
	case opaque:
		return x.v, nil
	case *obj:
		fields := make(suites.OrderedValues, 0, len(x.members))
		for _, m := range x.members {
			fv, err := toValue(m.val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.key, err)
			}
			fields = append(fields, suites.Field{Key: m.key, Value: fv})
		}
		return suites.NewValue(fields), nil
	case []any:
		list := make([]*suites.Value, 0, len(x))
		for _, el := range x {
			ev, err := toValue(el)
			if err != nil {
				return nil, err
			}
			list = append(list, ev)
		}
		return suites.NewValue(list), nil
	}
	return suites.NewValue(v), nil
}

// textValue makes a raw body a template when it holds the refs the model
// put there, and a literal otherwise. A generated literal that happens to
// look like a reference would be parsed as one; then the text is sent with
// sample values instead, which is still a valid (if repeatable) body.
func textValue(text string) *suites.Value {
	if !strings.Contains(text, "{{") {
		return suites.NewValue(text)
	}
	if v, err := suites.NewString(text); err == nil {
		return v
	}
	return suites.NewValue(sampleText(text))
}

// templateText writes a ref into a text body as its template, for the
// runner to fill; self-checks write sampleOf(r) instead.
func templateText(r ref) string { return string(r) }

// jsonText writes the body as JSON text with each ref in place, for raw
// bodies (malformed JSON, wrong content type).
func jsonText(v any, refText func(ref) string) string {
	data, _ := json.Marshal(plain(v, func(r ref) any { return refText(r) }))
	return string(data)
}

// formText encodes an object as application/x-www-form-urlencoded: nested
// objects as key[sub]; arrays as repeated keys, or key[0], key[1] where the
// encoding says deepObject (as form APIs such as Stripe's read them).
func formText(v any, enc map[string]*openapi3.Encoding, refText func(ref) string) string {
	o, ok := v.(*obj)
	if !ok {
		return ""
	}
	var pairs []string
	var walk func(prefix string, v any, deep bool)
	walk = func(prefix string, v any, deep bool) {
		switch x := v.(type) {
		case *obj:
			for _, m := range x.members {
				walk(prefix+"["+m.key+"]", m.val, true)
			}
		case []any:
			for i, el := range x {
				if deep {
					walk(prefix+"["+strconv.Itoa(i)+"]", el, deep)
				} else {
					walk(prefix, el, deep)
				}
			}
		case ref:
			// The runner's generated values are alphanumeric: safe unescaped.
			pairs = append(pairs, url.QueryEscape(prefix)+"="+refText(x))
		default:
			pairs = append(pairs, url.QueryEscape(prefix)+"="+url.QueryEscape(scalarText(x)))
		}
	}
	for _, m := range o.members {
		e := enc[m.key]
		walk(m.key, m.val, e != nil && e.Style == openapi3.SerializationDeepObject)
	}
	return strings.Join(pairs, "&")
}

// scalarText formats a scalar as it appears in a URL, header or form.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case ref:
		return sampleOf(x)
	case opaque:
		return tmpl.Format(x.sample())
	case float64:
		return tmpl.Format(x)
	}
	return fmt.Sprint(v)
}

// plain converts a model value to what encoding/json and kin-openapi take:
// map[string]any, []any, float64, string, bool, nil; refs as refValue says.
func plain(v any, refValue func(ref) any) any {
	switch x := v.(type) {
	case *obj:
		m := make(map[string]any, len(x.members))
		for _, mem := range x.members {
			m[mem.key] = plain(mem.val, refValue)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = plain(el, refValue)
		}
		return out
	case ref:
		return refValue(x)
	case opaque:
		return x.sample()
	case int64:
		return float64(x)
	}
	return v
}

// fromPlain converts a decoded JSON value (an example from the document)
// to a model value, with object keys sorted for stable output.
func fromPlain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := &obj{}
		for _, k := range keys {
			o.set(k, fromPlain(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = fromPlain(el)
		}
		return out
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
