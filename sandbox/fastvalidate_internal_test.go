package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/specs"
)

// The compiled check of a 3.1 request (fastvalidate.go) is taken as the
// verdict when it passes, so it must never pass a request kin-openapi
// refuses, and it must pass the ordinary valid ones (or it saves nothing).
var _ = Describe("a 3.1 request checked by the compiled schemas", func() {
	var s *Sandbox
	BeforeEach(func() {
		var err error
		s, err = New()
		Expect(err).NotTo(HaveOccurred())
	})

	request := func(method, path, contentType, body string, header ...string) *http.Request {
		var r *http.Request
		var err error
		if body == "" {
			r, err = http.NewRequest(method, "http://sandbox.test"+path, nil)
		} else {
			r, err = http.NewRequest(method, "http://sandbox.test"+path, bytes.NewReader([]byte(body)))
		}
		Expect(err).NotTo(HaveOccurred())
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Add(header[i], header[i+1])
		}
		return r
	}
	kinPasses := func(method, path, contentType, body string, header ...string) bool {
		r := request(method, path, contentType, body, header...)
		rt, params, _ := s.routes.find(r)
		Expect(rt).NotTo(BeNil())
		return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: rt.spec,
			Options: &openapi3filter.Options{MultiError: true, SkipSettingDefaults: true,
				AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, RegexCompiler: specs.CompileRegex},
		}) == nil
	}

	order := `{"amount":"1500.00","currency":"TZS","orderReference":"ORD123456","phoneNumber":"255712345678"}`
	DescribeTable("passes only what kin-openapi passes",
		func(method, path, contentType, body string, pass bool, header ...string) {
			r := request(method, path, contentType, body, header...)
			rt, params, _ := s.routes.find(r)
			Expect(rt).NotTo(BeNil())
			passed := passesCompiled(r, rt, params)
			if passed {
				Expect(kinPasses(method, path, contentType, body, header...)).To(BeTrue(), "passed a request kin-openapi refuses")
			}
			Expect(passed).To(Equal(pass))
		},
		Entry("a token request", "POST", "/v1/token", "", "", true, "client-id", "abc", "api-key", "k"),
		Entry("a client-id too long", "POST", "/v1/token", "", "", false, "client-id", strings.Repeat("c", 65), "api-key", "k"),
		Entry("an empty client-id", "POST", "/v1/token", "", "", false, "client-id", "", "api-key", "k"),
		Entry("no api-key", "POST", "/v1/token", "", "", false, "client-id", "abc"),
		Entry("a client-id sent twice", "POST", "/v1/token", "", "", false, "client-id", "abc", "client-id", "def", "api-key", "k"),
		Entry("a status query", "GET", "/v1/collections/ORD123456", "", "", true),
		Entry("a reference too short", "GET", "/v1/collections/ORD1", "", "", false),
		Entry("a reference with a character not allowed", "GET", "/v1/collections/ORD-123456", "", "", false),
		Entry("an initiate", "POST", "/v1/collections/ussd-push", "application/json", order, true),
		Entry("an initiate with a bad amount", "POST", "/v1/collections/ussd-push", "application/json", strings.Replace(order, "1500.00", "15.000", 1), false),
		Entry("an initiate that is not JSON", "POST", "/v1/collections/ussd-push", "text/plain", order, false),
		Entry("an initiate without a body", "POST", "/v1/collections/ussd-push", "application/json", "", false),
	)

	It("leaves a parameter of another style to kin-openapi", func() {
		r := request("GET", "/v1/collections/ORD123456", "", "")
		rt, params, _ := s.routes.find(r)
		Expect(passesCompiled(r, rt, params)).To(BeTrue())
		op := *rt.spec.Operation
		matrix := *op.Parameters[0].Value
		matrix.Style = openapi3.SerializationMatrix // kin-openapi wants ";orderReference=..."
		op.Parameters = openapi3.Parameters{{Value: &matrix}}
		spec := *rt.spec
		spec.Operation = &op
		styled := *rt
		styled.spec = &spec
		Expect(passesCompiled(r, &styled, params)).To(BeFalse())
	})
})
