package schemacache_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/golive-cert/golive/schemacache"
)

// Bodies are read with gjson, not jsonschema's encoding/json reader: the
// values validated must be the same.
var _ = DescribeTable("bodies read as jsonschema reads them",
	func(body string) {
		want, wantErr := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(body)))
		got, err := schemacache.Decode([]byte(body))
		if wantErr != nil {
			Expect(err).To(MatchError(wantErr.Error()))
			return
		}
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(want))
	},
	Entry("an object of every kind of value", `{"s":"a\"b\u00e9","n":1500.00,"i":-3,"e":1e3,"t":true,"f":false,"z":null,"o":{"a":[1,"x",{}]},"l":[]}`),
	Entry("a repeated key: the last wins", `{"a":1,"a":2}`),
	Entry("a bare array", `[1, 2.50, "3"]`),
	Entry("a bare number", `42`),
	Entry("an empty body", ``),
	Entry("trailing data", `{"a":1} {"b":2}`),
	Entry("broken JSON", `{"a":`),
)
