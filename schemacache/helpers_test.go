package schemacache_test

import (
	"context"
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/schemacache"
	"github.com/golive-cert/golive/specs"
)

// loadDoc loads a document from YAML, checks it is valid, and makes its
// cache.
func loadDoc(yaml string) (*openapi3.T, *schemacache.Cache) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(yaml))
	Expect(err).NotTo(HaveOccurred())
	Expect(doc.Validate(context.Background())).To(Succeed())
	return doc, schemacache.New(doc)
}

// kinVisit is kin-openapi's verdict on a response body, validated as the
// runner's fallback does (the 2020-12 validator for a 3.1 document).
func kinVisit(doc *openapi3.T, s *openapi3.Schema, body string) error {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return err
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsResponse(),
		openapi3.SetSchemaRegexCompiler(specs.CompileRegex)}
	if doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return s.VisitJSON(v, opts...)
}
