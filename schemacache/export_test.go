package schemacache

import (
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tidwall/gjson"
)

// Decode exposes decode to the Ginkgo suite.
func Decode(body []byte) (any, error) {
	v, _, err := decode(body)
	return v, err
}

// FastPasses is the fast check alone: known is false when s has keywords
// it does not know.
func FastPasses(c *Cache, s *openapi3.Schema, body []byte) (known, passed bool) {
	got := c.entry(s)
	if got.fast == nil {
		return false, false
	}
	return true, gjson.ValidBytes(body) && got.fast.passes(gjson.ParseBytes(body), !c.doc.IsOpenAPI31OrLater())
}
