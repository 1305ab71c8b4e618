package callbacks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/callbacks"
)

var _ = Describe("canonical payloads and signatures", func() {
	It("sorts keys at every depth, is compact, keeps numbers as written and does not escape HTML", func() {
		c, err := callbacks.Canonical([]byte(`{ "b": {"z": 1.50, "a": [3, {"y": "<x>", "c": 1e2}]}, "a": "é", "checksum": "drop me" }`), "checksum")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(c)).To(Equal(`{"a":"é","b":{"a":[3,{"c":1e2,"y":"<x>"}],"z":1.50}}`))
	})

	It("signs with HMAC-SHA256 over the canonical payload, hex encoded", func() {
		body := []byte(`{"orderReference":"ORD1","amount":"1500.00","checksum":""}`)
		sig, err := callbacks.Sign(body, "key", "checksum")
		Expect(err).NotTo(HaveOccurred())
		mac := hmac.New(sha256.New, []byte("key"))
		mac.Write([]byte(`{"amount":"1500.00","orderReference":"ORD1"}`))
		Expect(sig).To(Equal(hex.EncodeToString(mac.Sum(nil))))

		ok, err := callbacks.Verify(body, "key", strings.ToUpper(sig), "checksum")
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue(), "hex case does not matter")
		ok, _ = callbacks.Verify(body, "other-key", sig, "checksum")
		Expect(ok).To(BeFalse())
		ok, _ = callbacks.Verify([]byte(`{"orderReference":"ORD1","amount":"1500.01"}`), "key", sig)
		Expect(ok).To(BeFalse(), "a changed amount breaks the signature")
	})

	It("refuses what is not one JSON value", func() {
		for _, bad := range []string{``, `{`, `{} {}`, `not json`} {
			_, err := callbacks.Canonical([]byte(bad))
			Expect(err).To(HaveOccurred(), bad)
		}
	})
})

var _ = Describe("the callback receiver", func() {
	var (
		r    *callbacks.Receiver
		base string
	)
	BeforeEach(func() {
		r = callbacks.NewReceiver("")
		var err error
		base, err = r.Start("127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(r.Close(context.Background())).To(Succeed()) })
	})

	post := func(url, body string) int {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		return resp.StatusCode
	}

	It("closes without waiting on a connection that never sent a request", func() {
		// An HTTP client's spare keep-alive connection: net/http's Shutdown
		// counts it as active for its first 5 s, which held every run's end.
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		Expect(err).NotTo(HaveOccurred())
		defer conn.Close()
		Expect(post(base+"/golive/callbacks/none", "{}")).To(Equal(http.StatusNotFound)) // the server has accepted conn by now
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)          // under net/http's 5 s
		defer cancel()
		Expect(r.Close(ctx)).To(Succeed())
		_, err = conn.Read(make([]byte, 1))
		Expect(err).To(HaveOccurred()) // closed by the receiver
	})

	It("hands out unguessable loopback addresses and records what arrives there", func() {
		a, err := r.Open()
		Expect(err).NotTo(HaveOccurred())
		b, err := r.Open()
		Expect(err).NotTo(HaveOccurred())
		Expect(a.URL).To(HavePrefix(base + "/golive/callbacks/"))
		Expect(a.URL).NotTo(Equal(b.URL))

		Expect(post(a.URL, `{"n":1}`)).To(Equal(http.StatusOK))
		Expect(post(a.URL, `{"n":2}`)).To(Equal(http.StatusOK))
		got, ok := a.Wait(context.Background())
		Expect(ok).To(BeTrue())
		Expect(string(got.Body)).To(Equal(`{"n":1}`))
		all, dropped := a.Deliveries()
		Expect(all).To(HaveLen(2), "duplicates are kept")
		Expect(dropped).To(BeZero())
		other, _ := b.Deliveries()
		Expect(other).To(BeEmpty(), "a callback reaches only its own flow")
	})

	It("accepts only the paths it handed out, only POST, and bounds the body", func() {
		Expect(post(base+"/golive/callbacks/guess", `{}`)).To(Equal(http.StatusNotFound))
		Expect(post(base+"/", `{}`)).To(Equal(http.StatusNotFound))

		s, err := r.Open()
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.Get(s.URL)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusMethodNotAllowed))

		Expect(post(s.URL, strings.Repeat("x", callbacks.MaxBody+10))).To(Equal(http.StatusRequestEntityTooLarge))
		d, _ := s.Deliveries()
		Expect(d).To(HaveLen(1))
		Expect(d[0].Truncated).To(BeTrue())
		Expect(d[0].Body).To(HaveLen(callbacks.MaxBody))

		r.Release(s)
		Expect(post(s.URL, `{}`)).To(Equal(http.StatusNotFound), "a released slot is gone")
	})

	It("keeps at most MaxDeliveries per slot and counts the rest", func() {
		s, err := r.Open()
		Expect(err).NotTo(HaveOccurred())
		for i := 0; i < callbacks.MaxDeliveries+3; i++ {
			post(s.URL, `{}`)
		}
		d, dropped := s.Deliveries()
		Expect(d).To(HaveLen(callbacks.MaxDeliveries))
		Expect(dropped).To(Equal(3))
	})

	It("gives up waiting when the context ends", func() {
		s, err := r.Open()
		Expect(err).NotTo(HaveOccurred())
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, ok := s.Wait(ctx)
		Expect(ok).To(BeFalse())
	})

	It("writes the public URL into slots when one is given (a tunnel)", func() {
		pub := callbacks.NewReceiver("https://tunnel.example/")
		_, err := pub.Start("127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = pub.Close(context.Background()) })
		s, err := pub.Open()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.URL).To(HavePrefix("https://tunnel.example/golive/callbacks/"))
	})
})
