package schemacache

import (
	"fmt"
	"math"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// errUntranslatable says a schema uses something its translation
// (fromOAS30, forOAS31) does not carry over exactly; the caller validates
// with kin-openapi.
type errUntranslatable struct{ why string }

func (e errUntranslatable) Error() string {
	return "schema not compiled here: " + e.why
}

// fromOAS30 rewrites an OpenAPI 3.0 schema object (as kin-openapi marshals
// it) into JSON Schema 2020-12 that accepts no value kin-openapi's 3.0
// validator rejects. It may reject values kin-openapi accepts: a 3.0 body
// the compiled schema passes conforms, and one it fails is judged (and
// described) by kin-openapi. So every rewrite only adds constraints, and
// keywords where a stricter subschema would make the whole laxer (not,
// oneOf) or whose semantics differ (multipleOf on floats, uniqueItems and
// enum equality on numbers, exclusive bounds compared in float64,
// discriminator, writeOnly) are not translated at all.
func fromOAS30(node any) error {
	m, ok := node.(map[string]any)
	if !ok {
		return errUntranslatable{"a schema that is not an object"}
	}
	if _, ref := m["$ref"]; ref {
		if len(m) != 1 {
			return errUntranslatable{"$ref with siblings"}
		}
		return nil
	}
	var extra []any // constraints added with allOf
	for k, v := range m {
		if strings.HasPrefix(k, "x-") {
			continue
		}
		switch k {
		case "title", "description", "example", "default", "deprecated", "readOnly", "externalDocs", "xml",
			"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
			"minProperties", "maxProperties", "required":
		case "pattern":
			// kin-openapi compiles it through golive's regex policy
			// (specs.CompileRegex), which rewrites \uXXXX and \p{...}
			// before RE2 sees them; jsonschema gives RE2 the pattern as it
			// is. Only a pattern neither rewrite touches means the same.
			if p, _ := v.(string); rewrittenPattern(p) {
				return errUntranslatable{"a pattern golive's regex policy rewrites"}
			}
		case "type":
			if _, ok := v.(string); !ok {
				return errUntranslatable{"type is not one name"}
			}
		case "nullable":
		case "exclusiveMinimum", "exclusiveMaximum":
			if b, ok := v.(bool); !ok || b {
				return errUntranslatable{k}
			}
			delete(m, k) // false: the bound is inclusive, as without it
		case "enum":
			list, ok := v.([]any)
			if !ok {
				return errUntranslatable{"enum"}
			}
			for _, e := range list {
				if _, ok := e.(string); !ok {
					return errUntranslatable{"enum of other than strings"}
				}
			}
		case "format":
			var err error
			if extra, err = withFormat(extra, v); err != nil {
				return err
			}
			delete(m, k) // annotation only in 2020-12; its constraint is in extra
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return errUntranslatable{"properties"}
			}
			for _, p := range props {
				if err := fromOAS30(p); err != nil {
					return err
				}
			}
		case "items":
			if err := fromOAS30(v); err != nil {
				return err
			}
		case "additionalProperties":
			if _, ok := v.(bool); ok {
				continue
			}
			if err := fromOAS30(v); err != nil {
				return err
			}
		case "allOf", "anyOf":
			list, ok := v.([]any)
			if !ok {
				return errUntranslatable{k}
			}
			for _, s := range list {
				if err := fromOAS30(s); err != nil {
					return err
				}
			}
		default:
			return errUntranslatable{k}
		}
	}
	if len(m) == 0 {
		// kin-openapi's empty schema accepts anything but null.
		m["not"] = map[string]any{"type": "null"}
		return nil
	}
	if nullable, _ := m["nullable"].(bool); nullable {
		// kin-openapi passes null before looking at anything else.
		delete(m, "nullable")
		if len(extra) > 0 {
			m["allOf"] = append(asList(m["allOf"]), extra...)
		}
		rest := map[string]any{}
		for k, v := range m {
			rest[k] = v
			delete(m, k)
		}
		m["anyOf"] = []any{map[string]any{"type": "null"}, rest}
		return nil
	}
	delete(m, "nullable")
	if _, typed := m["type"]; !typed {
		// A 3.0 type is never null; without one, kin-openapi still refuses a
		// null that nothing made nullable.
		extra = append(extra, map[string]any{"not": map[string]any{"type": "null"}})
	}
	if len(extra) > 0 {
		m["allOf"] = append(asList(m["allOf"]), extra...)
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// withFormat adds to extra the constraint kin-openapi checks for the
// format named by v (formatConstraint).
func withFormat(extra []any, v any) ([]any, error) {
	f, _ := v.(string)
	c, err := formatConstraint(f)
	if err != nil || c == nil {
		return extra, err
	}
	return append(extra, c), nil
}

// formatOfPattern is the format whose constraint pattern is p, or "".
func formatOfPattern(p string) string {
	switch p {
	case openapi3.FormatOfStringDate:
		return "date"
	case openapi3.FormatOfStringDateTime:
		return "date-time"
	case openapi3.FormatOfStringByte:
		return "byte"
	}
	return ""
}

// formatConstraint is what kin-openapi checks for a format, as a 2020-12
// constraint (nil when it checks nothing).
func formatConstraint(f string) (map[string]any, error) {
	switch f {
	case "date":
		return map[string]any{"pattern": openapi3.FormatOfStringDate}, nil
	case "date-time":
		return map[string]any{"pattern": openapi3.FormatOfStringDateTime}, nil
	case "byte":
		return map[string]any{"pattern": openapi3.FormatOfStringByte}, nil
	case "int32":
		return map[string]any{"minimum": math.MinInt32, "maximum": math.MaxInt32}, nil
	}
	_, s := openapi3.SchemaStringFormats[f]
	_, i := openapi3.SchemaIntegerFormats[f]
	_, n := openapi3.SchemaNumberFormats[f]
	if s || i || n {
		return nil, errUntranslatable{fmt.Sprintf("format %q", f)}
	}
	return nil, nil // a format kin-openapi does not know it does not check
}
