package derive_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// builtinAPIs are the APIs the sandbox implements, in the order runs list them.
var builtinAPIs = []string{"collections", "payouts"}

// seedPlan is one seed's plan for one built-in API.
type seedPlan struct {
	seed  int64
	api   string
	items []*suites.Item
}

// planSeeds plans both built-in APIs for every seed from first to last, on
// as many goroutines as there are CPUs, and returns the plans in seed
// order. Each goroutine loads its own copy of the documents, so no two
// planners share one.
func planSeeds(first, last int64) []seedPlan {
	GinkgoHelper()
	type task struct {
		seed int64
		api  string
	}
	tasks := make(chan task)
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		plans []seedPlan
		errs  []error
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			apis := map[string]*specs.API{}
			auths := map[string]*suites.Auth{}
			for t := range tasks {
				if apis[t.api] == nil {
					apis[t.api], auths[t.api] = loadAPI(t.api), builtinAuth(t.api)
				}
				items, err := derive.Plan(apis[t.api], derive.Options{Seed: t.seed, Auth: auths[t.api]})
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("seed %d, %s: %w", t.seed, t.api, err))
				}
				plans = append(plans, seedPlan{seed: t.seed, api: t.api, items: items})
				mu.Unlock()
			}
		}()
	}
	for seed := first; seed <= last; seed++ {
		for _, api := range builtinAPIs {
			tasks <- task{seed, api}
		}
	}
	close(tasks)
	wg.Wait()
	Expect(errs).To(BeEmpty())
	sort.Slice(plans, func(i, j int) bool { return plans[i].seed < plans[j].seed })
	return plans
}

// distinctItems keeps, for each API, the items no earlier seed planned
// identically, in seed order, and says which seed planned each first.
// Identical (reflect.DeepEqual: the same requests, expectations, captures
// and polls) items send the same requests and check the same things, so one
// run of each distinct item loses nothing (the run-unique references it
// sends are fresh in any run). The latency review is identical for every
// seed: kept once, it judges every response of the run.
func distinctItems(plans []seedPlan) (map[string][]*suites.Item, map[*suites.Item]int64) {
	byAPI := map[string][]*suites.Item{}
	firstSeed := map[*suites.Item]int64{}
	seen := map[string][]*suites.Item{} // by API and item id
	for _, p := range plans {
		for _, it := range p.items {
			key := p.api + "\x00" + it.ID
			if containsEqual(seen[key], it) {
				continue
			}
			seen[key] = append(seen[key], it)
			byAPI[p.api] = append(byAPI[p.api], it)
			firstSeed[it] = p.seed
		}
	}
	return byAPI, firstSeed
}

func containsEqual(items []*suites.Item, it *suites.Item) bool {
	for _, other := range items {
		if reflect.DeepEqual(other, it) {
			return true
		}
	}
	return false
}

var _ = Describe("derived checks against the sandbox, seeds 1 to 50", func() {
	It("find nothing wrong with a correct implementation, whatever the seed", func() {
		// Zero false positives is the contract that lets derived checks join
		// every checklist run by default (docs/derived-checks.md). Every
		// seed is planned; the distinct items of all seeds then run in one
		// run against one sandbox, as a partner's run would send them.
		start := time.Now()
		plans := planSeeds(1, 50)
		planned := time.Since(start)
		perSeed := map[int64]int{}
		for _, p := range plans {
			perSeed[p.seed] += len(p.items)
		}
		for seed := int64(1); seed <= 50; seed++ {
			Expect(perSeed[seed]).To(Equal(144), "seed %d", seed)
		}

		byAPI, firstSeed := distinctItems(plans)
		sb, err := sandbox.New(sandbox.WithSettleAfter(100 * time.Millisecond))
		Expect(err).NotTo(HaveOccurred())
		srv := httptest.NewServer(sb)
		DeferCleanup(srv.Close)
		var jobs []runner.Job
		var order []*suites.Item // the items in the order the run reports them
		for _, name := range builtinAPIs {
			auth := builtinAuth(name)
			jobs = append(jobs, runner.Job{API: loadAPI(name), Suite: &suites.Suite{
				Name: name + "-derived", API: name, Source: "derived", Auth: auth, Items: byAPI[name],
			}})
			order = append(order, byAPI[name]...)
		}
		r, err := runner.New(runner.Target{BaseURL: srv.URL}, jobs,
			runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey}),
			runner.WithEnv(func(string) (string, bool) { return "", false }),
			runner.WithSeed(1), runner.WithConcurrency(8))
		Expect(err).NotTo(HaveOccurred())
		start = time.Now()
		run := r.Run(context.Background())

		Expect(run.Items).To(HaveLen(len(order)))
		// For whoever tunes this test; nothing is asserted on time.
		GinkgoWriter.Printf("%d items planned over 50 seeds in %s, %d distinct, run once each in %s\n",
			50*144, planned.Round(time.Millisecond), len(order), time.Since(start).Round(time.Millisecond))
		var failed []string
		for i, it := range run.Items {
			if it.Status != results.Pass {
				failed = append(failed, fmt.Sprintf("seed %d: %s (%s): %s", firstSeed[order[i]], it.ID, it.Status, it.Message))
			}
		}
		Expect(failed).To(BeEmpty())
	})
})
