package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// sseKeepAlive keeps proxies from closing an idle stream.
const sseKeepAlive = 15 * time.Second

// streamEvents streams a run's progress as Server-Sent Events (event:
// started, item, done), ending after done. A run that is already over
// gets its done event at once.
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := runParam(r, "run")
	if err != nil {
		return err
	}
	if _, err := s.store.GetRun(r.Context(), c.p, id); err != nil {
		return err
	}
	// Subscribe before reading the state again, so that a run ending in
	// between is seen one way or the other.
	events, cancel := s.events.subscribe(id)
	defer cancel()
	run, err := s.store.GetRun(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	st, err := startSSE(w)
	if err != nil {
		return err
	}
	send := func(ev Event) { st.send(string(ev.Kind), ev) }
	done := func(run store.Run) Event {
		return Event{Kind: EventDone, RunID: id, State: string(run.State), Verdict: string(run.Verdict), Message: run.Failure}
	}
	if isFinal(run.State) {
		send(done(run))
		return nil
	}
	st.comment(fmt.Sprintf("run %d is %s", id, run.State))
	return follow(r.Context(), st, events, send, func(ev Event) bool { return ev.Kind == EventDone },
		func() (Event, bool) {
			// A run executed by another replica is not streamed here:
			// the keep-alive re-reads its state so the page still ends.
			run, err := s.store.GetRun(r.Context(), c.p, id)
			return done(run), err == nil && isFinal(run.State)
		})
}

// sseStream writes Server-Sent Events, flushing each.
type sseStream struct {
	w http.ResponseWriter
	f http.Flusher
}

func startSSE(w http.ResponseWriter) (*sseStream, error) {
	f, ok := w.(http.Flusher)
	if !ok {
		return nil, fmt.Errorf("server: streaming unsupported by the response writer")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sseStream{w: w, f: f}, nil
}

func (st *sseStream) send(kind string, v any) {
	data, _ := json.Marshal(v) // plain strings and numbers: cannot fail
	fmt.Fprintf(st.w, "event: %s\ndata: %s\n\n", kind, data)
	st.f.Flush()
}

func (st *sseStream) comment(text string) {
	fmt.Fprintf(st.w, ": %s\n\n", text)
	st.f.Flush()
}

// follow relays events until a final one, the client leaving or the
// channel closing. Each keep-alive tick asks ended whether the subject
// finished where this process cannot see it, and sends what it says.
func follow[E any](ctx context.Context, st *sseStream, events <-chan E, send func(E), final func(E) bool, ended func() (E, bool)) error {
	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, open := <-events:
			if !open {
				return nil
			}
			send(ev)
			if final(ev) {
				return nil
			}
		case <-tick.C:
			if ev, ok := ended(); ok {
				send(ev)
				return nil
			}
			st.comment("keep-alive")
		}
	}
}

func isFinal(st store.RunState) bool {
	return st == store.RunDone || st == store.RunFailed || st == store.RunInterrupted
}
