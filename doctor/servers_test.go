package doctor_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/golive-cert/golive/internal/testnet"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Loopback servers and a test CA for the doctor's tests: nothing here
// contacts an address other than 127.0.0.1.

// partnerHost is a made-up name the tests resolve to 127.0.0.1 (lookup).
const partnerHost = "partner.test"

// lookup resolves partnerHost to 127.0.0.1 and fails every other name,
// without asking any DNS server.
func lookup(_ context.Context, host string) ([]net.IPAddr, error) {
	if host == partnerHost {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server", "fake-partner/1.0")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
}

func plainServer(h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	DeferCleanup(srv.Close)
	return srv
}

func tlsServer(cert tls.Certificate) *httptest.Server {
	srv := httptest.NewUnstartedServer(okHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // rejected handshakes are the point
	srv.StartTLS()
	DeferCleanup(srv.Close)
	return srv
}

func refusedAddr() string {
	addr, err := testnet.RefusedAddr()
	Expect(err).NotTo(HaveOccurred())
	return addr
}

// silentListener accepts connections and never answers.
func silentListener() string {
	addr, closeFn, err := testnet.SilentListener()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(closeFn)
	return addr
}

// testCA wraps the shared in-memory CA (internal/testnet) for Gomega.
type testCA struct{ *testnet.CA }

func newTestCA() *testCA {
	ca, err := testnet.NewCA("doctor test CA")
	Expect(err).NotTo(HaveOccurred())
	return &testCA{ca}
}

// issue makes a server certificate for names (host names or IPs).
func (ca *testCA) issue(notBefore, notAfter time.Time, names ...string) tls.Certificate {
	cert, err := ca.Issue(notBefore, notAfter, names...)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

func (ca *testCA) file() string {
	path := filepath.Join(GinkgoT().TempDir(), "ca.pem")
	Expect(os.WriteFile(path, ca.PEM(), 0o600)).To(Succeed())
	return path
}
