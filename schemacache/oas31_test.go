package schemacache_test

import (
	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/schemacache"
)

const doc31formats = `openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Day: {type: string, format: date}
    Event:
      type: object
      required: [at]
      properties:
        at: {type: string, format: date-time}
        day: {$ref: "#/components/schemas/Day"}
        count: {type: integer, format: int32}
        blob: {type: string, format: byte}
        link: {type: string, format: uri}
        format: {type: string, enum: [format, date-time]}
        history: {type: array, items: {type: string, format: date-time}}
        either: {anyOf: [{type: integer}, {type: string, format: date}]}
        maybe: {type: [string, "null"], format: date-time}
    Escaped: {type: string, pattern: "^\\\\u0041$"}
`

// jsonschema only annotates formats; kin-openapi's 3.1 validator asserts
// the ones it knows. A compiled pass is taken as the verdict, so the
// compiled schema must assert them too, and never pass what kin-openapi
// refuses.
var _ = Describe("a 3.1 document's formats, asserted as kin-openapi asserts them", func() {
	var (
		doc   *openapi3.T
		cache *schemacache.Cache
	)
	BeforeEach(func() { doc, cache = loadDoc(doc31formats) })
	kin := func(s *openapi3.Schema, body string) error { return kinVisit(doc, s, body) }

	DescribeTable("passes exactly what kin-openapi passes, or leaves it to kin-openapi",
		func(name, body string, pass bool) {
			s := doc.Components.Schemas[name].Value
			passed := cache.Passes(s, []byte(body))
			if passed {
				Expect(kin(s, body)).To(Succeed(), "passed a body kin-openapi refuses")
			}
			Expect(passed).To(Equal(pass))
		},
		Entry("a conforming event", "Event", `{"at":"2026-12-02T05:00:00Z","day":"2026-12-02","count":3,"blob":"aGk=","link":"not a uri","format":"format","history":["2026-12-02T05:00:00+07:00"],"either":"2026-12-02","maybe":null}`, true),
		Entry("a date-time that is not one", "Event", `{"at":"yesterday"}`, false),
		Entry("a date behind a reference that is not one", "Event", `{"at":"2026-12-02T05:00:00Z","day":"2026-13-02"}`, false),
		Entry("an int32 out of range", "Event", `{"at":"2026-12-02T05:00:00Z","count":2147483648}`, false),
		Entry("bytes that are not base64", "Event", `{"at":"2026-12-02T05:00:00Z","blob":"no spaces!"}`, false),
		Entry("a date-time in an array that is not one", "Event", `{"at":"2026-12-02T05:00:00Z","history":["soon"]}`, false),
		Entry("a date in an anyOf branch that is not one", "Event", `{"at":"2026-12-02T05:00:00Z","either":"today"}`, false),
		Entry("a nullable date-time that is not one", "Event", `{"at":"2026-12-02T05:00:00Z","maybe":"later"}`, false),
		Entry("a property named format is data, not a keyword", "Event", `{"at":"2026-12-02T05:00:00Z","format":"other"}`, false),
		Entry("a pattern golive's regex policy rewrites is left to kin-openapi", "Escaped", `"A"`, false),
	)

	It("refuses each bad format as kin-openapi does", func() {
		s := doc.Components.Schemas["Event"].Value
		for _, body := range []string{`{"at":"yesterday"}`, `{"at":"2026-12-02T05:00:00Z","count":2147483648}`} {
			Expect(kin(s, body)).NotTo(Succeed(), body)
			found, err := cache.Validate(s, []byte(body))
			Expect(err).NotTo(HaveOccurred())
			Expect(found).NotTo(BeEmpty(), body)
		}
	})
})
