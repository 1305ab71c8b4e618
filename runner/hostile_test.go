package runner_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

// Hostile targets (issue 7): whatever a target does, the run ends within
// its timeouts, the item fails or errors with one categorised line, bodies
// are kept up to the cap and marked truncated, and the process's memory
// stays bounded. Timeouts: 500ms per request, 2s per item; body cap 64 KiB.
var _ = Describe("hostile targets", func() {
	thing := []byte(`{"id":"abc","status":"DONE"}`)

	It("cuts an endless body at the cap and says so", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"abc","status":"DONE","pad":"`))
			writeBounded(w, bytes.Repeat([]byte("x"), 32<<10)) // chunked, never ends
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration)
		Expect(o.item.Exchanges).To(HaveLen(1))
		resp := o.item.Exchanges[0].Response
		Expect(resp).NotTo(BeNil())
		Expect(resp.Truncated).To(BeTrue())
		// Read up to the run's cap; kept in the evidence up to the evidence
		// cap, with the size and hash of what was read.
		Expect(len(resp.Body)).To(Equal(results.EvidenceBodyCap))
		Expect(resp.BodyDigest).NotTo(BeNil())
		Expect(resp.BodyDigest.Size).To(Equal(int64(hostileBodyCap)))
	})

	It("cuts a 1 GiB body at the cap and says so", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(1<<30))
			_, _ = w.Write([]byte(`{"id":"abc","status":"DONE","pad":"`))
			writeBounded(w, bytes.Repeat([]byte("x"), 64<<10))
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration)
		Expect(o.item.Exchanges[0].Response.Truncated).To(BeTrue())
		Expect(len(o.item.Exchanges[0].Response.Body)).To(Equal(results.EvidenceBodyCap))
		Expect(o.item.Exchanges[0].Response.BodyDigest.Size).To(Equal(int64(hostileBodyCap)))
	})

	It("inflates a gzip bomb only up to the cap", func() {
		bomb := gzipBomb(1024) // 1 GiB of zeros, about 1 MiB on the wire
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", fmt.Sprint(len(bomb)))
			_, _ = w.Write(bomb)
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration)
		Expect(o.item.Exchanges[0].Response.Truncated).To(BeTrue())
		Expect(len(o.item.Exchanges[0].Response.Body)).To(BeNumerically("<=", hostileBodyCap+3*1024))
	})

	It("gives up on headers trickled one byte a second", func() {
		target := hostileTCP(func(c net.Conn, done <-chan struct{}) {
			if _, err := readRequestHead(c); err != nil {
				return
			}
			head := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n"
			for i := 0; i < len(head); i++ {
				if _, err := c.Write([]byte{head[i]}); err != nil || !sleepOrDone(time.Second, done) {
					return
				}
			}
		})
		o := runHostile(target, false)
		o.expectBounded(results.Error, results.System, "timeout")
		Expect(o.took).To(BeNumerically(">=", hostileTimeout), "it waited for the request timeout")
	})

	It("gives up on a socket that accepts and never answers", func() {
		target := hostileTCP(func(c net.Conn, done <-chan struct{}) {
			_, _ = readRequestHead(c)
			<-done
		})
		o := runHostile(target, false)
		o.expectBounded(results.Error, results.System, "timeout")
		Expect(o.item.Exchanges).To(HaveLen(1))
		Expect(o.item.Exchanges[0].Response).To(BeNil())
		Expect(o.item.Exchanges[0].Error).NotTo(BeEmpty())
	})

	It("reports a redirect loop as the 3xx it is, without following it", func() {
		var calls atomic.Int32
		target := hostileHTTP(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Location", r.URL.String())
			w.WriteHeader(http.StatusFound)
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration, "302")
		Expect(o.item.Exchanges).To(HaveLen(1))
		Expect(o.item.Exchanges[0].Response.Status).To(Equal(http.StatusFound))
		Expect(calls.Load()).To(Equal(int32(1)), "the redirect is not followed")
	})

	It("refuses a header block larger than the transport accepts", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Huge", strings.Repeat("a", 256<<10)) // over MaxResponseHeaderBytes (64 KiB)
			_, _ = w.Write(thing)
		})
		o := runHostile(target, false)
		Expect(o.item.Status).To(Equal(results.Error), o.item.Message)
		Expect(o.item.Category).NotTo(BeEmpty())
		o.expectBounded(o.item.Status, o.item.Category, "header")
	})

	It("fails a body with invalid UTF-8, keeping the report valid UTF-8", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{\"id\":\"abc\",\"status\":\"DO\xff\xfeNE\"}"))
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration)
		Expect(o.item.Exchanges[0].Response.Body).To(ContainSubstring("\uFFFD"))
	})

	It("fails a body that is not JSON", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id": "abc", "status": "DONE"`)) // cut short
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration, "body")
	})

	It("reports a connection reset mid-body as a connection issue", func() {
		target := hostileTCP(func(c net.Conn, _ <-chan struct{}) {
			if _, err := readRequestHead(c); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
			_, _ = io.WriteString(c, `{"id":"abc","status":"DONE","pad":"`+strings.Repeat("x", 1000))
			time.Sleep(50 * time.Millisecond) // let the client read the head
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
		})
		o := runHostile(target, false)
		o.expectBounded(results.Error, results.Connection, "reset")
		Expect(o.item.Exchanges[0].Response).NotTo(BeNil(), "the status and headers that came are evidence")
	})

	It("takes the answer of a target that answers before reading the request body", func() {
		answer := `{"code":"TOO_LARGE","message":"request body too large"}`
		target := hostileTCP(func(c net.Conn, done <-chan struct{}) {
			br, err := readRequestHead(c)
			if err != nil {
				return
			}
			_, _ = fmt.Fprintf(c, "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				len(answer), answer)
			// Close the sending side and discard what still comes, as
			// servers do (lingering close), for at most 2 seconds.
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, _ = io.Copy(io.Discard, io.LimitReader(br, 64<<20))
		})
		o := runHostile(target, true, bigUpload()...)
		o.expectBounded(results.Fail, results.Integration, "413")
	})

	It("reports a target that answers and resets before reading the request body", func() {
		target := hostileTCP(func(c net.Conn, _ <-chan struct{}) {
			if _, err := readRequestHead(c); err != nil {
				return
			}
			_, _ = io.WriteString(c, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			// Returning closes the socket with the request body unread: the
			// kernel answers the rest of it with a reset.
		})
		o := runHostile(target, true, bigUpload()...)
		// Whether the 413 or the reset reaches golive first is up to the
		// kernel; either way the item says so in one categorised line.
		if o.item.Status == results.Fail {
			o.expectBounded(results.Fail, results.Integration, "413")
		} else {
			o.expectBounded(results.Error, results.Connection)
		}
	})

	// Bodies that are cut, or not JSON, are named for what they are.
	It("says a cut body was cut at the cap, rather than that it is not JSON", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"abc","status":"DONE","pad":"`))
			writeBounded(w, bytes.Repeat([]byte("x"), 32<<10))
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration, "cap")
	})

	It("says a body that is not JSON is not JSON, rather than 'body unexpected EOF'", func() {
		target := hostileHTTP(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id": "abc", "status": "DONE"`))
		})
		o := runHostile(target, false)
		o.expectBounded(results.Fail, results.Integration, "not valid JSON")
	})
})

// bigUpload sends an 8 MiB request body. These cases are about what the
// target answers before reading it, not about timeouts: building and
// recording 8 MiB under the race detector on a loaded machine takes
// seconds, so the request and item timeouts are generous here.
func bigUpload() []runner.Option {
	return []runner.Option{
		runner.WithVars(map[string]string{"big": strings.Repeat("x", 8<<20)}),
		runner.WithTimeout(time.Minute), runner.WithItemTimeout(time.Minute),
	}
}
