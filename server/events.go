package server

import (
	"sync"
)

// EventKind is what a progress event says.
type EventKind string

const (
	EventStarted EventKind = "started" // a worker took the run; Total items planned
	EventItem    EventKind = "item"    // one item finished
	EventDone    EventKind = "done"    // the run ended (State, Verdict); the stream ends
)

// Event is one progress event of a run, as the page and the API stream it.
// It holds item ids and outcomes only: never evidence, never a secret.
type Event struct {
	Kind    EventKind `json:"kind"`
	RunID   int64     `json:"runId"`
	Done    int       `json:"done,omitempty"`
	Total   int       `json:"total,omitempty"`
	API     string    `json:"api,omitempty"`
	Item    string    `json:"item,omitempty"`
	Title   string    `json:"title,omitempty"`
	Status  string    `json:"status,omitempty"`
	State   string    `json:"state,omitempty"`
	Verdict string    `json:"verdict,omitempty"`
	Message string    `json:"message,omitempty"`
}

// subscriberBuffer is how many events a slow reader may fall behind before
// it misses item events (the final event is always delivered: see publish).
const subscriberBuffer = 256

// broker fans the events of a run (or a UAT session) out to the pages and
// API clients watching it, in this process. Replicas each stream what they
// execute; a page on another replica sees the state when it reloads.
type broker[K comparable, E any] struct {
	key   func(E) K    // the run or session an event belongs to
	final func(E) bool // the event that ends its streams

	mu   sync.Mutex
	subs map[K]map[*subscriber[E]]struct{}
	last map[K]E // the latest event of each active subject, for late subscribers
}

type subscriber[E any] struct {
	ch     chan E
	closed bool
}

func newBroker[K comparable, E any](key func(E) K, final func(E) bool) *broker[K, E] {
	return &broker[K, E]{key: key, final: final, subs: map[K]map[*subscriber[E]]struct{}{}, last: map[K]E{}}
}

// runBroker streams runs' progress.
func runBroker() *broker[int64, Event] {
	return newBroker(func(ev Event) int64 { return ev.RunID }, func(ev Event) bool { return ev.Kind == EventDone })
}

// subscribe returns the subject's events from now on (preceded by the
// latest one, when it is active here) and a cancel that must be called.
func (b *broker[K, E]) subscribe(id K) (<-chan E, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := &subscriber[E]{ch: make(chan E, subscriberBuffer)}
	if b.subs[id] == nil {
		b.subs[id] = map[*subscriber[E]]struct{}{}
	}
	b.subs[id][sub] = struct{}{}
	if ev, ok := b.last[id]; ok {
		sub.ch <- ev
	}
	return sub.ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[id], sub)
		if len(b.subs[id]) == 0 {
			delete(b.subs, id)
		}
		if !sub.closed {
			sub.closed = true
			close(sub.ch)
		}
	}
}

// publish delivers ev to its subject's subscribers without ever blocking
// the publisher: a reader that fell a whole buffer behind loses progress
// events, and the final event makes room for itself so that every stream
// ends.
func (b *broker[K, E]) publish(ev E) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, final := b.key(ev), b.final(ev)
	if final {
		delete(b.last, id)
	} else {
		b.last[id] = ev
	}
	for sub := range b.subs[id] {
		if sub.closed {
			continue
		}
		if final {
			for len(sub.ch) == cap(sub.ch) {
				<-sub.ch // drop the oldest progress event
			}
		}
		select {
		case sub.ch <- ev:
		default:
		}
		if final {
			sub.closed = true
			close(sub.ch)
		}
	}
}
