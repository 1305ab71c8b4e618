package uat_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestUAT(t *testing.T) {
	RegisterFailHandler(Fail)
	// Waits are on events; the timeout only bounds a broken test.
	SetDefaultEventuallyTimeout(60 * time.Second)
	RunSpecs(t, "uat")
}
