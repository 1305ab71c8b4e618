package server

import (
	"net/http"

	// Named: the package's external specs dot-import ginkgo.
	ginkgo "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Loopback is never proxied by net/http, so the specs that run replicas
// on 127.0.0.1 cannot show a proxy being skipped; this holds the client
// to it.
var _ = ginkgo.Describe("the replica client", func() {
	ginkgo.It("talks to other replicas directly, whatever HTTP_PROXY says", func() {
		c := newReplicaClient()
		t, ok := c.Transport.(*http.Transport)
		Expect(ok).To(BeTrue())
		Expect(t.Proxy).To(BeNil())
		Expect(t).NotTo(BeIdenticalTo(http.DefaultTransport), "a transport of its own, not the process's shared one")
	})
})
