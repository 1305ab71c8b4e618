package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/doctor"
)

// probe runs the doctor with the loopback resolver and a short timeout.
func probe(url string, opts doctor.Options) *doctor.Report {
	GinkgoHelper()
	opts.Lookup = lookup
	if opts.Timeout == 0 {
		opts.Timeout = 300 * time.Millisecond
	}
	rep, err := doctor.Probe(context.Background(), url, opts)
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Layers).To(HaveLen(4))
	return rep
}

func layer(rep *doctor.Report, name string) doctor.Layer {
	GinkgoHelper()
	for _, l := range rep.Layers {
		if l.Name == name {
			return l
		}
	}
	Fail("no layer " + name)
	return doctor.Layer{}
}

func commandLines(rep *doctor.Report) []string {
	var lines []string
	for _, c := range rep.Commands {
		lines = append(lines, c.Line)
	}
	return lines
}

func portOf(srv *httptest.Server) string {
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	Expect(err).NotTo(HaveOccurred())
	return port
}

var _ = Describe("golive doctor", func() {
	It("passes every layer of a plain HTTP target and says how to check it", func() {
		srv := plainServer(okHandler())
		rep := probe(srv.URL+"/v1/health", doctor.Options{})
		Expect(rep.Reachable).To(BeTrue())
		Expect(rep.Verdict).To(HavePrefix("reachable: the target answered over HTTP (200 OK)"))

		dns := layer(rep, "dns")
		Expect(dns.Status).To(Equal(doctor.Skipped))
		Expect(dns.Summary).To(ContainSubstring("127.0.0.1 is an IP address"))
		tcp := layer(rep, "tcp")
		Expect(tcp.Status).To(Equal(doctor.OK))
		Expect(tcp.TCP.Address).To(Equal(srv.Listener.Addr().String()))
		Expect(tcp.Summary).To(HavePrefix("connected to " + srv.Listener.Addr().String() + " in "))
		Expect(layer(rep, "tls").Status).To(Equal(doctor.Skipped))
		h := layer(rep, "http")
		Expect(h.Status).To(Equal(doctor.OK))
		Expect(h.HTTP.Status).To(Equal(200))
		Expect(h.HTTP.Server).To(Equal("fake-partner/1.0"))
		Expect(h.Summary).To(ContainSubstring("GET /v1/health answered 200 OK in "))

		host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		Expect(commandLines(rep)).To(Equal([]string{
			"nc -vz " + host + " " + port,
			"telnet " + host + " " + port,
			"curl -v " + srv.URL + "/v1/health",
		}))
	})

	It("reports the handshake and the certificate of a TLS target signed by a private CA given with CAFile", func() {
		ca := newTestCA()
		notAfter := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
		srv := tlsServer(ca.issue(time.Now().Add(-time.Hour), notAfter, partnerHost))
		caFile := ca.file()
		url := "https://" + partnerHost + ":" + portOf(srv) + "/"
		rep := probe(url, doctor.Options{CAFile: caFile})
		Expect(rep.Reachable).To(BeTrue())

		dns := layer(rep, "dns")
		Expect(dns.Status).To(Equal(doctor.OK))
		Expect(dns.DNS.Addresses).To(Equal([]string{"127.0.0.1"}))
		Expect(dns.Summary).To(Equal("partner.test resolves to 127.0.0.1"))

		t := layer(rep, "tls")
		Expect(t.Status).To(Equal(doctor.OK))
		Expect(t.TLS.Version).To(Equal("TLS 1.3"))
		Expect(t.TLS.CipherSuite).NotTo(BeEmpty())
		Expect(t.TLS.ServerName).To(Equal(partnerHost))
		Expect(t.TLS.Subject).To(Equal("CN=partner.test"))
		Expect(t.TLS.Issuer).To(Equal("CN=doctor test CA"))
		Expect(t.TLS.SANs).To(Equal([]string{partnerHost}))
		Expect(t.TLS.NotAfter).To(BeTemporally("==", notAfter))
		Expect(t.TLS.DaysLeft).To(BeNumerically(">=", 2))
		Expect(t.TLS.ChainValid).To(BeTrue())
		Expect(t.Summary).To(ContainSubstring("certificate for partner.test"))
		Expect(t.Summary).To(ContainSubstring("chain trusted"))

		Expect(layer(rep, "http").HTTP.Status).To(Equal(200))
		Expect(commandLines(rep)).To(ContainElements(
			"nslookup partner.test",
			"openssl s_client -connect partner.test:"+portOf(srv)+" -servername partner.test -CAfile "+caFile,
			"curl -v --cacert "+caFile+" "+url,
		))
	})

	It("fails the TLS layer of a private CA without CAFile, still describing the certificate", func() {
		ca := newTestCA()
		srv := tlsServer(ca.issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), partnerHost))
		rep := probe("https://"+partnerHost+":"+portOf(srv), doctor.Options{})
		Expect(rep.Reachable).To(BeFalse())
		t := layer(rep, "tls")
		Expect(t.Status).To(Equal(doctor.Fail))
		Expect(t.Summary).To(Equal(`the certificate of partner.test is signed by an unknown authority (issuer "CN=doctor test CA"): ` +
			`a private CA needs --ca-file, a public one a complete chain`))
		Expect(t.Fix).To(ContainSubstring("--ca-file"))
		Expect(t.TLS.Subject).To(Equal("CN=partner.test"))
		Expect(t.TLS.ChainValid).To(BeFalse())
		h := layer(rep, "http")
		Expect(h.Status).To(Equal(doctor.Skipped))
		Expect(h.Summary).To(ContainSubstring("the TLS layer failed"))
		Expect(rep.Verdict).To(HavePrefix("not reachable: TLS failed: the certificate of partner.test is signed by an unknown authority"))
	})

	It("says when the certificate expired", func() {
		ca := newTestCA()
		expired := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Minute)
		srv := tlsServer(ca.issue(expired.Add(-24*time.Hour), expired, partnerHost))
		rep := probe("https://"+partnerHost+":"+portOf(srv), doctor.Options{CAFile: ca.file()})
		Expect(rep.Reachable).To(BeFalse())
		t := layer(rep, "tls")
		Expect(t.Status).To(Equal(doctor.Fail))
		Expect(t.Summary).To(Equal("the certificate of partner.test expired on " + expired.Format("2006-01-02 15:04 UTC")))
		Expect(t.TLS.DaysLeft).To(BeNumerically("<", 0))
		Expect(t.Fix).To(ContainSubstring("renew"))
	})

	It("says which names the certificate is valid for", func() {
		ca := newTestCA()
		srv := tlsServer(ca.issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "other.example"))
		rep := probe("https://"+partnerHost+":"+portOf(srv), doctor.Options{CAFile: ca.file()})
		t := layer(rep, "tls")
		Expect(t.Status).To(Equal(doctor.Fail))
		Expect(t.Summary).To(Equal("the certificate is valid for other.example, not partner.test"))
	})

	It("says the TCP connect was refused and skips the layers above", func() {
		addr := refusedAddr()
		rep := probe("https://"+addr+"/", doctor.Options{})
		Expect(rep.Reachable).To(BeFalse())
		tcp := layer(rep, "tcp")
		Expect(tcp.Status).To(Equal(doctor.Fail))
		Expect(tcp.Summary).To(Equal("TCP connect to " + addr + " refused"))
		Expect(tcp.Fix).To(ContainSubstring("firewall"))
		Expect(layer(rep, "tls").Status).To(Equal(doctor.Skipped))
		Expect(layer(rep, "http").Status).To(Equal(doctor.Skipped))
		host, port, _ := net.SplitHostPort(addr)
		Expect(commandLines(rep)).To(ContainElements("nc -vz "+host+" "+port, "telnet "+host+" "+port,
			"openssl s_client -connect "+addr))
	})

	It("says the name does not resolve", func() {
		rep := probe("https://unknown.test/", doctor.Options{})
		Expect(rep.Reachable).To(BeFalse())
		Expect(layer(rep, "dns").Status).To(Equal(doctor.Fail))
		Expect(layer(rep, "dns").Summary).To(Equal("unknown.test does not resolve (no such host)"))
		Expect(layer(rep, "tcp").Status).To(Equal(doctor.Skipped))
		Expect(rep.Verdict).To(Equal("not reachable: DNS failed: unknown.test does not resolve (no such host)"))
	})

	It("says a target that accepts connections but never answers sends no response headers", func() {
		rep := probe("http://"+silentListener()+"/", doctor.Options{})
		Expect(rep.Reachable).To(BeFalse())
		Expect(layer(rep, "tcp").Status).To(Equal(doctor.OK))
		h := layer(rep, "http")
		Expect(h.Status).To(Equal(doctor.Fail))
		Expect(h.Summary).To(Equal("connected, but no response headers within 300ms"))
	})

	It("calls a target answering 503 reachable, but not serving", func() {
		srv := plainServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		rep := probe(srv.URL, doctor.Options{})
		Expect(rep.Reachable).To(BeTrue())
		Expect(rep.Verdict).To(Equal("reachable: the target answered 503 Service Unavailable, so it is not serving now (a system issue for golive run)"))
	})

	It("writes text for people and JSON for tools", func() {
		srv := plainServer(okHandler())
		rep := probe(srv.URL, doctor.Options{})

		var text bytes.Buffer
		Expect(doctor.WriteText(&text, rep)).To(Succeed())
		Expect(text.String()).To(ContainSubstring("golive doctor " + srv.URL))
		Expect(text.String()).To(MatchRegexp(`(?m)^  TCP   ok       connected to `))
		Expect(text.String()).To(MatchRegexp(`(?m)^  TLS   skipped  http:// URL: no TLS`))
		Expect(text.String()).To(ContainSubstring("Verdict: REACHABLE — the target answered over HTTP (200 OK)"))
		Expect(text.String()).To(ContainSubstring("Check it yourself:\n  nc -vz "))

		var js bytes.Buffer
		Expect(doctor.WriteJSON(&js, rep)).To(Succeed())
		var doc map[string]any
		Expect(json.Unmarshal(js.Bytes(), &doc)).To(Succeed())
		Expect(doc).To(HaveKeyWithValue("schema", "golive.doctor/v1"))
		Expect(doc).To(HaveKeyWithValue("reachable", true))
		Expect(doc["layers"]).To(HaveLen(4))
		Expect(doc["commands"]).NotTo(BeEmpty())
	})

	It("rejects what is not an http(s) URL, and an unusable CA file, as input errors", func() {
		for _, bad := range []string{"", "partner.example", "ftp://partner.example", "https://", "http://user:pw@127.0.0.1/"} {
			_, err := doctor.Probe(context.Background(), bad, doctor.Options{Lookup: lookup})
			Expect(err).To(HaveOccurred(), bad)
			Expect(err.Error()).NotTo(ContainSubstring("pw@"))
		}
		_, err := doctor.Probe(context.Background(), "http://127.0.0.1:9/", doctor.Options{CAFile: "/nonexistent/ca.pem"})
		var ca *doctor.CAFileError
		Expect(errors.As(err, &ca)).To(BeTrue(), "a typed error the front end names its own way")
	})
})
