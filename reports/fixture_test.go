package reports_test

import (
	"time"

	"github.com/golive-cert/golive/results"
)

// Hostile strings a partner's endpoint might send back; every renderer must
// show them as text.
const (
	xssScript = `<script>alert(1)</script>`
	xssImg    = `"><img src=x onerror=alert(1)>`
	// ansiTrap would recolour the terminal and set its title; the NUL
	// is not even legal in XML.
	ansiTrap = "\x1b[31mred\x1b]0;owned\x07\x00"
)

var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// fixtureRun is a hand-made run: two APIs, every status, every severity and
// category, a polling flow, a transport error, a duplicate item and hostile
// target data. Each call returns a fresh copy.
func fixtureRun() *results.Run {
	items := []results.Item{
		{
			ID: "COL-001", API: "collections", Group: "payments", Title: "Initiate a payment returns 201",
			Kind: "check", Severity: results.Critical, Status: results.Pass,
			StartedAt: t0, DurationMs: 120,
			Exchanges: []results.Exchange{{
				Step: "initiate", Attempt: 1, StartedAt: t0, DurationMs: 118,
				Request:  results.Request{Method: "POST", URL: "https://partner.example/v1/payments", Headers: map[string]string{"Authorization": "Bearer ****"}, Body: `{"amount":"10.00"}`},
				Response: &results.Response{Status: 201, Body: `{"id":"p_1","status":"PENDING"}`},
			}},
		},
		{
			ID: "COL-002", API: "collections", Group: "payments", Title: "Payment status becomes final",
			Kind: "flow", Severity: results.Critical, Status: results.Fail, Category: results.Integration,
			Reason:   "the target answered every poll, but never with a final status",
			Message:  "status stayed PENDING after 3 polls over 2.0 s",
			Expected: "status in [SUCCESS, FAILED] within 2s",
			Actual:   "PENDING\nbody: " + xssScript + " " + xssImg + " " + ansiTrap,
			Step:     "poll-status",
			Curl:     `curl -X GET 'https://partner.example/v1/payments/p_2' -H 'Authorization: Bearer ****'`,
			Remediation: "Implement the check-status flow: a payment must reach SUCCESS or FAILED.\n" +
				"Return the final status from GET /v1/payments/{id}.",
			FAQ:       "https://docs.example/faq/collections#status-never-final",
			StartedAt: t0.Add(time.Second), DurationMs: 2100,
			Exchanges: []results.Exchange{
				{Step: "initiate", Attempt: 1, StartedAt: t0.Add(time.Second), DurationMs: 90,
					Request:  results.Request{Method: "POST", URL: "https://partner.example/v1/payments", Body: `{"amount":"10.00"}`},
					Response: &results.Response{Status: 201, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"id":"p_2"}`}},
				{Step: "poll-status", Attempt: 1, StartedAt: t0.Add(1100 * time.Millisecond), DurationMs: 40,
					Request:  results.Request{Method: "GET", URL: "https://partner.example/v1/payments/p_2"},
					Response: &results.Response{Status: 200, Body: `{"status":"PENDING","note":"` + xssScript + `"}`}},
				{Step: "poll-status", Attempt: 2, StartedAt: t0.Add(1600 * time.Millisecond), DurationMs: 41,
					Request:  results.Request{Method: "GET", URL: "https://partner.example/v1/payments/p_2"},
					Response: &results.Response{Status: 200, Headers: map[string]string{"X-Note": xssImg}, Body: xssImg + xssScript}},
				{Step: "poll-status", Attempt: 3, StartedAt: t0.Add(2600 * time.Millisecond), DurationMs: 39,
					Request:  results.Request{Method: "GET", URL: "https://partner.example/v1/payments/p_2"},
					Response: &results.Response{Status: 200, Body: `{"status":"PENDING"}`, Truncated: true}},
			},
		},
		{
			ID: "COL-003", API: "collections", Group: "payments", Title: "Amount echoed " + xssImg,
			Kind: "derived", Severity: results.Minor, Status: results.Fail, Category: results.Integration,
			Reason: "the response does not match the schema", Message: "amount is a number, want a string",
			Expected: `"amount": string`, Actual: `"amount": 10`,
			FAQ:       "javascript:alert(1)",
			StartedAt: t0.Add(3 * time.Second), DurationMs: 30,
		},
		{
			ID: "COL-004", API: "collections", Group: "refunds", Title: "Refund a payment",
			Kind: "flow", Severity: results.Major, Status: results.Skip,
			Reason:    "the spec has no refund operation",
			StartedAt: t0.Add(3 * time.Second),
		},
		{
			ID: "PAY-001", API: "payouts", Group: "payouts", Title: "Create a payout",
			Kind: "check", Severity: results.Major, Status: results.Error, Category: results.Connection,
			Reason: "no HTTP exchange: the TCP connection was refused", Message: "dial tcp 203.0.113.7:443: connect: connection refused",
			Expected: "a response", Actual: "connection refused",
			Cause: &results.Cause{Kind: results.CauseTransport, Operation: "createPayout", Method: "POST",
				Endpoint: "https://partner.example", Layer: "tcp", What: "TCP connect to 203.0.113.7:443 refused"},
			Curl:        `curl -X POST 'https://partner.example/v1/payouts'`,
			Remediation: "Check that the staging endpoint is reachable: curl or telnet to port 443, firewall rules.",
			FAQ:         "https://docs.example/faq/payouts#connection-refused",
			StartedAt:   t0.Add(4 * time.Second), DurationMs: 5000,
			Exchanges: []results.Exchange{{
				Step: "create", Attempt: 1, StartedAt: t0.Add(4 * time.Second), DurationMs: 5000,
				Request: results.Request{Method: "POST", URL: "https://partner.example/v1/payouts"},
				Error:   "dial tcp 203.0.113.7:443: connect: connection refused",
			}},
		},
		{
			ID: "PAY-002", API: "payouts", Group: "payouts", Title: "Payout status",
			Kind: "check", Severity: results.Critical, Status: results.Error, Category: results.System,
			Reason: "503 with Retry-After: the target is in maintenance", Message: "503 Service Unavailable",
			Expected: "200", Actual: "503",
			StartedAt: t0.Add(9 * time.Second), DurationMs: 80,
			Exchanges: []results.Exchange{{
				Attempt: 1, StartedAt: t0.Add(9 * time.Second), DurationMs: 80,
				Request:  results.Request{Method: "GET", URL: "https://partner.example/v1/payouts/x"},
				Response: &results.Response{Status: 503, Headers: map[string]string{"Retry-After": "120"}, Body: "<html>maintenance</html>"},
			}},
		},
		{
			ID: "PAY-003", API: "payouts", Title: "Responses within the latency budget",
			Kind: "latency", Severity: results.Minor, Status: results.Pass,
			StartedAt: t0.Add(10 * time.Second), DurationMs: 10,
		},
		// The same id and title twice in one group: JUnit names must still
		// come out unique.
		{
			ID: "PAY-004", API: "payouts", Title: "Rejects a missing amount",
			Kind: "derived", Severity: results.Major, Status: results.Pass,
			StartedAt: t0.Add(10 * time.Second), DurationMs: 12,
		},
		{
			ID: "PAY-004", API: "payouts", Title: "Rejects a missing amount",
			Kind: "derived", Severity: results.Major, Status: results.Pass,
			StartedAt: t0.Add(10 * time.Second), DurationMs: 11,
		},
	}
	problems := results.GroupProblems(items) // as the runner does
	return &results.Run{
		Problems: problems,
		Schema:   results.Schema,
		Tool:     results.Tool{Name: "golive", Version: "1.2.3"},
		RunID:    "run-20260314-0930",
		Seed:     42,
		Target:   results.Target{Partner: "Acme Pay " + xssScript, BaseURL: "https://partner.example", Environment: "staging"},
		APIs: []results.API{
			{Name: "collections", Title: "Collections API", Version: "2.1.0", OpenAPI: "3.0.3", Spec: "specs/collections.yaml",
				SpecSHA256: "1111111111111111111111111111111111111111111111111111111111111111",
				Suite:      "suites/collections.yaml", SuiteSHA256: "2222222222222222222222222222222222222222222222222222222222222222"},
			{Name: "payouts", Title: "Payouts API", Version: "1.0.0", OpenAPI: "3.1.0", Spec: "specs/payouts.yaml",
				SpecSHA256: "3333333333333333333333333333333333333333333333333333333333333333"},
		},
		StartedAt:  t0,
		FinishedAt: t0.Add(11 * time.Second),
		DurationMs: 11000,
		Verdict:    results.Decide(items, false),
		Summary:    results.Summarize(items),
		Items:      items,
	}
}
