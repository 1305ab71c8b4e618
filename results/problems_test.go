package results_test

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
)

// failed is a failed item with a cause.
func failed(id string, sev results.Severity, cat results.Category, c *results.Cause) results.Item {
	status := results.Fail
	if cat != results.Integration {
		status = results.Error
	}
	return results.Item{ID: id, API: "collections", Kind: "derived", Status: status, Severity: sev, Category: cat, Cause: c,
		Message: "failed: " + id, Remediation: "fix " + id, FAQ: "docs/faq/derived.md#derived-negative"}
}

func schemaCause(op string, status int, vs ...results.Violation) *results.Cause {
	return &results.Cause{Kind: results.CauseSchema, Operation: op, Method: "POST", Status: status, Violations: vs}
}

var (
	createdAt = results.Violation{Pointer: "/create_time", Rule: "pattern", Reason: `string doesn't match the regular expression "^[0-9]{4}"`}
	amount    = results.Violation{Pointer: "/amount", Rule: "type", Reason: "value must be a string"}
)

func ids(p results.Problem) []string {
	var out []string
	for _, it := range p.Items {
		s := it.ID
		if it.Also {
			s += " (also)"
		}
		out = append(out, s)
	}
	return out
}

var _ = Describe("grouping failures into problems", func() {
	It("makes one problem of the same schema violation, with every item and operation it affects", func() {
		items := []results.Item{
			failed("A", results.Major, results.Integration, schemaCause("create", 201, createdAt)),
			{ID: "OK", Status: results.Pass, Severity: results.Critical},
			failed("B", results.Major, results.Integration, schemaCause("create", 201, createdAt)),
			failed("C", results.Critical, results.Integration, schemaCause("create", 201, createdAt)),
			// Another operation returning the same object, broken the same way.
			failed("D", results.Minor, results.Integration, schemaCause("get", 200, createdAt)),
			// Another rule at another pointer: another problem.
			failed("E", results.Minor, results.Integration, schemaCause("get", 200, amount)),
		}
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(2))
		Expect(ps[0].ID).To(Equal("P1"))
		Expect(ps[0].Severity).To(Equal(results.Critical), "the most serious affected item's")
		Expect(ids(ps[0])).To(Equal([]string{"A", "B", "C", "D"}))
		Expect(ps[0].Operations).To(Equal([]string{"create", "get"}))
		Expect(ps[0].Pointer).To(Equal("/create_time"))
		Expect(ps[0].Rule).To(Equal("pattern"))
		Expect(ps[0].Title).To(HavePrefix(`In the responses of create (201) and get (200), field "create_time" (/create_time) breaks its "pattern" rule`))
		Expect(ps[0].Fix).To(ContainSubstring("One fix clears every affected item"))
		Expect(ps[0].FAQ).To(Equal("docs/faq/derived.md#derived-negative"))
		Expect(ids(ps[1])).To(Equal([]string{"E"}))
		Expect(ps[1].Title).To(HavePrefix(`In the 200 response of get, field "amount" (/amount) breaks its "type" rule: value must be a string.`))
		Expect(items[0].Problem).To(Equal("P1"))
		Expect(items[1].Problem).To(BeEmpty(), "a passed item has no problem")
		Expect(items[5].Problem).To(Equal("P2"))
	})

	It("links a problem no one item is about to its category's section of the API's FAQ", func() {
		own := func(id string, c *results.Cause, cat results.Category) results.Item {
			it := failed(id, results.Critical, cat, c)
			it.FAQ = "docs/faq/collections.md#token-reuse" // what the item checks, not why it failed
			return it
		}
		transport := &results.Cause{Kind: results.CauseTransport, Endpoint: "https://partner.example", Layer: "tcp", What: "refused"}
		ps := results.GroupProblems([]results.Item{
			own("A", schemaCause("create", 201, amount), results.Integration),
			own("B", transport, results.Connection),
			failed("C", results.Minor, results.Integration, schemaCause("get", 200, createdAt)),
		})
		faq := map[string]string{}
		for _, p := range ps {
			faq[p.Items[0].ID] = p.FAQ
		}
		Expect(faq).To(Equal(map[string]string{
			"A": "docs/faq/collections.md#integration-issues",
			"B": "docs/faq/collections.md#connection-issues",
			"C": "docs/faq/derived.md#derived-negative", // a derived check's answer is about its rule
		}))
	})

	It("says what came at the pointer when the evidence has the body", func() {
		it := failed("A", results.Major, results.Integration, schemaCause("collections.create", 201, createdAt))
		it.Exchanges = []results.Exchange{{Response: &results.Response{Status: 201, Body: `{"create_time":"stringstring"}`}}}
		ps := results.GroupProblems([]results.Item{it})
		Expect(ps[0].Title).To(HaveSuffix(`It came as "stringstring".`))
	})

	It("shows a further violation of the same response by reference: the item fails for its first one", func() {
		items := []results.Item{
			failed("A", results.Major, results.Integration, schemaCause("collections.create", 400, createdAt)),
			failed("NEG", results.Major, results.Integration, schemaCause("collections.create", 400, amount, createdAt)),
		}
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(2))
		byPointer := map[string]results.Problem{}
		for _, p := range ps {
			byPointer[p.Pointer] = p
		}
		Expect(ids(byPointer["/create_time"])).To(Equal([]string{"A", "NEG (also)"}))
		Expect(ids(byPointer["/amount"])).To(Equal([]string{"NEG"}))
		Expect(items[1].Problem).To(Equal(byPointer["/amount"].ID))
		Expect(items[1].AlsoProblems).To(Equal([]string{byPointer["/create_time"].ID}))
	})

	It("makes one problem of a target that is reachable but not serving, whatever each item checked", func() {
		down := func(op string, kind results.CauseKind) *results.Cause {
			return &results.Cause{Kind: kind, Operation: op, Status: 503, Endpoint: "https://partner.example"}
		}
		items := []results.Item{
			failed("A", results.Critical, results.System, down("create", results.CauseServerError)),
			failed("B", results.Major, results.System, down("get", results.CauseServerError)),
			failed("C", results.Major, results.System, down("list", results.CauseSchema)), // a 200 maintenance page
		}
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(1))
		Expect(ids(ps[0])).To(Equal([]string{"A", "B", "C"}))
		Expect(ps[0].Title).To(Equal("The target https://partner.example is reachable but not serving: it answered 503 Service Unavailable"))
		Expect(ps[0].Diagnosis).NotTo(BeNil())
	})

	It("makes one problem with a diagnosis of a target that cannot be reached, with the partner's own commands", func() {
		refused := &results.Cause{Kind: results.CauseTransport, Endpoint: "https://partner.example:8443", Layer: "tcp",
			What: "TCP connect to 10.0.0.1:8443 refused", Operation: "collections.create"}
		var items []results.Item
		for i := range 7 {
			items = append(items, failed(fmt.Sprint("T", i), results.Major, results.Connection, refused))
		}
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(1))
		p := ps[0]
		Expect(p.Kind).To(Equal(results.CauseTransport))
		Expect(p.Items).To(HaveLen(7))
		Expect(p.Title).To(Equal("The target https://partner.example:8443 cannot be reached at the TCP layer: TCP connect to 10.0.0.1:8443 refused"))
		Expect(p.Diagnosis).NotTo(BeNil())
		Expect(p.Diagnosis.Layer).To(Equal("tcp"))
		Expect(p.Diagnosis.Commands).To(Equal([]string{
			"nslookup partner.example",
			"telnet partner.example 8443",
			"openssl s_client -connect partner.example:8443 -servername partner.example </dev/null",
			"curl -v https://partner.example:8443/",
			"golive doctor https://partner.example:8443",
		}))
	})

	It("makes one problem of an operation answering 5xx, and one of a missing operation", func() {
		five := &results.Cause{Kind: results.CauseServerError, Operation: "collections.create", Status: 500}
		gone := &results.Cause{Kind: results.CauseMissingOperation, Operation: "collections.refund", Method: "POST", Status: 404}
		items := []results.Item{
			failed("A", results.Major, results.Integration, five),
			failed("B", results.Minor, results.Integration, gone),
			failed("C", results.Major, results.Integration, five),
			failed("D", results.Major, results.Integration, gone),
		}
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(2))
		Expect(ps[0].Kind).To(Equal(results.CauseServerError))
		Expect(ids(ps[0])).To(Equal([]string{"A", "C"}))
		Expect(ps[0].Title).To(Equal("collections.create answers 500: the target fails on it instead of answering"))
		Expect(ps[1].Kind).To(Equal(results.CauseMissingOperation))
		Expect(ids(ps[1])).To(Equal([]string{"B", "D"}))
	})

	It("groups derived checks of one operation that got the same wrong status, and keeps a hand-written item's own", func() {
		accepted := func() *results.Cause {
			return &results.Cause{Kind: results.CauseStatus, Operation: "collections.create", Status: 200, Expected: "4xx"}
		}
		items := []results.Item{
			failed("N1", results.Major, results.Integration, accepted()),
			failed("N2", results.Major, results.Integration, accepted()),
			failed("COL-9", results.Major, results.Integration, accepted()),
			failed("OWN", results.Critical, results.Integration, &results.Cause{Kind: results.CauseCheck}),
		}
		items[2].Kind = "check"
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(3))
		Expect(ids(ps[0])).To(Equal([]string{"OWN"}), "critical first")
		Expect(ps[0].Title).To(Equal("failed: OWN"))
		Expect(ps[0].Fix).To(Equal("fix OWN"))
		Expect(ids(ps[1])).To(Equal([]string{"N1", "N2"}), "more items first within a severity")
		Expect(ps[1].Title).To(Equal("collections.create accepts invalid requests: it answered 200 where 4xx was expected"))
		Expect(ids(ps[2])).To(Equal([]string{"COL-9"}))
	})

	It("makes one problem of every item failed by the one token request they share", func() {
		token := func() *results.Cause {
			return &results.Cause{Kind: results.CauseStatus, Operation: "generateToken", Status: 401, Expected: "200, 201", Shared: true}
		}
		items := []results.Item{
			failed("COL-002", results.Critical, results.Integration, token()),
			failed("COL-003", results.Major, results.Integration, token()),
		}
		items[0].Kind, items[1].Kind = "check", "flow"
		ps := results.GroupProblems(items)
		Expect(ps).To(HaveLen(1))
		Expect(ids(ps[0])).To(Equal([]string{"COL-002", "COL-003"}))
		Expect(ps[0].Title).To(HavePrefix("golive could not get a token: generateToken answered 401"))
	})

	It("links a shared token failure to the FAQ of the item that checks the token itself", func() {
		shared := &results.Cause{Kind: results.CauseStatus, Operation: "generateToken", Status: 401, Expected: "200, 201", Shared: true}
		own := &results.Cause{Kind: results.CauseStatus, Operation: "generateToken", Status: 401, Expected: "200"}
		items := []results.Item{
			failed("COL-005", results.Critical, results.Integration, shared),
			failed("COL-001", results.Critical, results.Integration, own),
			failed("COL-006", results.Critical, results.Integration, shared),
		}
		items[0].FAQ = "docs/faq/collections.md#preview"
		items[1].FAQ = "docs/faq/collections.md#token-issued"
		items[2].FAQ = "docs/faq/collections.md#initiate"
		ps := results.GroupProblems(items)
		var sharedProblem *results.Problem
		for i := range ps {
			if slices.Contains(ids(ps[i]), "COL-005") {
				sharedProblem = &ps[i]
			}
		}
		Expect(sharedProblem).NotTo(BeNil())
		Expect(ids(*sharedProblem)).To(Equal([]string{"COL-005", "COL-006"}))
		Expect(sharedProblem.FAQ).To(Equal("docs/faq/collections.md#token-issued"))
	})

	It("orders by severity, then category (connection first), and is the same every time", func() {
		items := []results.Item{
			failed("I", results.Major, results.Integration, &results.Cause{Kind: results.CauseCheck}),
			failed("S", results.Major, results.System, &results.Cause{Kind: results.CauseServerError, Operation: "x", Status: 503}),
			failed("C", results.Major, results.Connection, &results.Cause{Kind: results.CauseTransport, Endpoint: "http://h:1", Layer: "tcp"}),
			failed("m", results.Minor, results.Connection, &results.Cause{Kind: results.CauseCheck}),
			{ID: "nil-cause", Status: results.Fail, Severity: results.Critical, Message: "old results without causes"},
		}
		first := results.GroupProblems(items)
		var order []string
		for _, p := range first {
			order = append(order, p.Items[0].ID)
		}
		Expect(order).To(Equal([]string{"nil-cause", "C", "S", "I", "m"}))
		Expect(results.GroupProblems(items)).To(Equal(first))
	})
})

var _ = Describe("reading the validator's problem list", func() {
	DescribeTable("into violations",
		func(text string, want []results.Violation) {
			Expect(results.ParseViolations(text)).To(Equal(want))
		},
		Entry("one", `body /status: value is not one of the allowed values ["A","B"] (rule: enum)`,
			[]results.Violation{{Pointer: "/status", Rule: "enum", Reason: `value is not one of the allowed values ["A","B"]`}}),
		Entry("several, and more", `body /a: value must be a string (rule: type); /b/0: property "id" is missing (rule: required); /: x (and 4 more)`,
			[]results.Violation{
				{Pointer: "/a", Rule: "type", Reason: "value must be a string"},
				{Pointer: "/b/0", Rule: "required", Reason: `property "id" is missing`},
				{Pointer: "/", Reason: "x"},
			}),
		Entry("not a body list", "status 418 is not documented for this operation", nil),
		Entry("not JSON", "body is not valid JSON: unexpected EOF", nil),
	)
})
