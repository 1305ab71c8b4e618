package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// sseKeepAlive keeps proxies from closing an idle stream.
const sseKeepAlive = 15 * time.Second

// defaultStreamRecheck is how often a live event stream re-reads, in the
// store, the credential it was opened with (Config.StreamRecheck
// overrides it): a stream is authorized once, when it opens, and a run or
// a UAT session can go on for hours after its user was disabled, signed
// out or had its token revoked. The period bounds how long a stream
// outlives its credential; 15 s, the keep-alive's period, keeps that
// below the time a person takes to notice, while costing one indexed read
// per open stream per period (a session's or token's unique hash joined to
// its user; 1,000 open pages: about 67 small reads a second across the
// replicas). A shorter period buys little and multiplies the reads by
// every open page.
const defaultStreamRecheck = 15 * time.Second

// streamGuard ends a live stream whose caller's credential no longer
// holds. It re-checks every period and before a write when the last
// check is older than that, so a busy stream costs no more reads than an
// idle one. The period is measured on the monotonic clock (time.Now), not
// Config.Now, which tests may stop.
type streamGuard struct {
	s       *Server
	ctx     context.Context
	c       *caller
	every   time.Duration
	checked time.Time
	// due fires a period after the last check, whichever path made it, so
	// a check before a write pushes the next periodic one back.
	due *time.Ticker
}

// guard starts a stream's guard; the request's own authentication was its
// first check. The caller stops it.
func (s *Server) guard(r *http.Request, c *caller) *streamGuard {
	every := s.cfg.StreamRecheck
	return &streamGuard{s: s, ctx: r.Context(), c: c, every: every, checked: time.Now(), due: time.NewTicker(every)}
}

func (g *streamGuard) stop() { g.due.Stop() }

// ok says whether the stream may go on, re-checking when the last check
// is a period old (before a write).
func (g *streamGuard) ok(st *sseStream) bool {
	return time.Since(g.checked) < g.every || g.check(st)
}

// check re-reads the credential (every period), and says so on the stream
// before it ends. A store that cannot be reached is no answer: the stream
// goes on and asks again a period later (revoking a credential needs the
// store too), so an outage does not cut every open page.
func (g *streamGuard) check(st *sseStream) bool {
	g.checked = time.Now()
	g.due.Reset(g.every)
	err := g.s.stillValid(g.ctx, g.c)
	switch {
	case err == nil:
		return true
	case g.ctx.Err() != nil:
		return false // the client left
	case errors.Is(err, store.ErrUnavailable):
		g.s.log.Warn("event stream: credential not re-checked: the database is unavailable", "user", g.c.p.UserID, "err", err)
		return true
	}
	if status, _ := statusOf(err); status != http.StatusUnauthorized {
		g.s.log.Error("event stream: credential re-check failed", "user", g.c.p.UserID, "err", err)
	}
	g.s.log.Info("event stream ended: its credential no longer holds", "user", g.c.p.UserID)
	st.comment("the sign-in this stream was opened with has ended (signed out, disabled or revoked): the stream ends")
	return false
}

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
	return follow(r.Context(), st, s.guard(r, c), events, send, func(ev Event) bool { return ev.Kind == EventDone },
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

// follow relays events until a final one, the client leaving, the channel
// closing or the caller's credential ending (g). Each keep-alive tick asks
// ended whether the subject finished where this process cannot see it,
// and sends what it says.
func follow[E any](ctx context.Context, st *sseStream, g *streamGuard, events <-chan E, send func(E), final func(E) bool, ended func() (E, bool)) error {
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	defer g.stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, open := <-events:
			if !open || !g.ok(st) {
				return nil
			}
			send(ev)
			if final(ev) {
				return nil
			}
		case <-g.due.C:
			if !g.check(st) {
				return nil
			}
		case <-keepAlive.C:
			if !g.ok(st) {
				return nil
			}
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
