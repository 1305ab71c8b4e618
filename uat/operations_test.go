package uat_test

import (
	"context"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/uat"
)

var _ = Describe("a session's sandbox operations", func() {
	It("pass through to the session's sandbox: an unknown reference is sandbox.ErrNotFound", func() {
		s, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Partner: "acme",
			Listen: "127.0.0.1:0", OutDir: GinkgoT().TempDir()})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _, _ = s.Close(uat.EndStopped) })
		_, err = s.Transaction("ORDnone")
		Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
		_, err = s.ForceOutcome("ORDnone", sandbox.OutcomeSuccess)
		Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
		_, err = s.ResendCallback(context.Background(), "ORDnone")
		Expect(errors.Is(err, sandbox.ErrNotFound)).To(BeTrue())
	})
})
