package runner

import (
	"fmt"
	"sync"

	"github.com/golive-cert/golive/results"
)

// tripAfter is how many items must fail for connection or system reasons,
// with not one healthy response in the run, before the rest are not run.
const tripAfter = 4

// health watches the run for a target that cannot be tested at all (down,
// unreachable, in maintenance), so the run stops early with one diagnosis
// instead of sixty copies of the same failure.
type health struct {
	mu      sync.Mutex
	healthy bool // some response came back that was not a 5xx or 429
	down    int
	why     string
}

// observe records a finished item.
func (h *health) observe(ir *itemRun) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ex := range ir.exchanges {
		if ex.status != 0 && ex.status < 500 && ex.status != 429 {
			h.healthy = true
		}
	}
	if f := ir.failure; f != nil && (f.category == results.Connection || f.category == results.System) {
		h.down++
		if h.why == "" {
			h.why = f.message
		}
	}
}

// stopped says why the remaining items should not run, or "".
func (h *health) stopped() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.healthy || h.down < tripAfter {
		return ""
	}
	return fmt.Sprintf("not run: the first %d items failed for connection or system reasons and no healthy response came back (%s)", h.down, h.why)
}
