package schemacache_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestSchemacache(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Schemacache Suite")
}
