package doctor_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/doctor"
)

// The diagnosis read from plain records, one per rule, without a network:
// what golive run and golive doctor both say about an attempt that failed.

const target = "https://partner.example:8443/v1/token"

// addr is where the records' TCP went.
const addr = "203.0.113.7:8443"

func wire(rawURL string, phases doctor.Phases, err error) doctor.Wire {
	u, perr := url.Parse(rawURL)
	Expect(perr).NotTo(HaveOccurred())
	return doctor.Wire{URL: u, Phases: phases, Err: err, Waited: 300 * time.Millisecond}
}

// The phases an attempt can have reached.
var (
	lookingUp  = doctor.Phases{DNSStarted: true}
	dialling   = doctor.Phases{DNSStarted: true, DNSDone: true, ConnectStarted: true, Addr: addr}
	handshake  = doctor.Phases{DNSStarted: true, DNSDone: true, ConnectStarted: true, Connected: true, Addr: addr}
	connected  = doctor.Phases{DNSStarted: true, DNSDone: true, ConnectStarted: true, Connected: true, TLSDone: true, Addr: addr}
	sent       = doctor.Phases{DNSStarted: true, DNSDone: true, ConnectStarted: true, Connected: true, TLSDone: true, Wrote: true, Addr: addr}
	plainReady = doctor.Phases{ConnectStarted: true, Connected: true, Addr: addr} // http://: no TLS to wait for
)

// asNetHTTP wraps err as net/http's client does.
func asNetHTTP(err error) error { return &url.Error{Op: "Post", URL: target, Err: err} }

func dialErr(err error) error {
	tcpAddr, _ := net.ResolveTCPAddr("tcp", addr)
	return asNetHTTP(&net.OpError{Op: "dial", Net: "tcp", Addr: tcpAddr, Err: &os.SyscallError{Syscall: "connect", Err: err}})
}

func certificate(subject string, isCA bool, notBefore, notAfter time.Time, dnsNames ...string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: subject}, Issuer: pkix.Name{CommonName: "Example CA"},
		IsCA: isCA, NotBefore: notBefore, NotAfter: notAfter, DNSNames: dnsNames}
}

// verification wraps a certificate error as Go's TLS client does.
func verification(err error) error {
	return asNetHTTP(&tls.CertificateVerificationError{Err: err})
}

var (
	now     = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	expired = certificate("partner.example", false, now.AddDate(-1, 0, 0), now.AddDate(0, 0, -2), "partner.example")
	early   = certificate("partner.example", false, now.AddDate(0, 0, 1), now.AddDate(1, 0, 0), "partner.example")
	interCA = certificate("Example Issuing CA", true, now.AddDate(-5, 0, 0), now.AddDate(0, 0, -1))
	other   = certificate("other.example", false, now.AddDate(0, 0, -1), now.AddDate(0, 0, 1), "other.example", "www.other.example")
	noSAN   = certificate("partner.example", false, now.AddDate(0, 0, -1), now.AddDate(0, 0, 1))
)

// timeoutErr is a net.Error that timed out, as a dialer's is.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func withBody(w doctor.Wire, status, bytes int, contentLength string) doctor.Wire {
	w.Status, w.BodyBytes, w.ContentLength = status, bytes, contentLength
	return w
}

func at(w doctor.Wire, t time.Time) doctor.Wire {
	w.Now = t
	return w
}

var _ = Describe("the network diagnosis", func() {
	DescribeTable("says which layer broke and how, the same for a run (Message) and doctor (Summary)",
		func(w doctor.Wire, layer string, category doctor.Category, summary, message string) {
			f := doctor.Diagnose(w)
			Expect(f.Layer).To(Equal(layer))
			Expect(f.Category).To(Equal(category))
			Expect(f.Summary).To(Equal(summary))
			Expect(f.Message()).To(Equal(message))
			Expect(f.Message()).To(HaveSuffix(f.Summary), "a run's message is doctor's summary, standing alone")
			Expect(f.Why).NotTo(BeEmpty())
			Expect(f.Fix).NotTo(BeEmpty())
			Expect(f.Interrupted).To(BeFalse())
		},
		// DNS
		Entry("a name that does not exist", wire(target, lookingUp, asNetHTTP(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "partner.example", IsNotFound: true}})),
			doctor.LayerDNS, doctor.Connection, "partner.example does not resolve (no such host)", "DNS: partner.example does not resolve (no such host)"),
		Entry("a name server that says so", wire(target, lookingUp, &net.DNSError{Err: "no such host", Name: "partner.example", IsNotFound: true, Server: "10.0.0.53:53"}),
			doctor.LayerDNS, doctor.Connection, "partner.example does not resolve (no such host) (name server 10.0.0.53:53)",
			"DNS: partner.example does not resolve (no such host) (name server 10.0.0.53:53)"),
		Entry("a name server that does not answer", wire(target, lookingUp, &net.DNSError{Err: "i/o timeout", Name: "partner.example", IsTimeout: true}),
			doctor.LayerDNS, doctor.Connection, "DNS lookup of partner.example timed out", "DNS lookup of partner.example timed out"),
		Entry("a name server that fails", wire(target, lookingUp, &net.DNSError{Err: "server misbehaving", Name: "partner.example"}),
			doctor.LayerDNS, doctor.Connection, "DNS lookup of partner.example failed: server misbehaving", "DNS lookup of partner.example failed: server misbehaving"),
		Entry("a deadline during the lookup", wire(target, lookingUp, context.DeadlineExceeded),
			doctor.LayerDNS, doctor.Connection, "DNS lookup of partner.example did not finish within 300ms", "DNS lookup of partner.example did not finish within 300ms"),
		Entry("another error during the lookup", wire(target, lookingUp, errors.New("resolver exploded")),
			doctor.LayerDNS, doctor.Connection, "DNS lookup of partner.example failed: resolver exploded", "DNS lookup of partner.example failed: resolver exploded"),

		// TCP
		Entry("a refused connect", wire(target, dialling, dialErr(syscall.ECONNREFUSED)),
			doctor.LayerTCP, doctor.Connection, "TCP connect to "+addr+" refused", "TCP connect to "+addr+" refused"),
		Entry("no route to the host", wire(target, dialling, dialErr(syscall.EHOSTUNREACH)),
			doctor.LayerTCP, doctor.Connection, "TCP connect to "+addr+" failed: no route to the host", "TCP connect to "+addr+" failed: no route to the host"),
		Entry("no route to the network", wire(target, dialling, dialErr(syscall.ENETUNREACH)),
			doctor.LayerTCP, doctor.Connection, "TCP connect to "+addr+" failed: no route to the host", "TCP connect to "+addr+" failed: no route to the host"),
		Entry("a connect that times out", wire(target, dialling, context.DeadlineExceeded),
			doctor.LayerTCP, doctor.Connection, "TCP connect to "+addr+" timed out after 300ms", "TCP connect to "+addr+" timed out after 300ms"),
		Entry("a dialer's own timeout", wire(target, doctor.Phases{}, &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}),
			doctor.LayerTCP, doctor.Connection, "TCP connect to partner.example:8443 timed out after 300ms", "TCP connect to partner.example:8443 timed out after 300ms"),
		Entry("a deadline before any connect", wire(target, doctor.Phases{DNSStarted: true, DNSDone: true}, context.DeadlineExceeded),
			doctor.LayerTCP, doctor.Connection, "no connection to partner.example:8443 within 300ms", "no connection to partner.example:8443 within 300ms"),
		Entry("another dial error", wire(target, dialling, dialErr(syscall.EACCES)),
			doctor.LayerTCP, doctor.Connection, "TCP connect to "+addr+" failed: dial tcp "+addr+": connect: permission denied",
			"TCP connect to "+addr+" failed: dial tcp "+addr+": connect: permission denied"),

		// TLS: the handshake
		Entry("a handshake that stalls", wire(target, handshake, context.DeadlineExceeded),
			doctor.LayerTLS, doctor.Connection, "TLS handshake with "+addr+" did not finish within 300ms", "TLS handshake with "+addr+" did not finish within 300ms"),
		Entry("a close during the handshake", wire(target, handshake, asNetHTTP(io.EOF)),
			doctor.LayerTLS, doctor.Connection, addr+" closed the connection during the TLS handshake", addr+" closed the connection during the TLS handshake"),
		Entry("a reset during the handshake", wire(target, handshake, asNetHTTP(&net.OpError{Op: "read", Err: syscall.ECONNRESET})),
			doctor.LayerTLS, doctor.Connection, addr+" closed the connection during the TLS handshake", addr+" closed the connection during the TLS handshake"),
		Entry("only old TLS versions", wire(target, handshake, asNetHTTP(errors.New("remote error: tls: protocol version not supported"))),
			doctor.LayerTLS, doctor.Connection, "no protocol version in common with "+addr+": it refused TLS 1.2 and 1.3 (it offers only an older version)",
			"TLS: no protocol version in common with "+addr+": it refused TLS 1.2 and 1.3 (it offers only an older version)"),
		Entry("an old version chosen", wire(target, handshake, asNetHTTP(errors.New("tls: server selected unsupported protocol version 301"))),
			doctor.LayerTLS, doctor.Connection, addr+" chose TLS 1.0, which golive refuses: TLS 1.2 or later is required",
			"TLS: "+addr+" chose TLS 1.0, which golive refuses: TLS 1.2 or later is required"),
		Entry("plain HTTP on an https:// URL, as net/http says it", wire(target, handshake, asNetHTTP(http.ErrSchemeMismatch)),
			doctor.LayerTLS, doctor.Connection, addr+" answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS",
			"TLS: "+addr+" answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS"),
		Entry("plain HTTP on an https:// URL, as a TLS client sees it", wire(target, handshake, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake", RecordHeader: [5]byte{'H', 'T', 'T', 'P', '/'}}),
			doctor.LayerTLS, doctor.Connection, addr+" answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS",
			"TLS: "+addr+" answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS"),
		Entry("something else than TLS", wire(target, handshake, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake", RecordHeader: [5]byte{'S', 'S', 'H', '-', '2'}}),
			doctor.LayerTLS, doctor.Connection, addr+" did not answer with TLS (its first bytes are not a TLS record): wrong port or scheme?",
			"TLS: "+addr+" did not answer with TLS (its first bytes are not a TLS record): wrong port or scheme?"),
		Entry("mutual TLS", wire(target, handshake, asNetHTTP(errors.New("remote error: tls: certificate required"))),
			doctor.LayerTLS, doctor.Connection, addr+" requires a client certificate (mutual TLS), which golive does not send",
			"TLS: "+addr+" requires a client certificate (mutual TLS), which golive does not send"),
		Entry("another alert", wire(target, handshake, asNetHTTP(errors.New("remote error: tls: handshake failure"))),
			doctor.LayerTLS, doctor.Connection, "TLS handshake with "+addr+` failed: it sent the alert "handshake failure"`,
			"TLS handshake with "+addr+` failed: it sent the alert "handshake failure"`),
		Entry("another handshake error", wire(target, handshake, asNetHTTP(errors.New("tls: no cipher suite supported by both client and server"))),
			doctor.LayerTLS, doctor.Connection, "TLS handshake with "+addr+" failed: no cipher suite supported by both client and server",
			"TLS handshake with "+addr+" failed: no cipher suite supported by both client and server"),
		Entry("an error no rule knows, during the handshake", wire(target, handshake, errors.New("boom")),
			doctor.LayerTLS, doctor.Connection, "TLS handshake with "+addr+" failed: boom", "TLS handshake with "+addr+" failed: boom"),

		// TLS: the certificate
		Entry("an expired certificate", at(wire(target, handshake, verification(x509.CertificateInvalidError{Cert: expired, Reason: x509.Expired})), now),
			doctor.LayerTLS, doctor.Connection, "the certificate of partner.example expired on 2026-11-21 10:00 UTC",
			"TLS: the certificate of partner.example expired on 2026-11-21 10:00 UTC"),
		Entry("a certificate not yet valid", at(wire(target, handshake, verification(x509.CertificateInvalidError{Cert: early, Reason: x509.Expired})), now),
			doctor.LayerTLS, doctor.Connection, "the certificate of partner.example is not valid before 2026-11-24 10:00 UTC (check the server's clock)",
			"TLS: the certificate of partner.example is not valid before 2026-11-24 10:00 UTC (check the server's clock)"),
		Entry("an expired intermediate", at(wire(target, handshake, verification(x509.CertificateInvalidError{Cert: interCA, Reason: x509.Expired})), now),
			doctor.LayerTLS, doctor.Connection, `an intermediate certificate ("CN=Example Issuing CA") in the chain of partner.example expired on 2026-11-22 10:00 UTC`,
			`TLS: an intermediate certificate ("CN=Example Issuing CA") in the chain of partner.example expired on 2026-11-22 10:00 UTC`),
		Entry("a certificate for other names", wire(target, handshake, verification(x509.HostnameError{Certificate: other, Host: "partner.example"})),
			doctor.LayerTLS, doctor.Connection, "the certificate is valid for other.example, www.other.example, not partner.example",
			"TLS: the certificate is valid for other.example, www.other.example, not partner.example"),
		Entry("a certificate without names", wire(target, handshake, verification(x509.HostnameError{Certificate: noSAN, Host: "partner.example"})),
			doctor.LayerTLS, doctor.Connection, `the certificate is valid for no host name (it has no subject alternative names; subject "CN=partner.example"), not partner.example`,
			`TLS: the certificate is valid for no host name (it has no subject alternative names; subject "CN=partner.example"), not partner.example`),
		Entry("an unknown authority", wire(target, handshake, verification(x509.UnknownAuthorityError{Cert: expired})),
			doctor.LayerTLS, doctor.Connection, `the certificate of partner.example is signed by an unknown authority (issuer "CN=Example CA"): a private CA needs --ca-file, a public one a complete chain`,
			`TLS: the certificate of partner.example is signed by an unknown authority (issuer "CN=Example CA"): a private CA needs --ca-file, a public one a complete chain`),
		Entry("another certificate problem", wire(target, handshake, verification(x509.CertificateInvalidError{Cert: expired, Reason: x509.NotAuthorizedToSign})),
			doctor.LayerTLS, doctor.Connection, "the certificate was not accepted: certificate is not authorized to sign other certificates",
			"TLS: the certificate was not accepted: certificate is not authorized to sign other certificates"),
		Entry("no trusted roots at all", wire(target, handshake, verification(x509.SystemRootsError{})),
			doctor.LayerTLS, doctor.Connection, "this machine has no trusted root certificates: install the CA bundle or pass --ca-file",
			"TLS: this machine has no trusted root certificates: install the CA bundle or pass --ca-file"),

		// HTTP
		Entry("no response headers in time", wire(target, sent, asNetHTTP(context.DeadlineExceeded)),
			doctor.LayerHTTP, doctor.System, "connected, but no response headers within 300ms",
			"no response within the request timeout: connected, but no response headers within 300ms"),
		Entry("a request that cannot be sent", wire(target, connected, context.DeadlineExceeded),
			doctor.LayerHTTP, doctor.System, "connected to "+addr+", but the request could not be sent within 300ms",
			"connected to "+addr+", but the request could not be sent within 300ms"),
		Entry("a reset after the request", wire(target, sent, asNetHTTP(&net.OpError{Op: "read", Err: syscall.ECONNRESET})),
			doctor.LayerHTTP, doctor.Connection, "connection reset by the target after the request was sent, before any response",
			"connection reset by the target after the request was sent, before any response"),
		Entry("a reset while sending", wire(target, connected, asNetHTTP(&net.OpError{Op: "write", Err: syscall.EPIPE})),
			doctor.LayerHTTP, doctor.Connection, "connection reset by the target while the request was being sent",
			"connection reset by the target while the request was being sent"),
		Entry("a close without an answer", wire("http://partner.example:8080/", doctor.Phases{ConnectStarted: true, Connected: true, Wrote: true, Addr: addr}, asNetHTTP(io.EOF)),
			doctor.LayerHTTP, doctor.Connection, "the target closed the connection without answering (EOF after the request was sent)",
			"the target closed the connection without answering (EOF after the request was sent)"),
		Entry("a close on a plain connection before TLS would matter", wire("http://partner.example:8080/", plainReady, asNetHTTP(io.ErrUnexpectedEOF)),
			doctor.LayerHTTP, doctor.Connection, "the target closed the connection without answering (EOF after the request was sent)",
			"the target closed the connection without answering (EOF after the request was sent)"),
		Entry("an error no rule knows, after connecting", wire(target, sent, asNetHTTP(errors.New("malformed HTTP response \"\\x00\""))),
			doctor.LayerHTTP, doctor.Connection, `the HTTP exchange broke: malformed HTTP response "\x00"`, `the HTTP exchange broke: malformed HTTP response "\x00"`),

		// HTTP: the body
		Entry("a body reset after the status line", withBody(wire(target, sent, &net.OpError{Op: "read", Err: syscall.ECONNRESET}), 200, 500, "1000"),
			doctor.LayerHTTP, doctor.Connection, "connection reset after the status line (200): body cut at 500 bytes of 1000 announced",
			"connection reset after the status line (200): body cut at 500 bytes of 1000 announced"),
		Entry("a body closed early", withBody(wire(target, sent, io.ErrUnexpectedEOF), 200, 12, ""),
			doctor.LayerHTTP, doctor.Connection, "connection closed after the status line (200): body cut at 12 bytes",
			"connection closed after the status line (200): body cut at 12 bytes"),
		Entry("a body that stalls", withBody(wire(target, sent, context.DeadlineExceeded), 200, 12, ""),
			doctor.LayerHTTP, doctor.System, "status 200 came, but the body was not complete within 300ms (12 bytes read)",
			"status 200 came, but the body was not complete within 300ms (12 bytes read)"),
		Entry("a body broken otherwise", withBody(wire(target, sent, errors.New("invalid byte in chunk length")), 200, 0, ""),
			doctor.LayerHTTP, doctor.Connection, "the body broke after the status line (200): body cut at 0 bytes: invalid byte in chunk length",
			"the body broke after the status line (200): body cut at 0 bytes: invalid byte in chunk length"),
	)

	It("says an interrupted attempt is not finished, and blames no one", func() {
		f := doctor.Diagnose(wire(target, sent, asNetHTTP(context.Canceled)))
		Expect(f.Interrupted).To(BeTrue())
		Expect(f.Category).To(BeEmpty())
		Expect(f.Message()).To(Equal("not finished: the run was interrupted"))
	})

	It("waits measured less than a millisecond are shown to the microsecond", func() {
		w := wire(target, sent, context.DeadlineExceeded)
		w.Waited = 420 * time.Microsecond
		Expect(doctor.Diagnose(w).Summary).To(Equal("connected, but no response headers within 420µs"))
	})

	DescribeTable("says what to check",
		func(w doctor.Wire, fix string) {
			Expect(doctor.Diagnose(w).Fix).To(ContainSubstring(fix))
		},
		Entry("for DNS", wire(target, lookingUp, &net.DNSError{Name: "partner.example", IsNotFound: true}), "typos"),
		Entry("for TCP", wire(target, dialling, dialErr(syscall.ECONNREFUSED)), "firewalls and allow-lists"),
		Entry("for the handshake, on the URL's port", wire(target, handshake, context.DeadlineExceeded), "for partner.example on port 8443"),
		Entry("for an unknown authority", wire(target, handshake, verification(x509.UnknownAuthorityError{Cert: expired})), "--ca-file (to golive run too)"),
		Entry("for an expired certificate", wire(target, handshake, verification(x509.CertificateInvalidError{Cert: expired, Reason: x509.Expired})), "renew"),
		Entry("for a certificate for other names", wire(target, handshake, verification(x509.HostnameError{Certificate: other, Host: "partner.example"})), "names this host"),
		Entry("for HTTP, at the address", wire(target, sent, context.DeadlineExceeded), "operations team to check the service behind "+addr),
	)
})

var _ = Describe("a --ca-file", func() {
	DescribeTable("that cannot be used is an input error",
		func(content *string, message string) {
			path := "/nonexistent/ca.pem"
			if content != nil {
				path = GinkgoT().TempDir() + "/ca.pem"
				Expect(os.WriteFile(path, []byte(*content), 0o600)).To(Succeed())
			}
			_, err := doctor.LoadRoots(path)
			Expect(err).To(MatchError(ContainSubstring(fmt.Sprintf(message, path))))
		},
		Entry("missing", nil, "open %s"),
		Entry("without a PEM certificate", ptr("not a certificate\n"), "%s: no PEM certificate found (want -----BEGIN CERTIFICATE-----)"),
		Entry("with a broken certificate", ptr("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "%s: certificate 1: "),
	)

	It("is the system's roots when none is given", func() {
		roots, err := doctor.LoadRoots("")
		Expect(err).NotTo(HaveOccurred())
		Expect(roots).To(BeNil())
	})
})

func ptr(s string) *string { return &s }
