package uat

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Bounds on what the tracker keeps, so a session of 100,000 exchanges (or a
// client stuck in a loop) cannot grow memory without limit. Beyond them,
// grading still counts, it just keeps fewer examples.
const (
	maxPayments = 200_000
	maxExamples = 5
	// maxKept bounds the exchanges kept per payment as evidence, over the
	// whole session: payments beyond it are still graded, without evidence.
	maxKept = 2_000
)

// tracker follows the session's traffic as it is recorded: which cases were
// played, each payment's story, and the observations grading turns into
// items. One mutex guards it all; every observation is a few map lookups.
type tracker struct {
	timing Timing
	live   bool // a live session (not a HAR): scripted cases and callbacks exist

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every observation
	apis     map[string]*apiTrack
	order    []string // API names in session order
	tokens   map[string]*tokenUse
	issued   int
	problems int
	exchange int64
	started  time.Time
	kept     int // exchanges kept per payment (see maxKept)
	last     time.Time
	tlsOnly  bool // the session serves TLS
	plain    []*Exchange
	plainN   int
	tlsN     int // exchanges over TLS
}

type tokenUse struct {
	uses    int
	issued  bool
	expired bool
}

// apiTrack is one API's share of the session.
type apiTrack struct {
	name      string
	exchanges int64           // token requests included
	calls     int64           // requests of the API's own operations (no token requests)
	seen      map[string]bool // case kind -> played
	seenAt    []string        // case kinds in the order they were played
	payments  map[string]*payment
	// asked is when the client last sent anything about a reference (an
	// initiate or a status query). A held answer is recorded when the
	// handler sees the client gone, which may be after the client already
	// asked again: this keeps that follow-up from being lost to the order
	// in which exchanges are recorded.
	asked map[string]time.Time
	// asks are the earliest times the client sent something about each
	// reference (at most maxAsks), for "did it ask about the lost payment
	// before it made another" whatever order exchanges are recorded in.
	asks      map[string][]time.Time
	untracked int
	secured   int // secured calls that were not scripted

	invalid     examples // requests that break the spec
	invalidList []string // "field: rule (METHOD URL)" lines, bounded
	noToken     examples // secured calls without a live token
	expiries    []*expiry
	windows     []*window
	timeouts    []*payment
	second      examples // a second payment after a timeout
	reused      examples // a reference reused for a different payment
	mismatch    examples // preview and initiate disagree
	unknownRef  examples // status queries of references never initiated
	credsInURL  examples
	deliveries  map[string]*deliveryTally // by kind
	delivered   map[string]int            // reference -> deliveries done
	callbackURL bool
}

// examples counts observations and keeps the first few as evidence.
type examples struct {
	n  int
	ex []*Exchange
}

// keep returns ex while the session-wide budget of per-payment evidence
// lasts, nil afterwards; t.mu is held.
func (t *tracker) keep(ex *Exchange) *Exchange {
	if t.kept >= maxKept {
		return nil
	}
	t.kept++
	return ex
}

func (e *examples) add(ex *Exchange) {
	e.n++
	if len(e.ex) < maxExamples && ex != nil {
		e.ex = append(e.ex, ex)
	}
}

type payment struct {
	ref        string
	order      orderFields
	preview    *orderFields
	created    bool
	createdAt  time.Time
	settleBy   time.Time // live only: when the sandbox makes it final
	clientGone bool      // the client never got the initiate answer
	askedAgain bool      // ...and asked about it afterwards
	lastQuery  time.Time
	queries    int
	fastPolls  int
	finalSeen  bool
	afterFinal int
	firstEx    *Exchange
	pollEx     examples
	afterEx    examples
	acked      bool // a genuine callback was acknowledged
	second     bool // counted as a second payment after a timeout
}

type expiry struct {
	label      string
	at         time.Time
	answered   time.Time
	reused     int
	refreshed  bool
	ex, reuse  *Exchange
	simulated  bool
	callsAfter int
}

// window is a 503 with Retry-After: until end, the client should not retry.
type window struct {
	ref        string
	order      orderFields
	end        time.Time
	early      examples
	recovered  bool
	first      *Exchange
	retryAfter time.Duration
}

type deliveryTally struct {
	n   int
	bad examples // answered wrongly
	err examples // no answer at all
}

func newTracker(t Timing, live, tlsOnly bool, apis []string) *tracker {
	tr := &tracker{timing: t, live: live, tlsOnly: tlsOnly, changed: make(chan struct{}),
		apis: map[string]*apiTrack{}, tokens: map[string]*tokenUse{}}
	for _, name := range apis {
		tr.api(name)
	}
	return tr
}

func (t *tracker) api(name string) *apiTrack {
	a, ok := t.apis[name]
	if !ok {
		a = &apiTrack{name: name, seen: map[string]bool{}, payments: map[string]*payment{}, asked: map[string]time.Time{}, asks: map[string][]time.Time{},
			deliveries: map[string]*deliveryTally{}, delivered: map[string]int{}}
		t.apis[name] = a
		t.order = append(t.order, name)
	}
	return a
}

// signal wakes everyone waiting for a change; t.mu is held.
func (t *tracker) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// observe takes one exchange of the partner's client and reports which
// cases it played for the first time and how many problems it showed.
func (t *tracker) observe(f *fact) (newCases []string, problems int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.signal()
	t.exchange++
	if t.started.IsZero() {
		t.started = f.at
	}
	t.last = f.at
	before := t.problems
	if f.tls {
		t.tlsN++
	}
	if f.plainHTTP && t.tlsOnly {
		t.plainN++
		t.problems++
		if len(t.plain) < maxExamples {
			t.plain = append(t.plain, f.ex)
		}
	}
	if f.role == roleToken {
		t.observeToken(f)
		for _, name := range t.order {
			t.apis[name].exchanges++
			if f.credsInURL != "" {
				t.apis[name].credsInURL.add(f.ex)
			}
		}
		if f.credsInURL != "" {
			t.problems++
		}
		return nil, t.problems - before
	}
	if f.api == "" {
		return nil, 0
	}
	a := t.api(f.api)
	a.exchanges++
	a.calls++
	if f.credsInURL != "" {
		a.credsInURL.add(f.ex)
		t.problems++
	}
	if len(f.violations) > 0 {
		a.invalid.add(f.ex)
		for _, v := range f.violations {
			if len(a.invalidList) < 50 {
				a.invalidList = append(a.invalidList, v.Field+": "+v.Rule+" ("+f.ex.Method+" "+f.ex.URL+")")
			}
		}
		t.problems++
	}
	seenBefore := len(a.seenAt)
	if f.secured {
		t.observeAuth(a, f)
	}
	switch f.role {
	case rolePreview:
		t.observePreview(a, f)
	case roleInitiate:
		t.observeInitiate(a, f)
	case roleStatus:
		t.observeStatus(a, f)
	}
	for _, k := range a.seenAt[seenBefore:] {
		newCases = append(newCases, a.name+"."+k)
	}
	return newCases, t.problems - before
}

func (a *apiTrack) markSeen(kind string) {
	if !a.seen[kind] {
		a.seen[kind] = true
		a.seenAt = append(a.seenAt, kind)
	}
}

func (t *tracker) observeToken(f *fact) {
	if f.status/100 == 2 && f.token != "" {
		u := t.use(f.token)
		if !u.issued {
			u.issued = true
			t.issued++
		}
	}
}

func (t *tracker) use(label string) *tokenUse {
	u, ok := t.tokens[label]
	if !ok {
		if len(t.tokens) >= maxTokenLabels {
			return &tokenUse{}
		}
		u = &tokenUse{}
		t.tokens[label] = u
	}
	return u
}

// observeAuth follows the bearer token of a secured call: missing or
// unknown tokens, expiries (scripted or real) and what the client did next.
func (t *tracker) observeAuth(a *apiTrack, f *fact) {
	if f.simulated == CaseTokenExpiry {
		t.noteExpiry(a, f, true)
		return
	}
	if f.simulated != "" {
		return
	}
	u := (*tokenUse)(nil)
	if f.token != "" {
		u = t.use(f.token)
	}
	if f.status == 401 {
		if u != nil && (u.issued || u.uses > 0) {
			t.noteExpiry(a, f, false) // a token that worked before: it expired
			return
		}
		a.noToken.add(f.ex)
		t.problems++
		return
	}
	if u != nil {
		u.uses++
		if !u.issued {
			u.issued = true // issued before the recording began (HAR)
			t.issued++
		}
	}
	a.secured++
	for _, e := range a.expiries {
		if e.refreshed {
			continue
		}
		e.callsAfter++
		if f.token != e.label && f.token != "" {
			e.refreshed = true
		}
	}
}

func (t *tracker) noteExpiry(a *apiTrack, f *fact, simulated bool) {
	if simulated {
		a.markSeen(CaseTokenExpiry)
	}
	for _, e := range t.allExpiries() {
		if e.label != f.token {
			continue
		}
		// A request that left before the 401 reached the client was in
		// flight, not a reuse; one sent afterwards ignored the answer.
		if f.at.After(e.answered) {
			e.reused++
			if e.reuse == nil {
				e.reuse = f.ex
			}
			t.problems++
		}
		return
	}
	if u, ok := t.tokens[f.token]; ok {
		u.expired = true
	}
	a.expiries = append(a.expiries, &expiry{label: f.token, at: f.at, answered: f.answeredAt, ex: f.ex, simulated: simulated})
}

func (t *tracker) allExpiries() []*expiry {
	var out []*expiry
	for _, name := range t.order {
		out = append(out, t.apis[name].expiries...)
	}
	return out
}

func (t *tracker) payment(a *apiTrack, ref string) *payment {
	p, ok := a.payments[ref]
	if !ok {
		if len(a.payments) >= maxPayments {
			a.untracked++
			return &payment{ref: ref}
		}
		p = &payment{ref: ref}
		a.payments[ref] = p
	}
	return p
}

func (t *tracker) observePreview(a *apiTrack, f *fact) {
	if f.status != 200 || f.order.Ref == "" {
		return
	}
	p := t.payment(a, f.order.Ref)
	if !p.created {
		o := f.order
		p.preview = &o
	}
}

func (t *tracker) observeInitiate(a *apiTrack, f *fact) {
	ref := f.order.Ref
	if ref == "" {
		return
	}
	// A retry of a payment inside its 503 window, or after it.
	for _, w := range a.windows {
		if w.recovered || (w.ref != ref && !w.order.same(f.order)) || f.ex == w.first {
			continue
		}
		if f.at.Before(w.end) {
			w.early.add(f.ex)
			t.problems++
		}
		if f.status == 200 || f.errorCode == "DUPLICATE_ORDER_REFERENCE" {
			w.recovered = true
		}
	}
	if f.status == 503 {
		if f.simulated == CaseMaintenance {
			a.markSeen(CaseMaintenance)
		}
		if f.retryAfter > 0 && !t.inWindow(a, ref, f) {
			a.windows = append(a.windows, &window{ref: ref, order: f.order, end: f.answeredAt.Add(f.retryAfter),
				first: t.keep(f.ex), retryAfter: f.retryAfter})
		}
		return
	}
	p := t.payment(a, ref)
	a.noteAsked(ref, f.at)
	if p.clientGone && !p.askedAgain && f.at.After(p.createdAt) {
		p.askedAgain = true
	}
	switch {
	case f.status == 200 && !p.created:
		t.created(a, p, f)
	case f.status == 200 && p.created && !p.order.same(f.order):
		a.reused.add(f.ex) // accepted again: the API let a reference be reused
		t.problems++
	case f.errorCode == "DUPLICATE_ORDER_REFERENCE":
		a.markSeen(CaseDuplicate)
		if p.created && !p.order.same(f.order) {
			a.reused.add(f.ex)
			t.problems++
		}
	case f.status == 0 || (f.clientGone && f.status == 0):
		// HAR: no answer at all; whether it was created is unknown.
		p.order, p.clientGone, p.createdAt, p.firstEx = f.order, true, f.at, t.keep(f.ex)
		p.askedAgain = p.askedAgain || a.asked[ref].After(f.at)
		t.timedOut(a, p)
	}
}

// timedOut records a payment whose answer the client never got. A held
// answer is recorded when the handler sees the client gone, which under
// load can be after the client's retry was already recorded: a payment
// of the same payer and amount made since then is a second payment too.
func (t *tracker) timedOut(a *apiTrack, p *payment) {
	a.timeouts = append(a.timeouts, p)
	for _, q := range a.payments {
		if !q.second && a.secondAfter(p, q) {
			t.countSecond(a, q)
		}
	}
}

// secondAfter reports whether q is a second payment after p's timeout:
// made later, for the same payer and amount, before the client asked
// anything about p. Live counts use it as exchanges are recorded; grading
// applies it again once all are (recountSeconds).
func (a *apiTrack) secondAfter(p, q *payment) bool {
	return q != p && q.created && p.clientGone && q.createdAt.After(p.createdAt) && q.order.same(p.order) &&
		!a.askedBetween(p.ref, p.createdAt, q.createdAt)
}

// recountSeconds counts the second payments from every recorded exchange,
// in the order the payments were made; t.mu is held.
func (a *apiTrack) recountSeconds() {
	var qs []*payment
	for _, q := range a.payments {
		qs = append(qs, q)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].createdAt.Before(qs[j].createdAt) })
	a.second = examples{}
	for _, q := range qs {
		if slices.ContainsFunc(a.timeouts, func(p *payment) bool { return a.secondAfter(p, q) }) {
			a.second.add(q.firstEx)
		}
	}
}

// countSecond counts q, created while an earlier payment's answer was
// lost, as a second payment; t.mu is held.
func (t *tracker) countSecond(a *apiTrack, q *payment) {
	q.second = true
	a.second.add(q.firstEx)
	t.problems++
}

func (t *tracker) inWindow(a *apiTrack, ref string, f *fact) bool {
	for _, w := range a.windows {
		if !w.recovered && (w.ref == ref || w.order.same(f.order)) {
			return true
		}
	}
	return false
}

// created records a new payment and the cases it plays.
func (t *tracker) created(a *apiTrack, p *payment, f *fact) {
	p.created, p.order, p.createdAt, p.firstEx = true, f.order, f.at, t.keep(f.ex)
	p.clientGone = f.clientGone
	if p.clientGone && a.asked[p.ref].After(f.at) {
		p.askedAgain = true // the follow-up was recorded before this answer
	}
	if t.live {
		p.settleBy = f.at.Add(t.settleFor(f.order))
	}
	if p.preview != nil && !p.preview.same(f.order) {
		a.mismatch.add(f.ex)
		t.problems++
	}
	// A payment made while an earlier one of the same payer and amount
	// never got its answer: the client created a second payment.
	for _, old := range a.timeouts {
		if a.secondAfter(old, p) {
			t.countSecond(a, p)
			break
		}
	}
	if f.clientGone || f.simulated == CaseTimeout {
		a.markSeen(CaseTimeout)
	}
	if f.clientGone {
		t.timedOut(a, p)
	}
	if f.order.CallbackURL != "" {
		a.callbackURL = true
		a.markSeen(CaseCallback)
	}
	switch {
	case strings.HasSuffix(f.order.Phone, "999"):
		a.markSeen(CaseInsufficientFunds)
	case f.order.Amount == LongAmount:
		a.markSeen(CaseLongProcessing)
	case f.order.Amount == TimeoutAmount || f.order.Amount == MaintenanceAmount:
	default:
		a.markSeen(CaseSuccess)
	}
}

func (t *tracker) settleFor(o orderFields) time.Duration {
	if o.Amount == LongAmount {
		return t.timing.LongProcessing
	}
	return t.timing.Settle
}

func (t *tracker) observeStatus(a *apiTrack, f *fact) {
	if f.simulated != "" {
		return
	}
	a.noteAsked(f.ref, f.at)
	p, ok := a.payments[f.ref]
	if !ok || !p.created && !p.clientGone {
		if f.status == 404 {
			a.unknownRef.add(f.ex)
			t.problems++
		}
		return
	}
	if p.clientGone {
		p.askedAgain = true
	}
	if p.finalSeen {
		p.afterFinal++
		p.afterEx.add(t.keep(f.ex))
		if p.afterFinal == 2 {
			t.problems++
		}
	}
	if !p.lastQuery.IsZero() && f.at.Sub(p.lastQuery) < t.timing.MinPollInterval {
		p.fastPolls++
		p.pollEx.add(t.keep(f.ex))
		if p.fastPolls == 2 {
			t.problems++
		}
	}
	p.lastQuery = f.at
	p.queries++
	if f.status == 200 && isFinal(f.orderStatus) {
		p.finalSeen = true
	}
}

// delivery is one callback the session delivered to the client's receiver.
type delivery struct {
	api, ref, kind string
	status         int
	err            string
	took           time.Duration
	ex             *Exchange
}

// observeDelivery takes the outcome of one callback delivery.
func (t *tracker) observeDelivery(d delivery) (problems int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer t.signal()
	a := t.api(d.api)
	tally, ok := a.deliveries[d.kind]
	if !ok {
		tally = &deliveryTally{}
		a.deliveries[d.kind] = tally
	}
	tally.n++
	a.delivered[d.ref]++
	ok2xx := d.status/100 == 2
	switch {
	case d.err != "":
		tally.err.add(d.ex)
	case d.kind == CallbackTampered && ok2xx,
		d.kind == CallbackGenuine && (!ok2xx || d.took > t.timing.AckBudget),
		d.kind == CallbackDuplicate && !ok2xx:
		tally.bad.add(d.ex)
	default:
		if d.kind == CallbackGenuine {
			if p, ok := a.payments[d.ref]; ok {
				p.acked = true
			}
		}
		return 0
	}
	t.problems++
	return 1
}

// Kinds of callback delivery.
const (
	CallbackGenuine   = "genuine"
	CallbackDuplicate = "duplicate"
	CallbackTampered  = "tampered"
)

// progress is a snapshot for events.
func (t *tracker) progress(apis []string) (seen, total, problems int, exchanges int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range apis {
		total += len(caseKinds())
		if a, ok := t.apis[name]; ok {
			seen += len(a.seen)
		}
	}
	return seen, total, t.problems, t.exchange
}

// complete reports whether every case of apis was played, every payment's
// final state is known to the client and no callback is still due.
func (t *tracker) complete(apis []string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range apis {
		a, ok := t.apis[name]
		if !ok || len(a.seen) < len(caseKinds()) {
			return false
		}
		for _, p := range a.payments {
			if !p.created {
				continue
			}
			if !p.finalSeen && !p.clientGone {
				return false
			}
			if p.order.CallbackURL != "" && a.delivered[p.ref] < 3 {
				return false
			}
		}
		// A payment whose answer was lost (a timeout, a 503) is played to
		// its end only once the client asked about it again: ending before
		// would grade a slow client as one that gave up. A client that
		// never asks again keeps the session open until its deadline.
		for _, p := range a.timeouts {
			if !p.askedAgain {
				return false
			}
		}
		for _, w := range a.windows {
			if !w.recovered {
				return false
			}
		}
	}
	return true
}

// callbacksDue reports whether a created payment still waits for its
// three deliveries (it settles later, or they are being sent).
func (t *tracker) callbacksDue() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.apis {
		for _, p := range a.payments {
			if p.created && p.order.CallbackURL != "" && a.delivered[p.ref] < 3 {
				return true
			}
		}
	}
	return false
}

// wait returns a channel closed at the next observation.
func (t *tracker) wait() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}

// maxAsks bounds the times kept per reference: the earliest ones, which
// are the ones that can fall between a payment and the next (a client
// polling for hours keeps no more).
const maxAsks = 16

// noteAsked records that the client sent something about ref at at.
func (a *apiTrack) noteAsked(ref string, at time.Time) {
	if ref == "" {
		return
	}
	if at.After(a.asked[ref]) {
		a.asked[ref] = at
	}
	times := a.asks[ref]
	i, _ := slices.BinarySearchFunc(times, at, time.Time.Compare)
	if i < maxAsks {
		times = slices.Insert(times, i, at)
		a.asks[ref] = times[:min(len(times), maxAsks)]
	}
}

// askedBetween reports whether the client sent something about ref
// strictly between from and to.
func (a *apiTrack) askedBetween(ref string, from, to time.Time) bool {
	for _, at := range a.asks[ref] {
		if at.After(from) && at.Before(to) {
			return true
		}
	}
	return false
}
