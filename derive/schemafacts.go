package derive

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaFacts caches, for one Plan call, what golive learns about schemas
// by walking them (not package state: a plan's schemas are its own).
type schemaFacts struct {
	legacy map[*openapi3.Schema]bool
}

func newSchemaFacts() *schemaFacts { return &schemaFacts{legacy: map[*openapi3.Schema]bool{}} }

var errFound = errors.New("found")

// legacyValidated mirrors kin-openapi's choice for OpenAPI 3.1 documents:
// a schema that refers to components and uses none of the JSON Schema
// 2020-12 keywords below is validated by its OpenAPI 3.0 validator.
func (f *schemaFacts) legacyValidated(s *openapi3.Schema) bool {
	if v, ok := f.legacy[s]; ok {
		return v
	}
	uses2020 := errors.Is(openapi3.NewSchemaRef("", s).WalkSubtree(func(_ string, r *openapi3.SchemaRef) error {
		if v := r.Value; v != nil && uses2020Keyword(v) {
			return errFound
		}
		return nil
	}), errFound)
	data, err := json.Marshal(s)
	refs := err == nil && strings.Contains(string(data), `"$ref":"#/components/schemas/`)
	f.legacy[s] = !uses2020 && refs
	return f.legacy[s]
}

// uses2020Keyword is kin-openapi's list of keywords that keep a schema on
// the JSON Schema 2020-12 validator.
func uses2020Keyword(s *openapi3.Schema) bool {
	return s.Const != nil ||
		len(s.PrefixItems) != 0 || s.Contains != nil ||
		len(s.PatternProperties) != 0 ||
		len(s.DependentSchemas) != 0 || s.PropertyNames != nil ||
		s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil ||
		s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil ||
		s.If != nil || s.Then != nil || s.Else != nil ||
		len(s.DependentRequired) != 0 || len(s.Defs) != 0 ||
		s.ContentSchema != nil
}
