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
//   - a new item starts only once a request slot is free (pace): while the
//     target is saturated, items already in progress are not joined by more
//     that would queue behind them, so an item's requests wait behind a
//     few others', not behind hundreds (and item timeouts measure the
//     target, not golive's queue).
type scheduler struct {
	slots chan struct{} // one token per request in flight

	most int // items in progress once the target has answered healthily

	// answered is set by the first response that is neither a 5xx nor a 429.
	answered atomic.Bool

	mu       sync.Mutex
	room     *sync.Cond // signalled when an item leaves or the bound is lifted
	running  int
	dispatch sync.WaitGroup
}

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

// acquire waits for a request slot; false when ctx ended first.
func (s *scheduler) acquire(ctx context.Context) bool {
	select {
	case s.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
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

// start runs item on its own goroutine once there is room for it (see the
// type's comment). It blocks the caller, the run's only dispatcher, until
// then. A ctx that ends stops the pacing, not the items: they are started
// and report themselves not run.
func (s *scheduler) start(ctx context.Context, item func()) {
	s.mu.Lock()
	for s.running >= s.limit() {
		s.room.Wait()
	}
	s.running++
	s.mu.Unlock()
	if s.acquire(ctx) {
		s.release()
	}
	s.dispatch.Add(1)
	go func() {
		defer s.dispatch.Done()
		defer s.leave()
		item()
	}()
}

func (s *scheduler) limit() int {
	if s.answered.Load() {
		return s.most
	}
	return cap(s.slots)
}

func (s *scheduler) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	s.room.Signal() // only the dispatcher waits
}

// wait returns once every started item has finished.
func (s *scheduler) wait() { s.dispatch.Wait() }
