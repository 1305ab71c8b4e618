package runner

import (
	"context"
	"errors"
	"time"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/results"
)

// diagnosis is what broke on the wire, and whose problem it is.
type diagnosis struct {
	status   results.Status
	category results.Category
	what     string // what happened, for the message and the evidence
	why      string // why this category, in one sentence
	layer    string // where it broke: dns, tcp, tls or http (doctor's layers)
}

// diagnose reads a broken exchange with the one network diagnosis golive
// doctor also uses (doctor.Diagnose), so a run and doctor never disagree
// about the same endpoint.
func diagnose(ex *exchange) diagnosis {
	f := doctor.Diagnose(wireOf(ex))
	d := diagnosis{status: results.Error, category: results.Connection, what: f.Message(), why: f.Why, layer: f.Layer}
	switch {
	case f.Interrupted:
		// The item is not finished rather than failed.
		d.status, d.category = results.Skip, ""
	case f.Category == doctor.System:
		d.category = results.System
	case f.Category == doctor.Integration:
		// The target answered, in HTTP no client can read: a defect of
		// the target, judged like any wrong answer.
		d.status, d.category = results.Fail, results.Integration
	}
	return d
}

// wireOf is the plain record of an exchange that the diagnosis reads.
func wireOf(ex *exchange) doctor.Wire {
	return doctor.Wire{
		URL:           ex.req.URL,
		Phases:        ex.wire.Phases(),
		Status:        ex.status,
		BodyBytes:     len(ex.body),
		ContentLength: ex.header.Get("Content-Length"),
		Err:           ex.err,
		Waited:        waited(ex),
	}
}

// waited is how long the exchange waited before it was cut: the request
// timeout when its own deadline fired, else what was measured (another
// timer, such as the transport's or the item's, fired first).
func waited(ex *exchange) time.Duration {
	if ex.timeout > 0 && errors.Is(ex.err, context.DeadlineExceeded) {
		if dl, ok := ex.req.Context().Deadline(); !ok || dl.Sub(ex.started) > ex.timeout-50*time.Millisecond {
			return ex.timeout
		}
	}
	return roundDur(ex.duration)
}
