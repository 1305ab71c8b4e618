package runner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/schemacache"
	"github.com/golive-cert/golive/specs"
)

// schemaCache validates response bodies of an OpenAPI 3.1 document against
// schemas compiled once (schemacache): kin-openapi recompiles them on every
// call, ~500µs per response. The cache is the loaded API's (specs.API.Schemas),
// so runs of the same document compile each schema once between them. For
// a 3.0 document it only passes conforming bodies (conforms), faster than
// kin-openapi's decoding and visiting; kin-openapi judges the others.
type schemaCache struct{ cache *schemacache.Cache }

func newSchemaCache(api *specs.API) *schemaCache { return &schemaCache{api.Schemas()} }

// conforms reports whether body is JSON that conforms to s by the compiled
// schema; false when it does not, or when s cannot be compiled here.
func (c *schemaCache) conforms(s *openapi3.Schema, body []byte) bool {
	return c.cache.Passes(s, body)
}

// validateBody checks a JSON body against a compiled schema and describes
// the first problems as "/pointer: reason (rule: keyword)"; ok is false when
// the schema cannot be compiled here, and the caller falls back to kin-openapi.
func (c *schemaCache) validateBody(s *openapi3.Schema, body []byte) (problem string, ok bool) {
	if c.cache.PassesFast(s, body) {
		return "", true
	}
	found, err := c.cache.Validate(s, body)
	switch {
	case errors.Is(err, schemacache.ErrNotJSON):
		return oneLine(err.Error()), true
	case err != nil:
		return "", false
	case len(found) == 0:
		return "", true
	}
	var problems []string
	for _, p := range found {
		pointer := "/" + strings.Join(p.Pointer, "/")
		if p.Keyword != "" {
			problems = append(problems, fmt.Sprintf("%s: %s (rule: %s)", pointer, oneLine(p.Reason), p.Keyword))
		} else {
			problems = append(problems, fmt.Sprintf("%s: %s", pointer, oneLine(p.Reason)))
		}
	}
	sort.Strings(problems)
	return bodyProblems(problems), true
}
