package specs_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/specs"
)

// docWithRef is a one-operation document whose response schema is ref
// (line 13), with components (from line 14) as given.
func docWithRef(ref, components string) string {
	return `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      operationId: getX
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: '` + ref + `'
` + components
}

var _ = Describe("a document that does not load", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	write := func(name string, data []byte) string {
		GinkgoHelper()
		path := filepath.Join(dir, name)
		Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
		return path
	}
	loadErr := func(path string) string {
		GinkgoHelper()
		_, err := specs.NewLoader().Load(context.Background(), path)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring("\n"))
		return err.Error()
	}

	DescribeTable("names the $ref that does not resolve, its line and why",
		func(ref, components, other, want string) {
			if other != "" {
				write("other.yaml", []byte(other))
			}
			path := write("api.yaml", []byte(docWithRef(ref, components)))
			Expect(loadErr(path)).To(Equal("load spec " + path + ":13: $ref \"" + ref + "\" does not resolve: " + want))
		},
		Entry("no components at all", "#/components/schemas/Nope", "", "",
			`the document has no "components"`),
		Entry("no such schema", "#/components/schemas/Nope", "components:\n  schemas:\n    Yes: {type: string}\n", "",
			`no "Nope" under /components/schemas`),
		Entry("another file that does not exist", "other.yaml#/components/schemas/Nope", "", "",
			`no file other.yaml`),
		Entry("no such schema in another file", "other.yaml#/components/schemas/Nope", "",
			"components:\n  schemas:\n    Yes: {type: string}\n", `no "Nope" under /components/schemas in other.yaml`),
	)

	It("names the line of a $ref in a JSON document", func() {
		path := write("api.json", []byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
 "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok",
   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}},
 "components": {"schemas": {}}}`))
		Expect(loadErr(path)).To(Equal("load spec " + path + `:3: $ref "#/components/schemas/Nope" does not resolve: no "Nope" under /components/schemas`))
	})

	It("says a binary file is not text, with the line and offset of its first bad byte", func() {
		junk := make([]byte, 3000)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range junk {
			junk[i] = byte(r.UintN(256))
		}
		copy(junk, "openapi: 3.0.3\ninfo:\n\xff")
		path := write("junk.yaml", junk)
		Expect(loadErr(path)).To(Equal("load spec " + path + ":3: not a YAML or JSON text (a binary file?): invalid UTF-8 0xff at offset 21"))

		path = write("nul.yaml", []byte("openapi: 3.0.3\x00\n"))
		Expect(loadErr(path)).To(Equal("load spec " + path + ":1: not a YAML or JSON text (a binary file?): NUL byte at offset 14"))
	})

	It("loads a document whose references all resolve", func() {
		path := write("api.yaml", []byte(docWithRef("#/components/schemas/Yes", "components:\n  schemas:\n    Yes: {type: string}\n")))
		_, err := specs.NewLoader().Load(context.Background(), path)
		Expect(err).NotTo(HaveOccurred())
	})
})
