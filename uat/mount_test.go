package uat_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

var _ = Describe("a session mounted in a host's server", func() {
	It("serves under the host's prefix, records the public base URL and refuses exchanges once ended", func() {
		mux := http.NewServeMux()
		host := httptest.NewServer(mux)
		defer host.Close()
		out := GinkgoT().TempDir()
		base := host.URL + "/uat/s1"
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := uat.Start(ctx, uat.Config{APIs: []string{"collections"}, Partner: "acme", BaseURL: base + "/",
			OutDir: out, Timing: testTiming(), Version: "test"})
		Expect(err).NotTo(HaveOccurred())
		Expect(s.BaseURL()).To(Equal(base))
		mux.Handle("/uat/s1/", http.StripPrefix("/uat/s1", s))

		c, err := client.New(client.Config{BaseURL: s.BaseURL(), APIs: []string{"collections"}, Credentials: s.Credentials(),
			Timing: s.Timing(), RequestTimeout: 1500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		Expect(c.Play(ctx)).To(Succeed())
		Expect(s.WaitCallbacks(ctx)).To(Succeed())
		run, err := s.Close(uat.EndStopped)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Target.BaseURL).To(Equal(base))
		Expect(item(run, "client.collections.check-status").Status).To(Equal(results.Pass))
		Expect(item(run, "client.collections.tls").Status).To(Equal(results.Skip))
		har, err := os.ReadFile(filepath.Join(out, uat.HARFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(har)).To(ContainSubstring(`"url":"` + base + `/v1/`))

		resp, err := http.Post(base+"/v1/token", "application/json", nil)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusGone))
	})

	It("refuses a listener or TLS files beside a base URL", func() {
		_, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, BaseURL: "http://127.0.0.1:1/uat/x",
			Listen: "127.0.0.1:0", OutDir: GinkgoT().TempDir()})
		Expect(err).To(MatchError(ContainSubstring("no listener of its own")))
		_, err = uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, BaseURL: "ftp://x",
			OutDir: GinkgoT().TempDir()})
		Expect(err).To(MatchError(ContainSubstring("absolute http(s) URL")))
	})
})
