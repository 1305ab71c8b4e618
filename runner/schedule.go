package runner

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// scheduler decides when items start and when their requests go out.
//
// --concurrency bounds requests in flight against the target, which is what
// a partner's rate limits see; it does not bound items. A request holds a
// slot from the moment it is sent until its response body has been read (a
// one-shot step's until its response has been judged when the body is over
// judgedInSlotAbove, step.go, so large bodies read but not judged never
// pile up behind the items in progress),
// and an item that is only waiting (between poll attempts, for a callback)
// holds none, so a run whose flows poll for 30 s takes 30 s, not 30 s per
// concurrency-sized batch. Flows still send their steps in order: each item
// runs on one goroutine.
//
// Items in progress are bounded too, so a huge plan never starts a goroutine
// per item:
//   - at most maxItemsInProgress(concurrency);
//   - until the target has given one healthy answer, at most concurrency, so
//     a target that is down or in maintenance gets no more requests before
//     the run stops early (health) than it did when items were the unit;
//   - a new item starts only while fewer than concurrency started items
//     have yet to take their first request slot (the gate): the next
//     item builds its request while this one is in flight, and while the
//     target is saturated, items in progress are not joined by more that
//     would queue behind them, so an item's requests wait behind a few
//     others', not behind hundreds (and item timeouts measure the target,
//     not golive's queue).
//
// Items run on workers that outlive them (worker), so the few goroutines a
// run needs grow their stacks once, not once per item.
type scheduler struct {
	slots chan struct{} // one token per request in flight

	most int // items in progress once the target has answered healthily

	// answered is set by the first response that is neither a 5xx nor a 429.
	answered atomic.Bool

	mu       sync.Mutex
	room     *sync.Cond // signalled when an item leaves, takes its first slot, or the bound is lifted
	running  int
	fresh    int      // started items that have not yet taken a request slot
	idle     []worker // workers between items, newest last
	dispatch sync.WaitGroup

	// What the specs hold the scheduling to.
	workers int // goroutines started to run items
	busiest int // most items in progress at once
}

// worker hands items to one goroutine that outlives them. A goroutine per
// item grew its stack from the runtime's small default to what building a
// request and validating a response take, copying it at each doubling (about
// 7% of a simple check's CPU, profiled); a worker grows it once. Buffered,
// so start never waits on it.
type worker chan func() *ticket

// ticket is an item's place at the gate: fresh until the item takes its
// first request slot or ends.
type ticket struct{ fresh atomic.Bool }

type ticketKey struct{}

// maxItemsInProgress bounds the items a run has started and not finished.
// Waiting items are cheap (a parked goroutine and the evidence they will
// keep anyway), and a plan of a few hundred flows that all poll should wait
// side by side; 8 per request slot covers higher concurrencies.
func maxItemsInProgress(concurrency int) int { return max(256, 8*concurrency) }

func newScheduler(concurrency int) *scheduler {
	s := &scheduler{slots: make(chan struct{}, concurrency), most: maxItemsInProgress(concurrency)}
	s.room = sync.NewCond(&s.mu)
	return s
}

// acquire waits for a request slot; false when ctx ended first. Either way
// the item has had its turn at the gate.
func (s *scheduler) acquire(ctx context.Context) bool {
	defer s.through(ctx)
	select {
	case s.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// through lets the next item past the gate once ctx's item has taken its
// first slot (or failed to).
func (s *scheduler) through(ctx context.Context) {
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	if t == nil || !t.fresh.CompareAndSwap(true, false) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fresh--
	s.room.Signal()
}

func (s *scheduler) release() { <-s.slots }

// judgedInSlotAbove is the response size above which a one-shot step keeps
// its request slot while its response is judged. Smaller bodies are judged
// after the slot is free, overlapping golive's work with the next request;
// they add at most this much per item in progress to memory (16 MiB at the
// default bound of 256 items).
const judgedInSlotAbove = 64 << 10

// slotHeld marks a context whose caller already holds a request slot for
// the request it sends (a one-shot step, until its response is judged).
type slotHeld struct{}

func holdingSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, slotHeld{}, true)
}

func holdsSlot(ctx context.Context) bool { held, _ := ctx.Value(slotHeld{}).(bool); return held }

// observe notes a response: the first healthy one lifts the start-up bound
// on items in progress (the same rule as health's).
func (s *scheduler) observe(status int) {
	healthy := status != 0 && status < http.StatusInternalServerError && status != http.StatusTooManyRequests
	if healthy && !s.answered.Load() && !s.answered.Swap(true) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.room.Signal()
	}
}

// start runs item on a worker once there is room for it (see the type's
// comment), with a ctx that carries the item's ticket. It blocks the caller,
// the run's only dispatcher, until then. A ctx that ends does not stop the
// dispatching: items are started and report themselves not run, each
// passing the gate as it fails to get a slot or ends.
func (s *scheduler) start(ctx context.Context, item func(context.Context)) {
	t := &ticket{}
	t.fresh.Store(true)
	ctx = context.WithValue(ctx, ticketKey{}, t)
	s.mu.Lock()
	for s.running >= s.limit() || s.fresh >= cap(s.slots) {
		s.room.Wait()
	}
	s.running++
	s.busiest = max(s.busiest, s.running)
	s.fresh++
	var w worker
	if n := len(s.idle); n > 0 {
		w, s.idle = s.idle[n-1], s.idle[:n-1]
	}
	s.mu.Unlock()
	s.dispatch.Add(1)
	run := func() *ticket {
		item(ctx)
		return t
	}
	if w != nil {
		w <- run
		return
	}
	w = make(worker, 1)
	s.mu.Lock()
	s.workers++
	s.mu.Unlock()
	go s.work(w, run)
}

// work runs items until wait closes w. The worker is idle (leave) before
// the item counts as done, so once wait has seen every item done, every worker is
// idle and closing them ends them all.
func (s *scheduler) work(w worker, item func() *ticket) {
	for ok := true; ok; item, ok = <-w {
		s.leave(w, item())
		s.dispatch.Done()
	}
}

func (s *scheduler) limit() int {
	if s.answered.Load() {
		return s.most
	}
	return cap(s.slots)
}

// leave counts an item out, at the gate too if it never took a slot, and
// its worker idle, in one step: the dispatcher it wakes finds the worker.
func (s *scheduler) leave(w worker, t *ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	s.idle = append(s.idle, w)
	if t.fresh.CompareAndSwap(true, false) {
		s.fresh--
	}
	s.room.Signal() // only the dispatcher waits
}

// wait returns once every started item has finished, and ends the workers.
func (s *scheduler) wait() {
	s.dispatch.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.idle {
		close(w)
	}
	s.idle = nil
}
