package server

import (
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
	flusher, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("server: streaming unsupported by the response writer")
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(ev Event) {
		data, _ := json.Marshal(ev) // plain strings and numbers: cannot fail
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, data)
		flusher.Flush()
	}
	if isFinal(run.State) {
		send(Event{Kind: EventDone, RunID: id, State: string(run.State), Verdict: string(run.Verdict), Message: run.Failure})
		return nil
	}
	fmt.Fprintf(w, ": run %d is %s\n\n", id, run.State)
	flusher.Flush()
	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case ev, open := <-events:
			if !open {
				return nil
			}
			send(ev)
			if ev.Kind == EventDone {
				return nil
			}
		case <-tick.C:
			// A run executed by another replica is not streamed here:
			// the keep-alive re-reads its state so the page still ends.
			if run, err := s.store.GetRun(r.Context(), c.p, id); err == nil && isFinal(run.State) {
				send(Event{Kind: EventDone, RunID: id, State: string(run.State), Verdict: string(run.Verdict), Message: run.Failure})
				return nil
			}
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
	}
}

func isFinal(st store.RunState) bool {
	return st == store.RunDone || st == store.RunFailed || st == store.RunInterrupted
}
