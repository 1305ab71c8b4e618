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

// broker fans a run's events out to the pages and API clients watching it,
// in this process. Replicas each stream the runs they execute; a page on
// another replica sees the run's state when it reloads.
type broker struct {
	mu   sync.Mutex
	subs map[int64]map[*subscriber]struct{}
	last map[int64]Event // the latest event of each active run, for late subscribers
}

type subscriber struct {
	ch     chan Event
	closed bool
}

func newBroker() *broker {
	return &broker{subs: map[int64]map[*subscriber]struct{}{}, last: map[int64]Event{}}
}

// subscribe returns the run's events from now on (preceded by the latest
// one, when the run is active here) and a cancel that must be called.
func (b *broker) subscribe(runID int64) (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := &subscriber{ch: make(chan Event, subscriberBuffer)}
	if b.subs[runID] == nil {
		b.subs[runID] = map[*subscriber]struct{}{}
	}
	b.subs[runID][sub] = struct{}{}
	if ev, ok := b.last[runID]; ok {
		sub.ch <- ev
	}
	return sub.ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[runID], sub)
		if len(b.subs[runID]) == 0 {
			delete(b.subs, runID)
		}
		if !sub.closed {
			sub.closed = true
			close(sub.ch)
		}
	}
}

// publish delivers ev to the run's subscribers without ever blocking the
// run: a reader that fell a whole buffer behind loses item events, and
// the final event makes room for itself so that every stream ends.
func (b *broker) publish(ev Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ev.Kind == EventDone {
		delete(b.last, ev.RunID)
	} else {
		b.last[ev.RunID] = ev
	}
	for sub := range b.subs[ev.RunID] {
		if sub.closed {
			continue
		}
		if ev.Kind == EventDone {
			for len(sub.ch) == cap(sub.ch) {
				<-sub.ch // drop the oldest item event
			}
		}
		select {
		case sub.ch <- ev:
		default:
		}
		if ev.Kind == EventDone {
			sub.closed = true
			close(sub.ch)
		}
	}
}
