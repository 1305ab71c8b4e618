package derive

import (
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Schema types as OpenAPI names them.
const (
	tString  = "string"
	tInteger = "integer"
	tNumber  = "number"
	tBoolean = "boolean"
	tObject  = "object"
	tArray   = "array"
	tNull    = "null"
)

func schemaOf(r *openapi3.SchemaRef) *openapi3.Schema {
	if r == nil {
		return nil
	}
	return r.Value
}

// typeOf is the schema's main type: the first declared one that is not
// null, else what its keywords imply, else "" (anything goes).
func typeOf(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != tNull {
				return t
			}
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil || len(s.Required) > 0:
		return tObject
	case s.Items != nil:
		return tArray
	case s.Pattern != "" || s.MaxLength != nil || s.MinLength > 0 || s.Format == "date-time" || s.Format == "uuid":
		return tString
	case s.Min != nil || s.Max != nil:
		return tNumber
	case len(s.Enum) > 0:
		return jsonType(s.Enum[0])
	}
	for _, part := range s.AllOf {
		if t := typeOf(schemaOf(part)); t != "" {
			return t
		}
	}
	return ""
}

// permits reports whether the schema allows values of JSON type t.
func permits(s *openapi3.Schema, t string) bool {
	if s == nil || s.Type == nil || len(s.Type.Slice()) == 0 {
		main := typeOf(s)
		return main == "" || main == t || main == tNumber && t == tInteger
	}
	for _, have := range s.Type.Slice() {
		if have == t || have == tNumber && t == tInteger {
			return true
		}
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return tString
	case bool:
		return tBoolean
	case float64, int, int64, float32:
		return tNumber
	case []any:
		return tArray
	case map[string]any:
		return tObject
	}
	return ""
}

// objectView is an object schema with allOf parts folded in: the
// properties and required names a value must have.
type objectView struct {
	props    map[string]*openapi3.Schema
	required map[string]bool
	closed   bool // additionalProperties (or unevaluatedProperties) is false
}

func viewObject(s *openapi3.Schema) *objectView {
	v := &objectView{props: map[string]*openapi3.Schema{}, required: map[string]bool{}}
	v.fold(s, 0)
	return v
}

func (v *objectView) fold(s *openapi3.Schema, depth int) {
	if s == nil || depth > 8 {
		return
	}
	for name, p := range s.Properties {
		if p == nil || p.Value == nil {
			continue
		}
		if _, seen := v.props[name]; !seen {
			v.props[name] = p.Value
		}
	}
	for _, r := range s.Required {
		v.required[r] = true
	}
	if isFalse(s.AdditionalProperties) || isFalse(s.UnevaluatedProperties) {
		v.closed = true
	}
	for _, part := range s.AllOf {
		v.fold(schemaOf(part), depth+1)
	}
}

func isFalse(b openapi3.BoolSchema) bool { return b.Has != nil && !*b.Has }

// names lists the properties sorted, required ones first: ids and bodies
// come out in the same order on every run.
func (v *objectView) names() []string {
	names := make([]string, 0, len(v.props))
	for n := range v.props {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := v.required[names[i]], v.required[names[j]]
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
	return names
}

// examplesOf lists the schema's own examples (example, then examples).
func examplesOf(s *openapi3.Schema) []any {
	var out []any
	if s.Example != nil {
		out = append(out, s.Example)
	}
	out = append(out, s.Examples...)
	return out
}

// isScalar reports whether values of the schema are strings, numbers or booleans.
func isScalar(s *openapi3.Schema) bool {
	switch typeOf(s) {
	case tString, tInteger, tNumber, tBoolean:
		return true
	}
	return false
}

var decimalPattern = regexp.MustCompile(`\\\.|\[\.\]`)

// isAmount says a value is money: compared as an exact decimal, never as
// text or float. A string with a decimal-point pattern, or a field named
// like an amount.
func isAmount(name string, s *openapi3.Schema) bool {
	t := typeOf(s)
	if t != tString && t != tNumber && t != tInteger {
		return false
	}
	if strings.Contains(strings.ToLower(name), "amount") {
		return true
	}
	return t == tString && s.Pattern != "" && decimalPattern.MatchString(s.Pattern) &&
		(strings.Contains(s.Pattern, "[0-9]") || strings.Contains(s.Pattern, `\d`))
}

// looksLikeReference says a request field carries the caller's reference
// for what it creates, so each run must send a new one.
func looksLikeReference(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "reference") || strings.Contains(n, "idempotency")
}

// looksLikeIdentifier says a field names the resource (id, orderId, reference).
func looksLikeIdentifier(name string) bool {
	n := strings.ToLower(name)
	return n == "id" || strings.HasSuffix(n, "id") && len(name) > 2 && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "ID") || strings.HasSuffix(n, "_id")) ||
		looksLikeReference(name)
}

var credentialName = regexp.MustCompile(`(?i)(api[-_]?key|secret|password|passwd|token|client[-_]?id|signature)`)

// looksLikeCredential says a parameter carries credentials golive cannot
// invent: a generated value would be refused, rightly.
func looksLikeCredential(name string) bool { return credentialName.MatchString(name) }

// flattenAllOf folds the allOf parts of a non-object schema into one
// schema (a $ref plus a description is the common case), so the generator
// sees the referenced type, pattern and enum. Validation still uses the
// original schema.
func flattenAllOf(s *openapi3.Schema) *openapi3.Schema {
	out := *s
	out.AllOf = nil
	for _, part := range s.AllOf {
		p := schemaOf(part)
		if p == nil {
			continue
		}
		if len(p.AllOf) > 0 {
			p = flattenAllOf(p)
		}
		if out.Type == nil || len(out.Type.Slice()) == 0 {
			out.Type = p.Type
		}
		if out.Format == "" {
			out.Format = p.Format
		}
		if out.Pattern == "" {
			out.Pattern = p.Pattern
		}
		if len(out.Enum) == 0 {
			out.Enum = p.Enum
		}
		if out.Const == nil {
			out.Const = p.Const
		}
		if out.Example == nil && len(out.Examples) == 0 {
			out.Example, out.Examples = p.Example, p.Examples
		}
		if out.Min == nil {
			out.Min, out.ExclusiveMin = p.Min, p.ExclusiveMin
		}
		if out.Max == nil {
			out.Max, out.ExclusiveMax = p.Max, p.ExclusiveMax
		}
		if out.MultipleOf == nil {
			out.MultipleOf = p.MultipleOf
		}
		out.MinLength = max(out.MinLength, p.MinLength)
		if out.MaxLength == nil {
			out.MaxLength = p.MaxLength
		}
		if out.Items == nil {
			out.Items = p.Items
		}
		out.MinItems = max(out.MinItems, p.MinItems)
		if out.MaxItems == nil {
			out.MaxItems = p.MaxItems
		}
		if len(out.OneOf) == 0 && len(out.AnyOf) == 0 {
			out.OneOf, out.AnyOf = p.OneOf, p.AnyOf
		}
	}
	return &out
}
