package schemacache_test

import (
	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/schemacache"
)

const fastDoc31 = `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Money: {type: string, pattern: "^[0-9]+\\.[0-9]{2}$"}
    Node:
      type: object
      required: [id]
      properties:
        id: {type: integer, minimum: 1, maximum: 10.5}
        next: {$ref: "#/components/schemas/Node"}
    Order:
      type: object
      additionalProperties: false
      required: [amount, status]
      properties:
        amount: {$ref: "#/components/schemas/Money"}
        status: {type: string, enum: [PROCESSING, SUCCESS]}
        note: {type: [string, "null"], minLength: 2, maxLength: 3}
        when: {type: string, format: date-time}
        tags: {type: array, items: {type: string}, minItems: 1, maxItems: 2}
        extra: {type: object, additionalProperties: {type: number}}
        either: {anyOf: [{type: string}, {type: boolean}]}
        both: {allOf: [{type: string}, {minLength: 1}]}
        node: {$ref: "#/components/schemas/Node"}
        kind: {const: Bearer}
    Const: {const: 1}
    Patterned: {type: object, patternProperties: {"^x": {type: string}}}
`

// The fast check reads a body where it lies and may only ever pass what
// the compiled schema passes: each body here is judged by both.
var _ = Describe("the fast check of a compiled schema", func() {
	var (
		doc   *openapi3.T
		cache *schemacache.Cache
	)
	BeforeEach(func() { doc, cache = loadDoc(fastDoc31) })

	DescribeTable("passes only what the compiled schema passes",
		func(name, body string, fast bool) {
			s := doc.Components.Schemas[name].Value
			known, passed := schemacache.FastPasses(cache, s, []byte(body))
			Expect(known).To(BeTrue())
			if passed {
				found, err := cache.Validate(s, []byte(body))
				Expect(err).NotTo(HaveOccurred())
				Expect(found).To(BeEmpty(), "passed a body the compiled schema refuses")
			}
			Expect(passed).To(Equal(fast))
			found, err := cache.Validate(s, []byte(body))
			Expect(cache.Passes(s, []byte(body))).To(Equal(err == nil && len(found) == 0), "Passes says what the compiled schema says")
		},
		Entry("a conforming order", "Order", `{"amount":"10.00","status":"SUCCESS","note":null,"when":"2026-12-02T05:00:00Z","tags":["a"],"extra":{"x":1.5,"y":2},"either":true,"both":"b","node":{"id":1,"next":{"id":10}}}`, true),
		Entry("a date-time that is not one (kin-openapi asserts the format)", "Order", `{"amount":"10.00","status":"SUCCESS","when":"not a date"}`, false),
		Entry("a const", "Order", `{"amount":"10.00","status":"SUCCESS","kind":"Bearer"}`, true),
		Entry("not the const", "Order", `{"amount":"10.00","status":"SUCCESS","kind":"bearer"}`, false),
		Entry("a bad amount behind a reference", "Order", `{"amount":"10","status":"SUCCESS"}`, false),
		Entry("a status not in the enum", "Order", `{"amount":"10.00","status":"DONE"}`, false),
		Entry("a number where the enum has strings", "Order", `{"amount":"10.00","status":1}`, false),
		Entry("a property not allowed", "Order", `{"amount":"10.00","status":"SUCCESS","other":1}`, false),
		Entry("a missing property", "Order", `{"amount":"10.00"}`, false),
		Entry("a note too short, in runes", "Order", `{"amount":"10.00","status":"SUCCESS","note":"é"}`, false),
		Entry("a note too long", "Order", `{"amount":"10.00","status":"SUCCESS","note":"abcd"}`, false),
		Entry("a note of three runes, six bytes", "Order", `{"amount":"10.00","status":"SUCCESS","note":"ééé"}`, true),
		Entry("no tags", "Order", `{"amount":"10.00","status":"SUCCESS","tags":[]}`, false),
		Entry("too many tags", "Order", `{"amount":"10.00","status":"SUCCESS","tags":["a","b","c"]}`, false),
		Entry("a tag not a string", "Order", `{"amount":"10.00","status":"SUCCESS","tags":[1]}`, false),
		Entry("an extra value not a number", "Order", `{"amount":"10.00","status":"SUCCESS","extra":{"x":"1"}}`, false),
		Entry("either, neither", "Order", `{"amount":"10.00","status":"SUCCESS","either":1}`, false),
		Entry("both, only one", "Order", `{"amount":"10.00","status":"SUCCESS","both":""}`, false),
		Entry("an id below the minimum, two levels down", "Order", `{"amount":"10.00","status":"SUCCESS","node":{"id":1,"next":{"id":0}}}`, false),
		Entry("an id above the maximum", "Node", `{"id":11}`, false),
		Entry("an id just above a bound beyond float64's precision", "Node", `{"id":10.500000000000000000001}`, false),
		Entry("an integer written 1.0: the compiled schema passes it, the fast check leaves it to it", "Node", `{"id":1.0}`, false),
		Entry("a repeated key, the first bad", "Node", `{"id":0,"id":1}`, false),
		Entry("null for an object", "Node", `null`, false),
		Entry("trailing data", "Node", `{"id":1} {}`, false),
		Entry("not JSON", "Node", `{"id":`, false),
	)

	It("is not built for a schema with keywords it does not know", func() {
		for _, name := range []string{"Const", "Patterned"} {
			known, _ := schemacache.FastPasses(cache, doc.Components.Schemas[name].Value, []byte(`{}`))
			Expect(known).To(BeFalse(), name)
		}
	})
})
