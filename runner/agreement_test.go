package runner_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

// A run and golive doctor read a failed exchange with one diagnosis
// (doctor.Diagnose). Here the same misbehaving endpoints go through both, and
// both must name the same layer in the same words: doctor's summary for the
// layer that failed, and the run's message, which is that summary standing
// alone.

// agreeTimeout is the request timeout of the run and the layer timeout of
// doctor: the messages quote it, never a measured time.
const agreeTimeout = 300 * time.Millisecond

// endpoint is one misbehaving target and what both must say about it.
type endpoint struct {
	url     string // the base URL of the run, the URL doctor checks
	caFile  string
	layer   string // the layer doctor fails at
	summary string // doctor's summary of that layer
	message string // the run's message: summary, standing alone
}

// agreeRun runs the one-item hostile suite (GET /v1/things/abc) against the
// endpoint and returns its one exchange's error and the item.
func agreeRun(e endpoint) (string, results.Item) {
	GinkgoHelper()
	opts := []runner.Option{runner.WithTimeout(agreeTimeout), runner.WithConcurrency(1), runner.WithEnv(env(nil))}
	if e.caFile != "" {
		opts = append(opts, runner.WithCAFile(e.caFile))
	}
	r, err := runner.New(runner.Target{BaseURL: e.url}, []runner.Job{{API: hostileSpec(), Suite: hostileSuite(false)}}, opts...)
	Expect(err).NotTo(HaveOccurred())
	out := r.Run(context.Background())
	Expect(out.Items).To(HaveLen(1))
	it := out.Items[0]
	Expect(it.Exchanges).To(HaveLen(1), it.Message)
	return it.Exchanges[0].Error, it
}

// agreeDoctor probes the endpoint and returns the first layer that failed.
func agreeDoctor(e endpoint) doctor.Layer {
	GinkgoHelper()
	rep, err := doctor.Probe(context.Background(), e.url, doctor.Options{CAFile: e.caFile, Timeout: agreeTimeout})
	Expect(err).NotTo(HaveOccurred())
	Expect(rep.Reachable).To(BeFalse(), rep.Verdict)
	for _, l := range rep.Layers {
		if l.Status == doctor.Fail {
			return l
		}
	}
	Fail("no layer failed: " + rep.Verdict)
	return doctor.Layer{}
}

// tlsEndpoint serves TLS on loopback with cert, offering versions up to
// maxVersion (0: Go's default).
func tlsEndpoint(cert tls.Certificate, maxVersion uint16) string {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"id": "abc", "status": "DONE"})
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused are the point
	srv.StartTLS()
	DeferCleanup(srv.Close)
	return srv.URL
}

// answerThen serves, below HTTP, a status line and the first bytes of a body
// announcing more, then does what then says: close, or hold the connection.
func answerThen(then string) string {
	return hostileTCP(func(c net.Conn, done <-chan struct{}) {
		if _, err := readRequestHead(c); err != nil {
			return // doctor's TCP layer connects and hangs up without a request
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"+`{"id":"abc",`)
		if then == "hold" {
			<-done
		}
	})
}

func hostOf(rawURL string) string {
	return strings.TrimPrefix(strings.TrimPrefix(rawURL, "https://"), "http://")
}

// standalone builds an endpoint whose run message is the summary with lead.
func standalone(url, caFile, layer, lead, summary string) endpoint {
	return endpoint{url: url, caFile: caFile, layer: layer, summary: summary, message: lead + summary}
}

var _ = Describe("a run and golive doctor", func() {
	var ca *testCA
	BeforeEach(func() { ca = newTestCA("golive test CA") })

	DescribeTable("say the same about the same failing endpoint",
		func(setup func() endpoint) {
			e := setup()
			failed := agreeDoctor(e)
			runErr, it := agreeRun(e)

			Expect(failed.Name).To(Equal(e.layer), "doctor's layer: %s", failed.Summary)
			Expect(failed.Summary).To(Equal(e.summary))
			Expect(runErr).To(Equal(e.message))
			Expect(runErr).To(HaveSuffix(failed.Summary), "the run's message is doctor's summary, standing alone")
			Expect(it.Message).To(HaveSuffix(": " + runErr))
			Expect(it.Status).To(Equal(results.Error))
		},
		Entry("nothing listens", func() endpoint {
			addr := refusedAddr()
			return standalone("http://"+addr, "", doctor.LayerTCP, "", "TCP connect to "+addr+" refused")
		}),
		Entry("the connect is never answered", func() endpoint {
			addr := backloggedListener()
			return standalone("http://"+addr, "", doctor.LayerTCP, "", "TCP connect to "+addr+" timed out after 300ms")
		}),
		Entry("the host name does not resolve", func() endpoint {
			// A label over 63 characters under .invalid: resolvers reject it
			// before sending any query.
			host := "golive-test-" + strings.Repeat("x", 64) + ".invalid"
			return standalone("http://"+host, "", doctor.LayerDNS, "DNS: ", host+" does not resolve (no such host)")
		}),
		Entry("connected, but no answer", func() endpoint {
			return standalone("http://"+silentListener(), "", doctor.LayerHTTP, "no response within the request timeout: ",
				"connected, but no response headers within 300ms")
		}),
		Entry("closed without an answer", func() endpoint {
			url := hostileTCP(func(c net.Conn, _ <-chan struct{}) { _, _ = readRequestHead(c) })
			return standalone(url, "", doctor.LayerHTTP, "", "the target closed the connection without answering (EOF after the request was sent)")
		}),
		Entry("the body is cut", func() endpoint {
			return standalone(answerThen("close"), "", doctor.LayerHTTP, "",
				"connection closed after the status line (200): body cut at 12 bytes of 1000 announced")
		}),
		Entry("the body stalls", func() endpoint {
			return standalone(answerThen("hold"), "", doctor.LayerHTTP, "",
				"status 200 came, but the body was not complete within 300ms (12 bytes read)")
		}),
		Entry("plain HTTP on an https:// URL", func() endpoint {
			url := "https" + strings.TrimPrefix(newFakePartner().URL(), "http")
			return standalone(url, "", doctor.LayerTLS, "TLS: ",
				hostOf(url)+" answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS")
		}),
		Entry("only TLS 1.1", func() endpoint {
			url := tlsEndpoint(ca.valid(), tls.VersionTLS11)
			return standalone(url, ca.file(), doctor.LayerTLS, "TLS: ",
				"no protocol version in common with "+hostOf(url)+": it refused TLS 1.2 and 1.3 (it offers only an older version)")
		}),
		Entry("a private CA without --ca-file", func() endpoint {
			return standalone(tlsEndpoint(ca.valid(), 0), "", doctor.LayerTLS, "TLS: ",
				`the certificate of 127.0.0.1 is signed by an unknown authority (issuer "CN=golive test CA"): `+
					"a private CA needs --ca-file, a public one a complete chain")
		}),
		Entry("a self-signed certificate", func() endpoint {
			cert, err := testnet.SelfSigned(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "127.0.0.1")
			Expect(err).NotTo(HaveOccurred())
			return standalone(tlsEndpoint(cert, 0), "", doctor.LayerTLS, "TLS: ",
				`the certificate of 127.0.0.1 is signed by an unknown authority (issuer "CN=127.0.0.1"): `+
					"a private CA needs --ca-file, a public one a complete chain")
		}),
		Entry("an expired certificate", func() endpoint {
			expired := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Minute)
			url := tlsEndpoint(ca.issue(expired.Add(-24*time.Hour), expired, "127.0.0.1"), 0)
			return standalone(url, ca.file(), doctor.LayerTLS, "TLS: ",
				"the certificate of 127.0.0.1 expired on "+expired.Format("2006-01-02 15:04 UTC"))
		}),
		Entry("a certificate not yet valid", func() endpoint {
			from := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Minute)
			url := tlsEndpoint(ca.issue(from, from.Add(24*time.Hour), "127.0.0.1"), 0)
			return standalone(url, ca.file(), doctor.LayerTLS, "TLS: ",
				"the certificate of 127.0.0.1 is not valid before "+from.Format("2006-01-02 15:04 UTC")+" (check the server's clock)")
		}),
		Entry("a certificate for other names", func() endpoint {
			now := time.Now()
			url := tlsEndpoint(ca.issue(now.Add(-time.Hour), now.Add(time.Hour), "partner.example", "127.0.0.2"), 0)
			return standalone(url, ca.file(), doctor.LayerTLS, "TLS: ", "the certificate is valid for partner.example, 127.0.0.2, not 127.0.0.1")
		}),
	)

	DescribeTable("refuse the same unusable --ca-file in the same words",
		func(content string) {
			path := filepath.Join(GinkgoT().TempDir(), "ca.pem")
			Expect(os.WriteFile(path, []byte(content), 0o600)).To(Succeed())
			_, runErr := runner.New(runner.Target{BaseURL: "http://127.0.0.1:9"},
				[]runner.Job{{API: hostileSpec(), Suite: hostileSuite(false)}}, runner.WithEnv(env(nil)), runner.WithCAFile(path))
			_, doctorErr := doctor.Probe(context.Background(), "http://127.0.0.1:9", doctor.Options{CAFile: path})
			Expect(runErr).To(HaveOccurred())
			Expect(doctorErr).To(HaveOccurred())
			Expect(runErr.Error()).To(Equal(doctorErr.Error()))
			// A typed error naming the file, not a flag: the front end names its flag.
			var ca *doctor.CAFileError
			Expect(errors.As(runErr, &ca)).To(BeTrue())
			Expect(runErr.Error()).To(HavePrefix(fmt.Sprintf("%s: ", path)))
		},
		Entry("no PEM certificate", "not a certificate\n"),
		Entry("a broken certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
	)
})
