package uat_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestUAT(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "uat")
}
