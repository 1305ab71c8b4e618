package uat_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

var _ = Describe("secrets", func() {
	It("never appear in the recording or the reports, even when the client puts them in a URL", func() {
		out := GinkgoT().TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := uat.Start(ctx, uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0", OutDir: out, Timing: testTiming()})
		Expect(err).NotTo(HaveOccurred())
		c, err := client.New(client.Config{BaseURL: s.BaseURL(), APIs: []string{"collections"}, Credentials: s.Credentials(),
			Timing: s.Timing(), Fault: client.FaultCredsInQuery, HeldAnswerTimeout: 1500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Play(ctx)).To(Succeed())
		Expect(s.WaitCallbacks(ctx)).To(Succeed())
		run, err := s.Close(uat.EndStopped)
		c.Close()
		Expect(err).NotTo(HaveOccurred())
		Expect(reports.WriteAll(out, run)).To(Succeed())
		cr := s.Credentials()
		for _, name := range []string{uat.ExchangesFile, uat.HARFile, "results.json", "junit.xml", "report.html"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			Expect(err).NotTo(HaveOccurred())
			for _, secret := range []string{cr.ClientID, cr.APIKey, cr.ChecksumKey} {
				Expect(string(data)).NotTo(ContainSubstring(secret), name)
			}
			Expect(string(data)).NotTo(MatchRegexp(`Bearer [A-Za-z0-9_-]{43}`), name)
		}
		Expect(item(run, "client.collections.credentials-in-url").Status).To(Equal(results.Fail))
	})
})

var _ = Describe("ending a session", func() {
	It("with no traffic at all is a connection issue with the lines to reach the session", func() {
		s, err := uat.Start(context.Background(), uat.Config{APIs: []string{"payouts"}, Listen: "127.0.0.1:0",
			OutDir: GinkgoT().TempDir(), Timing: testTiming()})
		Expect(err).NotTo(HaveOccurred())
		run, err := s.Close(uat.EndDeadline)
		Expect(err).NotTo(HaveOccurred())
		it := item(run, "client.payouts.traffic")
		Expect(it.Category).To(Equal(results.Connection))
		Expect(it.Curl).To(ContainSubstring("telnet 127.0.0.1"))
		Expect(run.Verdict.Status).To(Equal(results.NotTestable))
		Expect(run.Verdict.Reason).To(ContainSubstring("deadline"))
	})

	It("by interruption marks the run interrupted and keeps every exchange", func() {
		out := GinkgoT().TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s, err := uat.Start(ctx, uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0", OutDir: out, Timing: testTiming()})
		Expect(err).NotTo(HaveOccurred())
		var seen int64
		c, err := client.New(client.Config{BaseURL: s.BaseURL(), APIs: []string{"collections"}, Credentials: s.Credentials(),
			Timing: s.Timing(), HeldAnswerTimeout: 1500 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		playCtx, stopPlay := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = c.Play(playCtx) }()
		// End mid-flow, as Ctrl-C would: the client is still playing.
		Eventually(func() int64 { return countLines(filepath.Join(out, uat.ExchangesFile)) }).Should(BeNumerically(">=", 10))
		run, err := s.Close(uat.EndInterrupted)
		stopPlay()
		<-done
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Interrupted).To(BeTrue())
		Expect(run.Verdict.Status).To(Equal(results.NotCertified))
		seen = countLines(filepath.Join(out, uat.ExchangesFile))
		har, err := os.ReadFile(filepath.Join(out, uat.HARFile))
		Expect(err).NotTo(HaveOccurred())
		Expect(int64(strings.Count(string(har), `"startedDateTime"`))).To(BeNumerically(">=", seen-int64(strings.Count(readFile(filepath.Join(out, uat.ExchangesFile)), `"direction":"callback"`))))
	})
})

var _ = Describe("bad input", func() {
	It("a port in use is a ListenError", func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer ln.Close()
		_, err = uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Listen: ln.Addr().String(), OutDir: GinkgoT().TempDir()})
		var le *uat.ListenError
		Expect(errors.As(err, &le)).To(BeTrue(), "%v", err)
	})
	It("a certificate that does not load is a CertificateError", func() {
		bad := filepath.Join(GinkgoT().TempDir(), "cert.pem")
		Expect(os.WriteFile(bad, []byte("not a certificate"), 0o600)).To(Succeed())
		_, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0",
			TLSCert: bad, TLSKey: bad, OutDir: GinkgoT().TempDir()})
		var ce *uat.CertificateError
		Expect(errors.As(err, &ce)).To(BeTrue(), "%v", err)
	})
	It("an unknown API is an UnknownAPIError", func() {
		_, err := uat.Start(context.Background(), uat.Config{APIs: []string{"refunds"}, OutDir: GinkgoT().TempDir()})
		var ue *uat.UnknownAPIError
		Expect(errors.As(err, &ue)).To(BeTrue())
	})
})

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func countLines(path string) int64 { return int64(strings.Count(readFile(path), "\n")) }
