package schemacache_test

import (
	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/schemacache"
)

const doc30 = `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Money: {type: string, pattern: "^[0-9]+\\.[0-9]{2}$"}
    Status: {type: string, enum: [PROCESSING, SUCCESS]}
    Order:
      type: object
      additionalProperties: false
      required: [amount, status, createdAt]
      properties:
        amount: {$ref: "#/components/schemas/Money"}
        status: {$ref: "#/components/schemas/Status"}
        reason: {type: string, nullable: true, maxLength: 5}
        createdAt: {type: string, format: date-time}
        day: {type: string, format: date}
        count: {type: integer, format: int32, minimum: 0}
        link: {type: string, format: uri}
        anything: {description: any value but null}
        tags: {type: array, items: {type: string}, maxItems: 2}
        extra: {type: object, additionalProperties: {type: number}}
        either: {anyOf: [{type: string}, {type: integer, nullable: true}]}
    Exclusive: {type: number, minimum: 0, exclusiveMinimum: true}
    OneOf: {oneOf: [{type: string}, {type: integer}]}
    Multiple: {type: number, multipleOf: 0.1}
    Unique: {type: array, items: {type: integer}, uniqueItems: true}
    Wide: {type: integer, format: int64}
    Secret: {type: object, properties: {pin: {type: string, writeOnly: true}}}
    Escaped: {type: string, pattern: "^\\\\u0041$"}
    Letters: {type: string, pattern: "^\\p{L}+$"}
`

// A 3.0 schema is compiled from a translation that must never pass a body
// kin-openapi's 3.0 validator refuses (a pass is taken as the verdict, a
// failure goes to kin-openapi); each conforming body here is also passed,
// so the fast path is used where it can be.
var _ = Describe("a 3.0 document's schemas, compiled from a translation", func() {
	var (
		doc   *openapi3.T
		cache *schemacache.Cache
	)
	BeforeEach(func() { doc, cache = loadDoc(doc30) })
	kin := func(s *openapi3.Schema, body string) error { return kinVisit(doc, s, body) }

	DescribeTable("passes only what kin-openapi passes",
		func(name, body string, fast bool) {
			s := doc.Components.Schemas[name].Value
			kinErr := kin(s, body)
			passed := cache.Passes(s, []byte(body))
			if passed {
				Expect(kinErr).NotTo(HaveOccurred(), "passed a body kin-openapi refuses")
			}
			Expect(passed).To(Equal(fast))
			Expect(cache.Passes(s, []byte(body))).To(Equal(fast), "the second time, from the cache")
		},
		Entry("a conforming order", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","reason":null,"day":"2026-12-02","count":3,"link":"not a uri","anything":{},"tags":["a"],"extra":{"x":1.5},"either":7}`, true),
		Entry("null through a nullable anyOf branch: kin-openapi passes it, the translation is stricter", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","either":null}`, false),
		Entry("a conforming order, either a string", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00+03:00","either":"s"}`, true),
		Entry("a bad amount behind a reference", "Order", `{"amount":"10","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z"}`, false),
		Entry("a status not in the enum", "Order", `{"amount":"10.00","status":"DONE","createdAt":"2026-12-02T05:00:00Z"}`, false),
		Entry("null where not nullable", "Order", `{"amount":"10.00","status":null,"createdAt":"2026-12-02T05:00:00Z"}`, false),
		Entry("null for a schema without a type", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","anything":null}`, false),
		Entry("a nullable string too long", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","reason":"longer"}`, false),
		Entry("a date-time that is not one", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02 05:00"}`, false),
		Entry("a date that is not one", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","day":"2026-13-02"}`, false),
		Entry("an int32 out of range", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","count":2147483648}`, false),
		Entry("a number beyond float64", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","extra":{"x":1e400}}`, false),
		Entry("a property not allowed", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","other":1}`, false),
		Entry("a missing property", "Order", `{"amount":"10.00","status":"SUCCESS"}`, false),
		Entry("too many items", "Order", `{"amount":"10.00","status":"SUCCESS","createdAt":"2026-12-02T05:00:00Z","tags":["a","b","c"]}`, false),
		Entry("not JSON", "Order", `{"amount":`, false),
		Entry("exclusiveMinimum: true is left to kin-openapi", "Exclusive", `1`, false),
		Entry("oneOf is left to kin-openapi", "OneOf", `"s"`, false),
		Entry("multipleOf is left to kin-openapi", "Multiple", `0.3`, false),
		Entry("uniqueItems is left to kin-openapi", "Unique", `[1, 2]`, false),
		Entry("an int64 format is left to kin-openapi", "Wide", `1`, false),
		Entry("writeOnly is left to kin-openapi", "Secret", `{"pin":"1234"}`, false),
		Entry("a pattern golive's regex policy rewrites (\\u) is left to kin-openapi", "Escaped", `"\\u0041"`, false),
		Entry("a pattern golive's regex policy rewrites (\\p) is left to kin-openapi", "Letters", `"abc"`, false),
	)
})
