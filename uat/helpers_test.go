package uat_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/internal/testnet"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// testTiming keeps every scripted wait short; nothing asserts wall time:
// the client's pauses only ever make intervals longer than the rules ask.
func testTiming() uat.Timing {
	return uat.Timing{
		Settle:          300 * time.Millisecond,
		LongProcessing:  time.Second,
		Hold:            30 * time.Second, // released at once when the client gives up
		RetryAfter:      time.Second,
		MinPollInterval: 50 * time.Millisecond,
		AckBudget:       5 * time.Second,
		ExpireTokenAt:   5,
	}
}

// played is one session with the reference client played through it.
type played struct {
	run    *results.Run
	out    string
	timing uat.Timing
	events []uat.Event
}

type sessionOpts struct {
	apis  []string
	fault string
	tls   bool
}

// playSession starts a session on loopback, plays the reference client
// (with a fault, maybe) through it, waits for the callbacks and ends it.
func playSession(o sessionOpts) played {
	GinkgoHelper()
	out := GinkgoT().TempDir()
	var mu sync.Mutex
	var events []uat.Event
	cfg := uat.Config{APIs: o.apis, Partner: "acme", Listen: "127.0.0.1:0", OutDir: out,
		Timing: testTiming(), Version: "test",
		Observer: func(e uat.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}}
	if o.tls {
		cert, key, pool := testCert()
		cfg.TLSCert, cfg.TLSKey = cert, key
		hc = &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := uat.Start(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	c, err := client.New(client.Config{BaseURL: s.BaseURL(), APIs: o.apis, Credentials: s.Credentials(),
		Timing: s.Timing(), Fault: o.fault, HTTPClient: hc, HeldAnswerTimeout: 1500 * time.Millisecond})
	Expect(err).NotTo(HaveOccurred())
	Expect(c.Play(ctx)).To(Succeed())
	Expect(s.WaitCallbacks(ctx)).To(Succeed())
	run, err := s.Close(uat.EndStopped)
	c.Close()
	Expect(err).NotTo(HaveOccurred())
	mu.Lock()
	defer mu.Unlock()
	return played{run: run, out: out, timing: s.Timing(), events: append([]uat.Event(nil), events...)}
}

// idsWith lists the item ids with one of the statuses.
func idsWith(run *results.Run, statuses ...results.Status) []string {
	var out []string
	for _, it := range run.Items {
		for _, s := range statuses {
			if it.Status == s {
				out = append(out, it.ID)
			}
		}
	}
	sort.Strings(out)
	return out
}

func item(run *results.Run, id string) results.Item {
	GinkgoHelper()
	for _, it := range run.Items {
		if it.ID == id {
			return it
		}
	}
	Fail("no item " + id)
	return results.Item{}
}

// testCert writes a server certificate for 127.0.0.1 and returns the
// files and a pool that trusts it.
func testCert() (certFile, keyFile string, pool *x509.CertPool) {
	GinkgoHelper()
	ca, err := testnet.NewCA("uat test CA")
	Expect(err).NotTo(HaveOccurred())
	cert, err := ca.Issue(time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "127.0.0.1", "localhost")
	Expect(err).NotTo(HaveOccurred())
	dir := GinkgoT().TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	Expect(os.WriteFile(certFile, chain, 0o600)).To(Succeed())
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)).To(Succeed())
	pool = x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(ca.PEM())).To(BeTrue())
	return certFile, keyFile, pool
}
