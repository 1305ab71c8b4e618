package schemacache_test

import (
	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/schemacache"
)

const doc31 = `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Money: {type: string, pattern: "^[0-9]+\\.[0-9]{2}$"}
    Order:
      type: object
      additionalProperties: false
      required: [amount, reference]
      properties:
        amount: {$ref: "#/components/schemas/Money"}
        reference: {type: string}
`

var _ = Describe("a 3.1 document's schemas, compiled once", func() {
	var (
		cache *schemacache.Cache
		order *openapi3.Schema
	)
	BeforeEach(func() {
		var doc *openapi3.T
		doc, cache = loadDoc(doc31)
		order = doc.Components.Schemas["Order"].Value
	})

	It("accepts a conforming body, twice from the same compiled schema", func() {
		for range 2 {
			found, err := cache.Validate(order, []byte(`{"amount":"10.00","reference":"r1"}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(BeEmpty())
		}
	})

	It("names the pointer and rule of a violation behind a component reference", func() {
		found, err := cache.Validate(order, []byte(`{"amount":"10","reference":"r1"}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(found).To(HaveLen(1))
		Expect(found[0].Pointer).To(Equal([]string{"amount"}))
		Expect(found[0].Keyword).To(Equal("pattern"))
	})

	It("names the properties missing or not allowed", func() {
		found, err := cache.Validate(order, []byte(`{"extra":1}`))
		Expect(err).NotTo(HaveOccurred())
		var props []string
		for _, p := range found {
			props = append(props, p.Properties...)
		}
		Expect(props).To(ConsistOf("amount", "reference", "extra"))
	})

	It("says when a body is not JSON at all", func() {
		_, err := cache.Validate(order, []byte(`{"amount":`))
		Expect(err).To(MatchError(schemacache.ErrNotJSON))
	})
})
