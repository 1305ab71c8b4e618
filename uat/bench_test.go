package uat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-cert/golive/bench"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/uat"
)

// benchTarget is a base URL with a token and one settled payment to query.
type benchTarget struct {
	base, token, ref string
	client           *http.Client
}

func newBenchTarget(b *testing.B, base, clientID, apiKey string) *benchTarget {
	b.Helper()
	t := &benchTarget{base: base, client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}}
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/token", nil)
	req.Header.Set("client-id", clientID)
	req.Header.Set("api-key", apiKey)
	var tok struct{ Token string }
	t.do(b, req, &tok)
	t.token = tok.Token
	t.ref = "BENCH0000000001"
	body, _ := json.Marshal(map[string]string{"amount": "1500.00", "currency": "TZS", "orderReference": t.ref, "phoneNumber": uat.SuccessPhone})
	req, _ = http.NewRequest(http.MethodPost, base+"/v1/collections/ussd-push", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.token)
	t.do(b, req, nil)
	return t
}

func (t *benchTarget) do(b *testing.B, req *http.Request, out any) {
	resp, err := t.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d %s", req.Method, req.URL, resp.StatusCode, data)
	}
	if out != nil {
		_ = json.Unmarshal(data, out)
	}
}

// status sends one status query.
func (t *benchTarget) status(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, t.base+"/v1/collections/"+t.ref, nil)
	req.Header.Set("Authorization", "Bearer "+t.token)
	t.do(b, req, nil)
}

// benchTiming never expires the token during a benchmark.
func benchTiming() uat.Timing {
	t := testTiming()
	t.ExpireTokenAt = 1 << 30
	return t
}

// BenchmarkProxiedRequest compares one status query against the plain
// sandbox with the same query through a UAT session (masking, validation,
// tracking, recording to disk), over loopback.
func BenchmarkProxiedRequest(b *testing.B) {
	b.Run("sandbox", func(b *testing.B) {
		sb, err := sandbox.New(sandbox.WithAPIs("collections"), sandbox.WithSettleAfter(0))
		if err != nil {
			b.Fatal(err)
		}
		base, stop, err := sb.Start("127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer stop(context.Background())
		t := newBenchTarget(b, base, sandbox.DefaultClientID, sandbox.DefaultAPIKey)
		b.ResetTimer()
		for b.Loop() {
			t.status(b)
		}
	})
	b.Run("session", func(b *testing.B) {
		s, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0",
			OutDir: b.TempDir(), Timing: benchTiming()})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close(uat.EndStopped)
		cr := s.Credentials()
		t := newBenchTarget(b, s.BaseURL(), cr.ClientID, cr.APIKey)
		b.ResetTimer()
		for b.Loop() {
			t.status(b)
		}
	})
}

// BenchmarkSessionRSS records 100,000 exchanges (GOLIVE_UAT_EXCHANGES
// changes the count) through one session and reports the peak resident
// memory growth: the recording streams to disk, so it stays flat.
func BenchmarkSessionRSS(b *testing.B) {
	n := 100_000
	if v := os.Getenv("GOLIVE_UAT_EXCHANGES"); v != "" {
		fmt.Sscan(v, &n)
	}
	for b.Loop() {
		probe := bench.StartMemProbe()
		s, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0",
			OutDir: b.TempDir(), Timing: benchTiming()})
		if err != nil {
			b.Fatal(err)
		}
		cr := s.Credentials()
		t := newBenchTarget(b, s.BaseURL(), cr.ClientID, cr.APIKey)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					if i%4 == 0 {
						// A new payment every fourth exchange: the tracker's maps grow too.
						body, _ := json.Marshal(map[string]string{"amount": "1500.00", "currency": "TZS",
							"orderReference": fmt.Sprintf("RSS%012d", i), "phoneNumber": uat.SuccessPhone})
						req, _ := http.NewRequest(http.MethodPost, t.base+"/v1/collections/ussd-push", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+t.token)
						t.do(b, req, nil)
						continue
					}
					t.status(b)
				}
			})
		}
		wg.Wait()
		start := time.Now()
		if _, err := s.Close(uat.EndStopped); err != nil {
			b.Fatal(err)
		}
		growth := probe.Growth()
		b.ReportMetric(float64(growth)/(1<<20), "peak-RSS-growth-MiB")
		b.ReportMetric(float64(probe.Start)/(1<<20), "start-RSS-MiB")
		b.ReportMetric(float64(n), "exchanges")
		b.ReportMetric(time.Since(start).Seconds(), "close-s")
	}
}

// BenchmarkHandler is BenchmarkProxiedRequest without the network: the
// status query served in-process, so the session's own work per request
// (match, mask, validate, track, write a JSON line) is what differs.
func BenchmarkHandler(b *testing.B) {
	query := func(b *testing.B, h http.Handler, clientID, apiKey string) {
		rec := httptestRecorder(h, http.MethodPost, "/v1/token", nil, map[string]string{"client-id": clientID, "api-key": apiKey})
		var tok struct{ Token string }
		_ = json.Unmarshal(rec, &tok)
		body, _ := json.Marshal(map[string]string{"amount": "1500.00", "currency": "TZS", "orderReference": "BENCH0000000001", "phoneNumber": uat.SuccessPhone})
		auth := map[string]string{"Authorization": "Bearer " + tok.Token, "Content-Type": "application/json"}
		httptestRecorder(h, http.MethodPost, "/v1/collections/ussd-push", body, auth)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			httptestRecorder(h, http.MethodGet, "/v1/collections/BENCH0000000001", nil, auth)
		}
	}
	b.Run("sandbox", func(b *testing.B) {
		sb, err := sandbox.New(sandbox.WithAPIs("collections"), sandbox.WithSettleAfter(0))
		if err != nil {
			b.Fatal(err)
		}
		defer sb.Close()
		query(b, sb, sandbox.DefaultClientID, sandbox.DefaultAPIKey)
	})
	b.Run("session", func(b *testing.B) {
		s, err := uat.Start(context.Background(), uat.Config{APIs: []string{"collections"}, Listen: "127.0.0.1:0",
			OutDir: b.TempDir(), Timing: benchTiming()})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close(uat.EndStopped)
		query(b, s, s.Credentials().ClientID, s.Credentials().APIKey)
	})
}

func httptestRecorder(h http.Handler, method, path string, body []byte, headers map[string]string) []byte {
	req, _ := http.NewRequest(method, path, bytes.NewReader(body))
	req.RequestURI = path
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	return rec.body.Bytes()
}

// recorder is a minimal ResponseWriter (httptest's would do as well; this
// keeps the benchmark's own allocations small and equal on both sides).
type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(s int)           { r.status = s }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
