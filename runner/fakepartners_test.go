package runner_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/golive-cert/golive/internal/testnet"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// Misbehaving partners for the diagnosis tests. Every one of them listens
// on 127.0.0.1 and nothing here contacts any other address.

// refusedAddr is a loopback address where nothing listens.
func refusedAddr() string {
	addr, err := testnet.RefusedAddr()
	Expect(err).NotTo(HaveOccurred())
	return addr
}

// silentListener accepts TCP connections and holds them without reading or
// answering: a target that is reachable but never serves.
func silentListener() string {
	addr, closeFn, err := testnet.SilentListener()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(closeFn)
	return addr
}

// backloggedListener returns the address of a listener whose accept queue
// is full, so the kernel drops the SYN of every new connection: a TCP
// connect timeout on loopback. It relies on Linux, where listen() on a
// listening socket resizes its backlog and a full queue drops SYNs.
func backloggedListener() string {
	if runtime.GOOS != "linux" {
		Skip("a full accept queue drops SYNs only on Linux")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(l.Close)
	raw, err := l.(*net.TCPListener).SyscallConn()
	Expect(err).NotTo(HaveOccurred())
	var listenErr error
	Expect(raw.Control(func(fd uintptr) { listenErr = syscall.Listen(int(fd), 0) })).To(Succeed())
	Expect(listenErr).NotTo(HaveOccurred())
	addr := l.Addr().String()
	// A backlog of 0 holds one connection that is never accepted; once it
	// is queued, further connects hang. Fill until one does.
	for i := 0; i < 8; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr
		}
		DeferCleanup(c.Close)
	}
	Skip("this kernel keeps accepting connections into a full backlog")
	return ""
}

// resetAfterHalfBody answers 200 with a Content-Length of size, sends half
// the body, then resets the connection (SO_LINGER 0 makes Close send RST).
func resetAfterHalfBody(w http.ResponseWriter, size int) {
	conn, buf := hijack(w)
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
	_, _ = buf.WriteString(`{"pad":"` + strings.Repeat("x", size/2-8))
	_ = buf.Flush()
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// closeWithoutAnswer reads the request and closes the connection.
func closeWithoutAnswer(w http.ResponseWriter) {
	conn, _ := hijack(w)
	_ = conn.Close()
}

func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	Expect(err).NotTo(HaveOccurred())
	return conn, buf
}

// maintenancePage is what a load balancer serves while the API is down.
const maintenancePage = `<!DOCTYPE html><html><head><title>Down for maintenance</title></head>` +
	`<body><h1>We'll be back soon</h1><p>Scheduled maintenance.</p></body></html>`

// maintenanceServer answers every request, the token included, with status,
// Retry-After: 120 and the HTML maintenance page.
func maintenanceServer(status int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, maintenancePage)
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

// testCA wraps the shared in-memory CA (internal/testnet) for Gomega.
type testCA struct{ *testnet.CA }

func newTestCA(name string) *testCA {
	ca, err := testnet.NewCA(name)
	Expect(err).NotTo(HaveOccurred())
	return &testCA{ca}
}

// issue makes a server certificate valid from notBefore to notAfter for
// names (host names or IP addresses).
func (ca *testCA) issue(notBefore, notAfter time.Time, names ...string) tls.Certificate {
	cert, err := ca.Issue(notBefore, notAfter, names...)
	Expect(err).NotTo(HaveOccurred())
	return cert
}

// valid issues a certificate for 127.0.0.1 valid now.
func (ca *testCA) valid() tls.Certificate {
	return ca.issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "127.0.0.1")
}

// file writes the CA certificate as PEM, for WithCAFile.
func (ca *testCA) file() string {
	path := filepath.Join(GinkgoT().TempDir(), "ca.pem")
	Expect(os.WriteFile(path, ca.PEM(), 0o600)).To(Succeed())
	return path
}

// newTLSPartner serves the fake partner over TLS with cert, offering TLS
// versions up to maxVersion (0: Go's default).
func newTLSPartner(cert tls.Certificate, maxVersion uint16) *fakePartner {
	f := &fakePartner{valid: map[string]int{}, thingStatus: "DONE"}
	f.server = httptest.NewUnstartedServer(f)
	f.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: maxVersion}
	// The handshakes golive rejects are logged by the server: keep test output clean.
	f.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.server.StartTLS()
	DeferCleanup(f.server.Close)
	return f
}
