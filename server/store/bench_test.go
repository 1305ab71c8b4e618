package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/server/store/storetest"
)

// Benchmark scale: the figures in docs/hub.md are for these.
const (
	benchPartners    = 1000
	benchRunsPerPart = 100 // 100,000 runs in all
	benchItemsPerRun = 5
)

var benchAPIs = []string{"collections", "payouts"}

// BenchmarkStore seeds 1,000 partners and 100,000 runs (with item outcomes
// and a small results.json each) into SQLite and, when
// GOLIVE_TEST_POSTGRES_URL is set, PostgreSQL, then measures the queries the
// hub's pages make. Each sub-benchmark reports p50 and p99 in milliseconds
// besides Go's mean. Run it with a fixed count so percentiles have samples:
//
//	go test ./server/store -run '^$' -bench Store -benchtime 200x
func BenchmarkStore(b *testing.B) {
	type target struct{ name, url string }
	targets := []target{{"sqlite", "sqlite:" + filepath.Join(b.TempDir(), "bench.db")}}
	if base := os.Getenv(envPostgresURL); base != "" {
		schema := "bench_" + randomHex(4)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
			b.Fatal(err)
		}
		if os.Getenv("GOLIVE_BENCH_KEEP") == "" {
			defer admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		} else {
			b.Logf("GOLIVE_BENCH_KEEP: leaving schema %s for inspection", schema)
		}
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		targets = append(targets, target{"postgres", base + sep + "search_path=" + schema})
	} else {
		b.Log("skipping PostgreSQL: " + envPostgresURL + " is unset")
	}
	for _, t := range targets {
		b.Run(t.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := store.Open(ctx, t.url)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			start := time.Now()
			partners := seed(b, ctx, s)
			b.Logf("%s: seeded %d partners, %d runs, %d item outcomes in %s", t.name, benchPartners,
				benchPartners*benchRunsPerPart, benchPartners*benchRunsPerPart*benchItemsPerRun, time.Since(start).Round(time.Second))
			bau := store.Principal{Role: store.RoleBAU, UserID: "bench"}
			runtime.GC() // the seed's garbage is not the queries' cost

			measure(b, "overview", func(int) error {
				ov, err := s.PartnersOverview(ctx, bau)
				if err == nil && len(ov) != benchPartners {
					err = fmt.Errorf("overview has %d partners", len(ov))
				}
				return err
			})
			measure(b, "partner-page", func(i int) error {
				// The partner page's queries: the partner, its latest 50 runs,
				// checklist progress of each API.
				id := partners[i%len(partners)]
				if _, err := s.GetPartner(ctx, bau, id); err != nil {
					return err
				}
				runs, err := s.ListRuns(ctx, bau, id, store.RunPage{Limit: 50})
				if err == nil && len(runs) != 50 {
					return fmt.Errorf("partner page has %d runs", len(runs))
				}
				for _, api := range benchAPIs {
					if _, err := s.ChecklistProgress(ctx, bau, id, api); err != nil {
						return err
					}
				}
				return err
			})
			measure(b, "run-history-page", func(i int) error {
				_, err := s.ListRuns(ctx, bau, partners[i%len(partners)], store.RunPage{Limit: 50})
				return err
			})
		})
	}
}

// measure runs fn b.N times and reports p50 and p99 latency.
func measure(b *testing.B, name string, fn func(i int) error) {
	b.Run(name, func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			if err := fn(i); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(d)
		pct := func(p float64) float64 {
			return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
	})
}

// seed bulk-inserts the benchmark's history with multi-row INSERTs in one
// transaction per table (the store's own per-run path would take minutes).
// Runs are interleaved across partners as real history is.
func seed(b *testing.B, ctx context.Context, s *store.Store) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	doc := []byte(`{"schema":"golive.results/v1","note":"` + strings.Repeat("x", 400) + `"}`)
	var partners [][]any
	var apis [][]any
	ids := make([]string, benchPartners)
	for i := range benchPartners {
		ids[i] = fmt.Sprintf("p%05d-%s", i, randomHex(6))
		name := fmt.Sprintf("Partner %05d", i)
		partners = append(partners, []any{ids[i], name, strings.ToLower(name), "[]", "sit", now, now})
		for _, a := range benchAPIs {
			apis = append(apis, []any{ids[i], a, now})
		}
	}
	var runs, runAPIs, docs, items [][]any
	id := int64(0)
	for round := range benchRunsPerPart {
		for _, pi := range rng.Perm(benchPartners) {
			id++
			api := benchAPIs[round%len(benchAPIs)]
			state, verdict := "done", []string{"CERTIFIED", "NOT CERTIFIED", "CERTIFIED WITH OBSERVATIONS", "NOT TESTABLE"}[rng.IntN(4)]
			if rng.IntN(50) == 0 {
				state, verdict = "failed", ""
			}
			at := now + id*1_000_000
			runs = append(runs, []any{id, ids[pi], api, "staging", "web", state, "bench", verdict, 0,
				benchItemsPerRun, 3, 2, 0, 0, at, at, at + 30_000_000})
			runAPIs = append(runAPIs, []any{id, ids[pi], api, state})
			docs = append(docs, []any{id, doc, "0"})
			for k := range benchItemsPerRun {
				status := "pass"
				if rng.IntN(3) == 0 {
					status = "fail"
				}
				items = append(items, []any{id, ids[pi], api, fmt.Sprintf("%s.item%02d", api, k), status, "major", ""})
			}
		}
	}
	for _, t := range []struct {
		table, cols string
		rows        [][]any
	}{
		{"partners", "id, name, name_key, contacts, status, created_at, updated_at", partners},
		{"partner_apis", "partner_id, api, added_at", apis},
		{"runs", "id, partner_id, apis, environment, source, state, requested_by, verdict, exit_code, " +
			"total, passed, failed, errored, skipped, created_at, started_at, finished_at", runs},
		{"run_apis", "run_id, partner_id, api, state", runAPIs},
		{"run_results", "run_id, document, sha256", docs},
		{"item_results", "run_id, partner_id, api, item_id, status, severity, category", items},
	} {
		if err := storetest.Insert(ctx, s, t.table, t.cols, t.rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := storetest.Finish(ctx, s); err != nil {
		b.Fatal(err)
	}
	return ids
}
