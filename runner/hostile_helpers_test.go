package runner_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/bench"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// Hostile targets: every one listens on 127.0.0.1 only, and every loop that
// writes to a client stops at a byte and time bound even if the client never
// goes away.

const (
	hostileTimeout     = 500 * time.Millisecond // per request
	hostileItemTimeout = 2 * time.Second        // per item
	hostileBodyCap     = 64 << 10               // bytes of a response body kept
	// hostileRunBound is a liveness ceiling on a whole run, far above the
	// configured timeouts so that a loaded 2-core machine never trips it: a
	// run that takes longer is hanging, not slow. Timing claims belong in
	// benchmarks.
	hostileRunBound = 2 * time.Minute
	// hostileRSSBound is how much the process may grow during one hostile run.
	hostileRSSBound = 256 << 20
	// hostileWriteBound caps what an endless writer sends (4 GiB) and for how
	// long (30s), whatever the client does.
	hostileWriteBound = 4 << 30
	hostileWriteTime  = 30 * time.Second
)

// hostileSuite is a one-item suite for testdata/hostile.yaml: read a thing
// (or create one, with a body of bodyBytes) and expect it DONE.
func hostileSuite(create bool) *suites.Suite {
	check := `      operation: getThing
      request:
        path: {id: abc}
      expect:
        status: 200
        body:
          status: DONE
`
	if create {
		check = `      operation: createThing
      request:
        body:
          data: "{{ var.big }}"
      expect:
        status: 201
        body:
          status: DONE
`
	}
	text := "name: hostile\napi: hostile\nvariables:\n  big: \"\"\nitems:\n" +
		"  - id: H-1\n    title: the target answers a plain request\n    severity: critical\n    check:\n" + check
	s, err := suites.Parse("hostile-suite.yaml", []byte(text))
	Expect(err).NotTo(HaveOccurred())
	return s
}

var (
	hostileAPIOnce sync.Once
	hostileAPI     *specs.API
)

func hostileSpec() *specs.API {
	hostileAPIOnce.Do(func() {
		api, err := specs.NewLoader().Load(context.Background(), "testdata/hostile.yaml")
		Expect(err).NotTo(HaveOccurred())
		hostileAPI = api
	})
	return hostileAPI
}

// hostileOutcome is one run against a hostile target, with what it cost.
type hostileOutcome struct {
	run      *results.Run
	item     results.Item
	took     time.Duration
	rssGrown uint64
}

// runHostile runs the one-item suite against target with the hostile
// timeouts and body cap, measuring the run's wall time and how much the
// process's resident memory grew during it.
func runHostile(target string, create bool, opts ...runner.Option) hostileOutcome {
	all := append([]runner.Option{
		runner.WithTimeout(hostileTimeout), runner.WithItemTimeout(hostileItemTimeout),
		runner.WithBodyCap(hostileBodyCap), runner.WithConcurrency(1), runner.WithEnv(env(nil)), runner.WithSeed(7),
	}, opts...)
	r, err := runner.New(runner.Target{BaseURL: target},
		[]runner.Job{{API: hostileSpec(), Suite: hostileSuite(create)}}, all...)
	Expect(err).NotTo(HaveOccurred())
	probe := bench.StartMemProbe()
	start := time.Now()
	out := r.Run(context.Background())
	took := time.Since(start)
	grown := probe.Growth()
	Expect(out.Items).To(HaveLen(1))
	GinkgoWriter.Printf("hostile run: %s %s (%s) in %s, RSS +%d KiB: %s\n", out.Items[0].Status, out.Items[0].Category,
		out.Items[0].Reason, took.Round(time.Millisecond), grown>>10, out.Items[0].Message)
	return hostileOutcome{run: out, item: out.Items[0], took: took, rssGrown: grown}
}

// expectBounded asserts what holds for every hostile target: the run ended
// well within a bound derived from its timeouts, the item did not pass, it
// says in one categorised line what went wrong, the process did not grow
// beyond the memory ceiling, and the results serialise as valid UTF-8.
func (o hostileOutcome) expectBounded(status results.Status, category results.Category, words ...string) {
	GinkgoHelper()
	Expect(o.took).To(BeNumerically("<", hostileRunBound), "the run must end within its timeouts")
	Expect(o.rssGrown).To(BeNumerically("<", uint64(hostileRSSBound)), "resident memory grew by %d MiB", o.rssGrown>>20)
	Expect(o.item.Status).To(Equal(status), o.item.Message)
	Expect(o.item.Category).To(Equal(category), o.item.Message)
	Expect(o.item.Message).NotTo(BeEmpty())
	Expect(o.item.Message).NotTo(ContainSubstring("\n"))
	Expect(o.item.Reason).NotTo(BeEmpty())
	for _, w := range words {
		Expect(strings.ToLower(o.item.Message + " " + o.item.Actual)).To(ContainSubstring(strings.ToLower(w)))
	}
	for _, ex := range o.item.Exchanges {
		if ex.Response != nil {
			Expect(len(ex.Response.Body)).To(BeNumerically("<=", hostileBodyCap+3*1024),
				"a body in the results is cut at the cap (a replacement character may take 3 bytes)")
		}
	}
	data, err := json.Marshal(o.run)
	Expect(err).NotTo(HaveOccurred())
	Expect(utf8.Valid(data)).To(BeTrue(), "results are valid UTF-8")
}

// hostileHTTP serves handler on loopback for the current spec.
func hostileHTTP(handler http.HandlerFunc) string {
	srv := httptest.NewServer(handler)
	DeferCleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// writeBounded writes chunk repeatedly until the client goes away or the
// byte or time bound is reached.
func writeBounded(w http.ResponseWriter, chunk []byte) {
	deadline := time.Now().Add(hostileWriteTime)
	var sent int64
	for sent < hostileWriteBound && time.Now().Before(deadline) {
		n, err := w.Write(chunk)
		sent += int64(n)
		if err != nil {
			return
		}
	}
}

// hostileTCP runs serve on every connection accepted on a loopback port,
// below HTTP. At cleanup the listener and every connection are closed, and
// serve is told to stop through its done channel.
func hostileTCP(serve func(c net.Conn, done <-chan struct{})) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	done := make(chan struct{})
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, done)
			}()
		}
	}()
	DeferCleanup(func() {
		close(done)
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + l.Addr().String()
}

// readRequestHead reads up to the blank line that ends the request headers
// (at most 64 KiB), leaving any body unread.
func readRequestHead(c net.Conn) (*bufio.Reader, error) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	var read int
	for read < 64<<10 {
		line, err := br.ReadString('\n')
		read += len(line)
		if err != nil {
			return br, err
		}
		if line == "\r\n" || line == "\n" {
			return br, nil
		}
	}
	return br, nil
}

// sleepOrDone waits d unless done closes first; it reports whether to go on.
func sleepOrDone(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return false
	case <-t.C:
		return true
	}
}

// gzipBomb is a gzip stream that inflates to n MiB of zeros. It is n gzip
// members of 1 MiB of zeros each (a reader reads members one after the
// other), about 1 KiB compressed per MiB.
func gzipBomb(mib int) []byte {
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	Expect(err).NotTo(HaveOccurred())
	_, err = zw.Write(make([]byte, 1<<20))
	Expect(err).NotTo(HaveOccurred())
	Expect(zw.Close()).To(Succeed())
	return bytes.Repeat(member.Bytes(), mib)
}
