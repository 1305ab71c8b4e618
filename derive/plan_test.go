package derive_test

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

var _ = Describe("planning the built-in APIs", func() {
	DescribeTable("plans the checks each rule promises, with stable ids",
		func(api string, expected []string) {
			items := planFor(api, derive.Options{Seed: 1})
			Expect(idsOf(items)).To(ContainElements(expected))
		},
		Entry("collections", "collections", []string{
			"derived.generateToken.positive",
			"derived.initiateUssdPush.positive",
			"derived.initiateUssdPush.reject-missing-body",
			"derived.initiateUssdPush.reject-missing-phoneNumber",
			"derived.initiateUssdPush.reject-missing-amount",
			"derived.initiateUssdPush.reject-wrong-type-amount",
			"derived.initiateUssdPush.reject-pattern-phoneNumber",
			"derived.initiateUssdPush.reject-enum-currency",
			"derived.initiateUssdPush.reject-unknown-property",
			"derived.initiateUssdPush.reject-malformed-json",
			"derived.initiateUssdPush.reject-wrong-content-type",
			"derived.initiateUssdPush.auth-none",
			"derived.initiateUssdPush.auth-invalid",
			"derived.initiateUssdPush.boundary-amount-longest",
			"derived.getCollectionStatus.positive",
			"derived.getCollectionStatus.reject-pattern-path.orderReference",
			"derived.getCollectionStatus.auth-none",
			"derived.initiateUssdPush.stateful-getCollectionStatus",
			"derived.getCollectionStatus.stateful-not-found",
			"derived.latency",
		}),
		Entry("payouts", "payouts", []string{
			"derived.createPayout.positive",
			"derived.createPayout.reject-missing-phoneNumber",
			"derived.createPayout.reject-pattern-amount",
			"derived.createPayout.reject-unknown-property",
			"derived.createPayout.auth-invalid",
			"derived.previewPayout.positive",
			"derived.getPayoutStatus.auth-none",
			"derived.createPayout.stateful-getPayoutStatus",
			"derived.getPayoutStatus.stateful-not-found",
			"derived.latency",
		}),
	)

	It("never pairs the preview (which creates nothing) with the status read", func() {
		items := planFor("collections", derive.Options{Seed: 1})
		Expect(idsOf(items)).NotTo(ContainElement("derived.previewUssdPush.stateful-getCollectionStatus"))
	})

	DescribeTable("every item is a complete checklist item the runner accepts",
		func(api string) {
			items := planFor(api, derive.Options{Seed: 3})
			Expect(items).NotTo(BeEmpty())
			seen := map[string]bool{}
			for _, it := range items {
				Expect(seen[it.ID]).To(BeFalse(), "duplicate id "+it.ID)
				seen[it.ID] = true
				Expect(it.ID).To(MatchRegexp(`^derived\.[A-Za-z0-9_.-]+$`))
				rule := strings.TrimPrefix(it.Group, "derived.")
				Expect(it.Group).To(HavePrefix("derived."))
				Expect(rule).To(BeElementOf("positive", "negative", "auth", "boundary", "stateful", "duplicate", "latency"))
				Expect(it.Title).NotTo(BeEmpty(), it.ID)
				Expect(it.Remediation).To(HaveSuffix("."), it.ID)
				Expect(it.FAQ).To(Equal("docs/faq/derived.md#derived-"+rule), it.ID)
				Expect(it.Severity).To(BeElementOf(results.Critical, results.Major, results.Minor), it.ID)
				Expect(it.Skip).To(BeEmpty(), it.ID)
				for _, st := range it.Steps() {
					Expect(it.Remediation).To(ContainSubstring(st.Operation), it.ID)
				}
			}
			s := &suites.Suite{Name: "derived", API: api, Source: "derived", Auth: builtinAuth(api), Items: items}
			Expect(suites.Check(s, loadAPI(api), []string{"clientId", "apiKey"}, nil)).To(Succeed())
		},
		Entry("collections", "collections"),
		Entry("payouts", "payouts"),
	)

	DescribeTable("is reproducible: the same seed gives the same requests, another seed other values under the same ids",
		func(api string) {
			first := planFor(api, derive.Options{Seed: 42})
			again := planFor(api, derive.Options{Seed: 42})
			other := planFor(api, derive.Options{Seed: 43})
			Expect(idsOf(again)).To(Equal(idsOf(first)))
			Expect(fingerprint(again)).To(Equal(fingerprint(first)))
			Expect(idsOf(other)).To(Equal(idsOf(first)))
			Expect(fingerprint(other)).NotTo(Equal(fingerprint(first)))
		},
		Entry("collections", "collections"),
		Entry("payouts", "payouts"),
	)

	DescribeTable("sends valid requests where it means to and invalid ones where it means to",
		func(api string) {
			doc := loadAPI(api)
			for _, seed := range []int64{1, 2, 3} {
				for _, it := range planFor(api, derive.Options{Seed: seed}) {
					switch it.Group {
					case "derived.positive", "derived.boundary", "derived.auth":
						Expect(validate(doc, it.Check)).To(Succeed(), it.ID)
					case "derived.negative":
						Expect(validate(doc, it.Check)).NotTo(Succeed(), it.ID)
					case "derived.stateful":
						Expect(validate(doc, it.Steps()[0])).To(Succeed(), it.ID)
					}
				}
			}
		},
		Entry("collections", "collections"),
		Entry("payouts", "payouts"),
	)

	It("gives every create a run-unique reference", func() {
		items := planFor("collections", derive.Options{Seed: 1})
		for _, id := range []string{"derived.initiateUssdPush.positive", "derived.initiateUssdPush.auth-none", "derived.initiateUssdPush.boundary-amount-longest"} {
			body, err := itemByID(items, id).Check.Request.Body.Render(func(r tmplRef) (any, bool) {
				return "<" + r.String() + ">", true
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(body).To(ContainElement(suites.KV{Key: "orderReference", Value: "<gen.reference>"}), id)
		}
	})

	It("reads back what it created and compares amounts as decimals", func() {
		it := itemByID(planFor("collections", derive.Options{Seed: 1}), "derived.initiateUssdPush.stateful-getCollectionStatus")
		Expect(it.Flow).To(HaveLen(2))
		create, read := it.Flow[0], it.Flow[1]
		Expect(create.Operation).To(Equal("initiateUssdPush"))
		Expect(read.Operation).To(Equal("getCollectionStatus"))
		Expect(create.Capture).To(ContainElement(HaveField("Path", "orderReference")))
		ref, err := read.Request.Path.Get("orderReference").RenderString(func(r tmplRef) (any, bool) { return r.String(), true })
		Expect(err).NotTo(HaveOccurred())
		Expect(ref).To(HavePrefix("capture."))
		byPath := map[string]*suites.Matcher{}
		for _, pm := range read.Expect.Body {
			byPath[pm.Path] = pm.Matcher
		}
		Expect(byPath).To(HaveKey("amount"))
		Expect(byPath["amount"].Decimal).NotTo(BeNil())
		Expect(byPath).To(HaveKey("currency"))
		Expect(byPath["currency"].Equals).NotTo(BeNil())
		Expect(byPath).To(HaveKey("orderReference"))
		Expect(byPath).To(HaveKey("id"))
		Expect(byPath).NotTo(HaveKey("status"), "the status may move on between create and read")
	})

	It("gives each rule its severity, and lets rules and items be overridden", func() {
		items := planFor("collections", derive.Options{Seed: 1})
		Expect(itemByID(items, "derived.initiateUssdPush.positive").Severity).To(Equal(results.Major))
		Expect(itemByID(items, "derived.initiateUssdPush.reject-missing-phoneNumber").Severity).To(Equal(results.Major))
		Expect(itemByID(items, "derived.initiateUssdPush.auth-none").Severity).To(Equal(results.Critical))
		Expect(itemByID(items, "derived.initiateUssdPush.boundary-amount-longest").Severity).To(Equal(results.Major))
		Expect(itemByID(items, "derived.initiateUssdPush.stateful-getCollectionStatus").Severity).To(Equal(results.Critical))
		Expect(itemByID(items, "derived.getCollectionStatus.stateful-not-found").Severity).To(Equal(results.Major))
		Expect(itemByID(items, "derived.latency").Severity).To(Equal(results.Minor))

		items = planFor("collections", derive.Options{Seed: 1, Severity: map[string]results.Severity{
			"negative": results.Minor,
			"derived.initiateUssdPush.reject-missing-phoneNumber": results.Critical,
			"stateful": results.Major,
		}})
		Expect(itemByID(items, "derived.initiateUssdPush.reject-missing-amount").Severity).To(Equal(results.Minor))
		Expect(itemByID(items, "derived.initiateUssdPush.reject-missing-phoneNumber").Severity).To(Equal(results.Critical))
		Expect(itemByID(items, "derived.initiateUssdPush.stateful-getCollectionStatus").Severity).To(Equal(results.Major))
		Expect(itemByID(items, "derived.initiateUssdPush.auth-none").Severity).To(Equal(results.Critical))
	})

	It("plans only the rules asked for", func() {
		items := planFor("payouts", derive.Options{Seed: 1, Rules: []string{"negative", "latency"}})
		Expect(items).NotTo(BeEmpty())
		for _, it := range items {
			Expect(it.Group).To(BeElementOf("derived.negative", "derived.latency"))
		}
	})

	It("changes nothing in production unless writes are allowed", func() {
		api := loadAPI("collections")
		items := planFor("collections", derive.Options{Seed: 1, Production: true})
		Expect(items).NotTo(BeEmpty())
		for _, it := range items {
			for _, st := range it.Steps() {
				// GET, or the token request the document marks x-golive-safe.
				Expect(api.Operation(st.Operation).ChangesData()).To(BeFalse(), it.ID)
			}
		}
		Expect(idsOf(items)).To(ContainElement("derived.getCollectionStatus.stateful-not-found"))
		Expect(idsOf(items)).NotTo(ContainElement("derived.initiateUssdPush.stateful-getCollectionStatus"))

		all := planFor("collections", derive.Options{Seed: 1, Production: true, AllowWrites: true})
		Expect(idsOf(all)).To(Equal(idsOf(planFor("collections", derive.Options{Seed: 1}))))
	})

	It("puts the latency budget in its one latency item", func() {
		items := planFor("collections", derive.Options{Seed: 1})
		Expect(inGroup(items, "derived.latency")).To(HaveLen(1))
		Expect(itemByID(items, "derived.latency").Latency.Budget.Duration).To(Equal(2 * time.Second))
		items = planFor("collections", derive.Options{Seed: 1, LatencyBudget: 750 * time.Millisecond})
		Expect(itemByID(items, "derived.latency").Latency.Budget.Duration).To(Equal(750 * time.Millisecond))
	})

	It("accepts a 401 from the token operation when it had to invent the credentials", func() {
		items, err := derive.Plan(loadAPI("collections"), derive.Options{Seed: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(itemByID(items, "derived.generateToken.positive").Check.Expect.Status.Codes).To(ContainElement(401))
		items = planFor("collections", derive.Options{Seed: 1})
		Expect(itemByID(items, "derived.generateToken.positive").Check.Expect.Status.Codes).To(Equal([]int{200}))
	})

	DescribeTable("refuses options it cannot honour",
		func(opts derive.Options, message string) {
			_, err := derive.Plan(loadAPI("collections"), opts)
			Expect(err).To(MatchError(ContainSubstring(message)))
		},
		Entry("an unknown rule", derive.Options{Rules: []string{"fuzz"}}, `unknown rule "fuzz"`),
		Entry("a severity that is not one", derive.Options{Severity: map[string]results.Severity{"auth": "blocker"}}, `"blocker" is not critical, major or minor`),
		Entry("an override that names nothing", derive.Options{Severity: map[string]results.Severity{"negatives": results.Minor}}, `severity override "negatives"`),
		Entry("a negative budget", derive.Options{LatencyBudget: -time.Second}, "must not be negative"),
	)

	It("lists its rules with a description and a default severity", func() {
		var names []string
		for _, r := range derive.Rules() {
			names = append(names, r.Name)
			Expect(r.Description).NotTo(BeEmpty())
			Expect(r.Severity).To(BeElementOf(results.Critical, results.Major, results.Minor))
		}
		Expect(names).To(Equal([]string{"positive", "negative", "auth", "boundary", "stateful", "duplicate", "latency"}))
	})
})
