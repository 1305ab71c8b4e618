package runner

// CallbackSchemaProblem exposes callbackSchemaProblem to the Ginkgo suite.
var CallbackSchemaProblem = callbackSchemaProblem

// NewEvidenceBudget exposes the run's evidence allowance (evidence.go).
var NewEvidenceBudget = newEvidenceBudget

// Take reserves n bytes of the run's evidence allowance.
func (b *evidenceBudget) Take(n int) bool { return b.take(n) }
