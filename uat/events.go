package uat

import "time"

// EventKind says what an Event reports.
type EventKind string

const (
	EventExchange EventKind = "exchange" // an exchange was recorded
	EventCase     EventKind = "case"     // a case was played for the first time
	EventProblem  EventKind = "problem"  // an exchange showed a problem
	EventCallback EventKind = "callback" // a callback was delivered to the client's receiver
	EventEnded    EventKind = "ended"
)

// Event is live progress for the people on the call.
type Event struct {
	Kind    EventKind
	Time    time.Time
	API     string
	Case    string // EventCase: "collections.maintenance"
	Message string // one line, secrets masked
	// Progress at the time of the event.
	CasesSeen, CasesTotal int
	Problems              int
	Exchanges             int64
}

func (s *Session) emit(e Event) {
	if s.cfg.Observer == nil {
		return
	}
	e.Time = time.Now()
	e.CasesSeen, e.CasesTotal, e.Problems, e.Exchanges = s.tracker.progress(s.cfg.APIs)
	s.cfg.Observer(e)
}
