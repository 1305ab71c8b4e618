package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/server/store/storetest"
)

// BenchmarkHub measures what people wait for, over HTTP, with 1,000
// partners and 100,000 runs: the partners overview and a partner page
// (p50/p99), and the time from "start run" to the first progress event.
// go test -run '^$' -bench Hub -benchtime 1x ./server/  (PostgreSQL too
// when GOLIVE_TEST_POSTGRES_URL is set).
func BenchmarkHub(b *testing.B) {
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(b.TempDir(), "bench.db")}
	if pg := os.Getenv(envPostgresURL); pg != "" {
		schema := fmt.Sprintf("hb_%d", time.Now().UnixNano())
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); admin.Close() })
		sep := "?"
		if strings.Contains(pg, "?") {
			sep = "&"
		}
		dbs["postgres"] = pg + sep + "search_path=" + schema
	}
	for name, dbURL := range dbs {
		b.Run(name, func(b *testing.B) { benchHub(b, dbURL) })
	}
}

func benchHub(b *testing.B, dbURL string) {
	ctx := context.Background()
	kr, _ := store.NewKeyring(make([]byte, 32))
	st, err := store.Open(ctx, dbURL, store.WithKeyring(kr))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	admin, _, err := st.BootstrapAdmin(ctx, "admin@bau.example", adminPassword)
	if err != nil {
		b.Fatal(err)
	}
	ids := seedHub(b, ctx, st)
	srv, err := server.New(ctx, server.Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Workers: 2, ScratchDir: b.TempDir(), Tune: tune})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	sess, _, err := st.CreateSession(ctx, admin.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	get := func(path string) error {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: "golive_session", Value: sess})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", path, resp.Status)
		}
		return nil
	}
	for range b.N {
		latency(b, "overview", 30, func(int) error { return get("/") })
		latency(b, "partner-page", 200, func(i int) error { return get("/partners/" + ids[i*7%len(ids)]) })
		firstEvent(b, ctx, st, srv, admin)
	}
}

func latency(b *testing.B, name string, n int, fn func(i int) error) {
	var ds []time.Duration
	for i := range n {
		start := time.Now()
		if err := fn(i); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	p50, p99 := ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
	b.ReportMetric(float64(p50.Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, name+"-p99-ms")
}

// firstEvent: a partner with the sandbox as its endpoint; from the API
// call that starts the run to the first progress event (a worker took it)
// and the first item finished.
func firstEvent(b *testing.B, ctx context.Context, st *store.Store, srv *server.Server, admin store.User) {
	sb, _ := sandbox.New(sandbox.WithSettleAfter(50 * time.Millisecond))
	target := httptest.NewServer(sb)
	defer target.Close()
	defer sb.Close()
	p := store.PrincipalOf(admin)
	pt, err := st.CreatePartner(ctx, p, store.PartnerInput{Name: fmt.Sprintf("Bench %d", time.Now().UnixNano())})
	if err != nil {
		b.Fatal(err)
	}
	_ = st.SetPartnerAPIs(ctx, p, pt.ID, []string{"collections"})
	_, _ = st.PutEnvironment(ctx, p, pt.ID, store.EnvironmentInput{Name: "staging", BaseURL: target.URL,
		Credentials: map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey, "checksumKey": sandbox.DefaultChecksumKey}})
	tok, _, _ := st.CreateAPIToken(ctx, p, admin.ID, "bench", time.Time{})
	hubTS := httptest.NewServer(srv.Handler())
	defer hubTS.Close()
	var started, item []time.Duration
	for range 10 {
		req, _ := http.NewRequest("POST", hubTS.URL+"/api/v1/partners/"+pt.ID+"/runs", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		// Run ids are sequential: subscribe to the next one before asking,
		// so that no event can come before the subscription.
		var last int64
		if err := st.DB().QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM runs`).Scan(&last); err != nil {
			b.Fatal(err)
		}
		events, cancel := srv.SubscribeRun(last + 1)
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var run server.RunJSON
		decodeBody(b, resp, &run)
		if run.ID != last+1 {
			b.Fatalf("run %d, expected %d", run.ID, last+1)
		}
		gotStart := false
		for ev := range events {
			if ev.Kind == server.EventStarted && !gotStart {
				started, gotStart = append(started, time.Since(t0)), true
			}
			if ev.Kind == server.EventItem {
				item = append(item, time.Since(t0))
				break
			}
		}
		cancel()
		if !gotStart {
			r, _ := st.GetRun(ctx, store.System(), run.ID)
			b.Fatalf("run %d did not start: %s %s", run.ID, r.State, r.Failure)
		}
		for { // let it finish so the next one starts on an idle pool
			r, _ := st.GetRun(ctx, store.System(), run.ID)
			if r.State != store.RunQueued && r.State != store.RunRunning {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	slices.Sort(started)
	slices.Sort(item)
	b.ReportMetric(float64(started[len(started)/2].Microseconds())/1000, "start-to-started-p50-ms")
	b.ReportMetric(float64(item[len(item)/2].Microseconds())/1000, "start-to-first-item-p50-ms")
}

func decodeBody(b *testing.B, resp *http.Response, v any) {
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, v); err != nil {
		b.Fatalf("%s: %s", err, data)
	}
}

// seedHub writes 1,000 partners with two APIs and 100,000 finished runs
// (with 20 item outcomes each) straight into the tables: seeding through
// the API would take longer than the measurement.
func seedHub(b *testing.B, ctx context.Context, st *store.Store) []string {
	const partners, runsPer, itemsPer = 1000, 100, 20
	apis := []string{"collections", "payouts"}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	ids := make([]string, partners)
	var pRows, aRows, rRows, raRows, iRows [][]any
	for i := range partners {
		ids[i] = fmt.Sprintf("p%05d", i)
		name := fmt.Sprintf("Partner %05d", i)
		pRows = append(pRows, []any{ids[i], name, strings.ToLower(name), "[]", "sit", now, now})
		for _, a := range apis {
			aRows = append(aRows, []any{ids[i], a, now})
		}
	}
	id := int64(0)
	for round := range runsPer {
		for _, pi := range rng.Perm(partners) {
			id++
			api := apis[round%2]
			verdict := []string{"CERTIFIED", "NOT CERTIFIED", "CERTIFIED WITH OBSERVATIONS"}[rng.IntN(3)]
			at := now + id*1_000_000
			rRows = append(rRows, []any{id, ids[pi], api, "staging", "web", "done", "bench", verdict, 0, itemsPer, 15, 5, 0, 0, at, at, at + 1})
			raRows = append(raRows, []any{id, ids[pi], api, "done"})
			if round >= runsPer-4 { // item outcomes of the latest runs: progress reads these
				for k := range itemsPer {
					st := "pass"
					if rng.IntN(3) == 0 {
						st = "fail"
					}
					iRows = append(iRows, []any{id, ids[pi], api, fmt.Sprintf("%s-%02d", api, k), st, "major", ""})
				}
			}
		}
	}
	for _, t := range []struct {
		table, cols string
		rows        [][]any
	}{
		{"partners", "id, name, name_key, contacts, status, created_at, updated_at", pRows},
		{"partner_apis", "partner_id, api, added_at", aRows},
		{"runs", "id, partner_id, apis, environment, source, state, requested_by, verdict, exit_code, " +
			"total, passed, failed, errored, skipped, created_at, started_at, finished_at", rRows},
		{"run_apis", "run_id, partner_id, api, state", raRows},
		{"item_results", "run_id, partner_id, api, item_id, status, severity, category", iRows},
	} {
		if err := storetest.Insert(ctx, st, t.table, t.cols, t.rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := storetest.Finish(ctx, st); err != nil {
		b.Fatal(err)
	}
	return ids
}
