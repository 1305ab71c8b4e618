// Package uat certifies a partner's own client: the merchant application
// that calls the BAU collections and payouts APIs. A Session serves the
// sandbox for that client on a listener, with credentials issued for the
// session, scripts the UAT cases (a payment that fails, one that stays
// PROCESSING, a maintenance window, an answer too slow to wait for, a
// token that expires...), records every exchange (masked, streamed to
// disk) and grades the recorded traffic against the client checklist into
// a results.Run, the same document every other golive run produces.
// GradeHAR grades a HAR recording made elsewhere with the items traffic
// alone can decide.
//
// The package knows nothing of flags or terminals: front ends (the CLI,
// the hub) build a Config, watch Events and write the reports.
package uat
