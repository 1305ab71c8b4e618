package runner

import "github.com/golive-cert/golive/specs"

// CallbackSchemaProblem exposes callbackSchemaProblem to the Ginkgo suite.
var CallbackSchemaProblem = func(api *specs.API, opID string, body []byte) string {
	return callbackSchemaProblem(api, newSchemaCache(api), opID, body)
}

// NewEvidenceBudget exposes the run's evidence allowance (evidence.go).
var NewEvidenceBudget = newEvidenceBudget

// Take reserves n bytes of the run's evidence allowance.
func (b *evidenceBudget) Take(n int) bool { return b.take(n) }

// Scheduling tells how a finished run's items were scheduled: the
// goroutines started to run them, and the most in progress at once.
func Scheduling(r *Runner) (workers, busiest int) {
	r.sched.mu.Lock()
	defer r.sched.mu.Unlock()
	return r.sched.workers, r.sched.busiest
}
