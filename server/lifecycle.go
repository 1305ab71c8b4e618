package server

import (
	"bytes"
	"context"
	"fmt"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

// afterRun is everything a finished run sets off: the end of its progress
// stream, the partner's place in the program, the regression check after
// go-live and the notifications.
func (s *Server) afterRun(ctx context.Context, r store.Run, payload runPayload) {
	s.events.publish(Event{Kind: EventDone, RunID: r.ID, State: string(r.State), Verdict: string(r.Verdict)})
	sys := store.System()
	p, err := s.store.GetPartner(ctx, sys, r.PartnerID)
	if err != nil {
		s.log.Error("after run: partner", "run", r.ID, "err", err)
		return
	}
	ev := hubEvent{Kind: eventRunFinished, Partner: p, Run: r, ReplyTo: payload.ReplyTo}
	if r.State == store.RunDone {
		if p.Status == store.StatusNotStarted {
			s.setStatus(ctx, p.ID, store.StatusSIT)
		}
		if p.Status == store.StatusLive || p.Status == store.StatusRegressed {
			s.checkRegression(ctx, p, r)
		}
	}
	s.notifier.send(ctx, ev)
}

func (s *Server) setStatus(ctx context.Context, partnerID string, st store.PartnerStatus) {
	if err := s.store.SetPartnerStatus(ctx, store.System(), partnerID, st); err != nil {
		s.log.Error("set partner status", "partner", partnerID, "status", st, "err", err)
	}
}

// checkRegression compares a live partner's run with its last good run
// (the latest earlier certified run in the same environment): anything
// that got worse marks the partner regressed and notifies; a clean run
// after a regression puts it back to live.
func (s *Server) checkRegression(ctx context.Context, p store.Partner, r store.Run) {
	good, ok, err := s.lastGoodRun(ctx, r)
	if err != nil {
		s.log.Error("regression check", "run", r.ID, "err", err)
		return
	}
	if !ok {
		return
	}
	d, err := s.compareRuns(ctx, store.System(), good.ID, r.ID)
	if err != nil {
		s.log.Error("regression check", "run", r.ID, "err", err)
		return
	}
	switch {
	case d.Regressions() > 0:
		if p.Status != store.StatusRegressed {
			s.setStatus(ctx, p.ID, store.StatusRegressed)
		}
		s.notifier.send(ctx, hubEvent{Kind: eventRegressed, Partner: p, Run: r, Against: good.ID,
			Summary: fmt.Sprintf("%d regressed, %d new failures against run %d", d.Counts[results.Regressed],
				d.Counts[results.NewFailure], good.ID)})
	case p.Status == store.StatusRegressed && r.Certified():
		s.setStatus(ctx, p.ID, store.StatusLive)
	}
}

// lastGoodRun is the latest certified run before r in r's environment.
func (s *Server) lastGoodRun(ctx context.Context, r store.Run) (store.Run, bool, error) {
	before := r.ID
	for {
		page, err := s.store.ListRuns(ctx, store.System(), r.PartnerID, store.RunPage{Before: before, Limit: 200})
		if err != nil {
			return store.Run{}, false, err
		}
		for _, c := range page {
			if c.Certified() && c.Environment == r.Environment {
				return c, true, nil
			}
		}
		if len(page) < 200 {
			return store.Run{}, false, nil
		}
		before = page[len(page)-1].ID
	}
}

// loadResults reads a stored run's results.json.
func (s *Server) loadResults(ctx context.Context, p store.Principal, runID int64) (*results.Run, error) {
	raw, err := s.store.RunResults(ctx, p, runID)
	if err != nil {
		return nil, err
	}
	return results.Read(bytes.NewReader(raw))
}

// compareRuns is results.Compare over two stored runs, exactly as
// `golive diff` compares two files.
func (s *Server) compareRuns(ctx context.Context, p store.Principal, before, after int64) (results.Diff, error) {
	a, err := s.loadResults(ctx, p, before)
	if err != nil {
		return results.Diff{}, err
	}
	b, err := s.loadResults(ctx, p, after)
	if err != nil {
		return results.Diff{}, err
	}
	return results.Compare(a, b), nil
}
