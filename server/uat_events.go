package server

import "sync"

// UATEventKind is what a UAT session's progress event says.
type UATEventKind string

const (
	UATEventProgress UATEventKind = "progress" // an exchange, a case played, a problem, a callback
	UATEventDone     UATEventKind = "done"     // the session ended and its results are stored; the stream ends
)

// UATEvent is one progress event of a live UAT session, as the page and
// the API stream it: counts and one masked line, never a credential.
type UATEvent struct {
	Kind       UATEventKind `json:"kind"`
	Session    string       `json:"sessionId"`
	Event      string       `json:"event,omitempty"` // exchange, case, problem, callback
	API        string       `json:"api,omitempty"`
	Case       string       `json:"case,omitempty"`
	Message    string       `json:"message,omitempty"`
	CasesSeen  int          `json:"casesSeen"`
	CasesTotal int          `json:"casesTotal"`
	Problems   int          `json:"problems"`
	Exchanges  int64        `json:"exchanges"`
	State      string       `json:"state,omitempty"`
	Verdict    string       `json:"verdict,omitempty"`
}

// uatBroker fans a session's events out like broker does a run's: a slow
// reader loses progress events, never the final one.
type uatBroker struct {
	mu   sync.Mutex
	subs map[string]map[*uatSubscriber]struct{}
}

type uatSubscriber struct {
	ch     chan UATEvent
	closed bool
}

func newUATBroker() *uatBroker {
	return &uatBroker{subs: map[string]map[*uatSubscriber]struct{}{}}
}

func (b *uatBroker) subscribe(id string) (<-chan UATEvent, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	sub := &uatSubscriber{ch: make(chan UATEvent, subscriberBuffer)}
	if b.subs[id] == nil {
		b.subs[id] = map[*uatSubscriber]struct{}{}
	}
	b.subs[id][sub] = struct{}{}
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

func (b *uatBroker) publish(ev UATEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[ev.Session] {
		if sub.closed {
			continue
		}
		if ev.Kind == UATEventDone {
			for len(sub.ch) == cap(sub.ch) {
				<-sub.ch
			}
		}
		select {
		case sub.ch <- ev:
		default:
		}
		if ev.Kind == UATEventDone {
			sub.closed = true
			close(sub.ch)
		}
	}
}
