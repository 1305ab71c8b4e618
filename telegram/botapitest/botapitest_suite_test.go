package botapitest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBotAPITest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Bot API test server")
}
