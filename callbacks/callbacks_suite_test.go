package callbacks_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCallbacks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Callbacks Suite")
}
