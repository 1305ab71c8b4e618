package server

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

// uatBroker streams UAT sessions' progress like runBroker does runs'.
func uatBroker() *broker[string, UATEvent] {
	return newBroker(func(ev UATEvent) string { return ev.Session }, func(ev UATEvent) bool { return ev.Kind == UATEventDone })
}
