package derive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/suites"
)

// chargeServer implements testdata/detect/duplicate-ids.yaml. Its ids hold
// regular-expression characters; a repeated reference gets the charge it
// made (idempotent), or, when secondID is set, a second charge named by it.
func chargeServer(secondID func(first string) string) *httptest.Server {
	var (
		mu   sync.Mutex
		made = map[string]string{} // reference -> id
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Reference string }
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.URL.Path != "/charges" || json.NewDecoder(r.Body).Decode(&in) != nil || len(in.Reference) < 6 {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":"INVALID"}`))
			return
		}
		mu.Lock()
		id, again := made[in.Reference]
		if !again {
			id = fmt.Sprintf("ch.1(a+b)|%d", len(made))
			made[in.Reference] = id
		} else if secondID != nil {
			id = secondID(id)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"id": id, "reference": in.Reference})
	}))
	DeferCleanup(srv.Close)
	return srv
}

func runDuplicate(srv *httptest.Server) results.Item {
	GinkgoHelper()
	api := loadAPI("testdata/detect/duplicate-ids.yaml")
	items, err := derive.Plan(api, derive.Options{Seed: 1, Rules: []string{derive.RuleDuplicate}})
	Expect(err).NotTo(HaveOccurred())
	r, err := runner.New(runner.Target{BaseURL: srv.URL},
		[]runner.Job{{API: api, Suite: &suites.Suite{Name: "charges", API: api.Name, Source: "derived", Items: items}}},
		runner.WithEnv(func(string) (string, bool) { return "", false }), runner.WithSeed(1))
	Expect(err).NotTo(HaveOccurred())
	return resultOf(r.Run(context.Background()), "derived.createCharge.duplicate")
}

var _ = Describe("the duplicate check compares identities as text", func() {
	It("passes an idempotent create whose id holds regular-expression characters", func() {
		it := runDuplicate(chargeServer(nil))
		Expect(it.Status).To(Equal(results.Pass), it.Message)
	})

	It("fails a second resource whose id a regular expression of the first would match", func() {
		// "ch.1(a+b)|0" read as a pattern matches "chX1ab"; as text it is another id.
		it := runDuplicate(chargeServer(func(string) string { return "chX1ab" }))
		Expect(it.Status).To(Equal(results.Fail), it.Message)
		Expect(it.Category).To(Equal(results.Integration))
		Expect(it.Message).To(ContainSubstring(`"chX1ab"`))
	})
})
