package schemacache

import (
	"strings"
)

// forOAS31 makes an OpenAPI 3.1 schema object (as kin-openapi marshals it)
// judge what kin-openapi's 3.1 validator judges beyond plain JSON Schema
// 2020-12, which only annotates formats: kin-openapi asserts the formats
// it knows (date, date-time and byte as patterns, int32 as bounds), so each
// becomes that constraint, and a format someone registered with
// kin-openapi that has no exact constraint here leaves the schema to
// kin-openapi. A pattern golive's regex policy rewrites (\u, \p{) is left
// to kin-openapi too. Only schema positions are visited: a property named
// "format" or an enum value is data.
func forOAS31(node any) error {
	m, ok := node.(map[string]any)
	if !ok {
		return nil // a boolean schema
	}
	var extra []any
	for k, v := range m {
		switch k {
		case "format":
			var err error
			if extra, err = withFormat(extra, v); err != nil {
				return err
			}
			delete(m, k)
		case "pattern":
			if p, _ := v.(string); rewrittenPattern(p) {
				return errUntranslatable{"a pattern golive's regex policy rewrites"}
			}
		case "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
			"unevaluatedItems", "unevaluatedProperties", "contentSchema":
			if err := forOAS31(v); err != nil {
				return err
			}
		case "allOf", "anyOf", "oneOf", "prefixItems":
			for _, s := range asList(v) {
				if err := forOAS31(s); err != nil {
					return err
				}
			}
		case "properties", "patternProperties", "dependentSchemas", "$defs", "definitions":
			subs, _ := v.(map[string]any)
			for _, s := range subs {
				if err := forOAS31(s); err != nil {
					return err
				}
			}
		}
	}
	if len(extra) > 0 {
		m["allOf"] = append(asList(m["allOf"]), extra...)
	}
	return nil
}

// rewrittenPattern reports whether golive's regex policy
// (specs.CompileRegex) rewrites p before RE2 sees it, so that jsonschema,
// which gives RE2 the pattern as it is, would read it otherwise.
func rewrittenPattern(p string) bool {
	return strings.Contains(p, `\u`) || strings.Contains(p, `\p{`) || strings.Contains(p, `\P{`)
}
