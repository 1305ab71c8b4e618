package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// BenchmarkHubUAT measures a UAT session in the hub (SQLite): opening it
// over the API, one sandbox exchange through the hub's /uat/ mount (p50,
// p99 of 200 token calls), the reference client's whole case list, and
// closing it (grade, render the reports, store everything), with the size
// of what is stored.
// go test -run '^$' -bench HubUAT -benchtime 3x ./server/
func BenchmarkHubUAT(b *testing.B) {
	ctx := context.Background()
	st, admin := benchStore(b)
	cfg := server.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ScratchDir: b.TempDir()}
	withUAT(&cfg)
	srv, err := server.New(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	p := store.PrincipalOf(admin)
	pt, err := st.CreatePartner(ctx, p, store.PartnerInput{Name: "Bench UAT"})
	if err != nil {
		b.Fatal(err)
	}
	if err := st.SetPartnerAPIs(ctx, p, pt.ID, []string{"collections"}); err != nil {
		b.Fatal(err)
	}
	tok, _, _ := st.CreateAPIToken(ctx, p, admin.ID, "bench", time.Time{})
	call := func(method, path, body string, v any) time.Duration {
		req, _ := http.NewRequest(method, ts.URL+"/api/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			data, _ := io.ReadAll(resp.Body)
			b.Fatalf("%s %s: %s %s", method, path, resp.Status, data)
		}
		if v != nil {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	var open, closeD, play []time.Duration
	var exchanges []time.Duration
	var stored int64
	for range b.N {
		var o server.UATOpenedJSON
		// A payouts-free session that a manual close ends (the client's
		// fault keeps it from completing on its own).
		open = append(open, call("POST", "/partners/"+pt.ID+"/uat-sessions", `{"apis":["collections"]}`, &o))
		for range 200 {
			req, _ := http.NewRequest("POST", o.Session.BaseURL+"/v1/token", nil)
			req.Header.Set("client-id", o.Credentials.ClientID)
			req.Header.Set("api-key", o.Credentials.APIKey)
			t0 := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			exchanges = append(exchanges, time.Since(t0))
		}
		c, err := client.New(client.Config{BaseURL: o.Session.BaseURL, APIs: o.Session.APIs,
			Credentials: uat.Credentials{ClientID: o.Credentials.ClientID, APIKey: o.Credentials.APIKey, ChecksumKey: o.Credentials.ChecksumKey},
			Timing:      uatTiming(), Fault: client.FaultNoStatus, RequestTimeout: 1500 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		_ = c.Play(ctx) // a fault client; the session may even end under it
		play = append(play, time.Since(t0))
		var u server.UATSessionJSON
		call("GET", "/partners/"+pt.ID+"/uat-sessions/"+o.Session.ID, "", &u)
		if u.State == "open" {
			closeD = append(closeD, call("POST", "/partners/"+pt.ID+"/uat-sessions/"+o.Session.ID+"/close", "", &u))
		}
		c.Close()
		var arts []server.ArtifactJSON
		call("GET", "/partners/"+pt.ID+"/uat-sessions/"+o.Session.ID+"/artifacts", "", &arts)
		stored = 0
		for _, a := range arts {
			stored += a.Size
		}
	}
	p50 := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	b.ReportMetric(p50(open), "open-p50-ms")
	b.ReportMetric(p50(exchanges), "exchange-p50-ms")
	slices.Sort(exchanges)
	b.ReportMetric(float64(exchanges[len(exchanges)*99/100].Microseconds())/1000, "exchange-p99-ms")
	b.ReportMetric(p50(play), "client-cases-p50-ms")
	b.ReportMetric(p50(closeD), "close-p50-ms")
	b.ReportMetric(float64(stored)/1024, "stored-KiB")
}

// benchStore is a fresh SQLite hub database with its first admin, closed
// when the benchmark ends.
func benchStore(b *testing.B) (*store.Store, store.User) {
	b.Helper()
	ctx := context.Background()
	kr, _ := store.NewKeyring(make([]byte, 32))
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), store.WithKeyring(kr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	admin, _, err := st.BootstrapAdmin(ctx, "admin@bau.example", adminPassword)
	if err != nil {
		b.Fatal(err)
	}
	return st, admin
}
