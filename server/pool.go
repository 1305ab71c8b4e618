package server

import (
	"context"
	"sync"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// pool is the bounded set of workers that carry out queued runs. The queue
// itself is the store's jobs table (store.ClaimRun: SKIP LOCKED on
// PostgreSQL), so runs survive a restart and replicas share the work.
type pool struct {
	s    *Server
	wake chan struct{}
}

func newPool(s *Server) *pool {
	return &pool{s: s, wake: make(chan struct{}, s.cfg.Workers)}
}

// notify wakes an idle worker: a run was queued here.
func (p *pool) notify() {
	select {
	case p.wake <- struct{}{}:
	default: // every worker is already awake or busy
	}
}

func (p *pool) start(ctx context.Context, wg *sync.WaitGroup) {
	name := p.s.cfg.WorkerName
	if name == "" {
		name = "hub"
	}
	for range p.s.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx, name)
		}()
	}
	p.notify() // runs queued before the start
}

func (p *pool) work(ctx context.Context, name string) {
	tick := time.NewTicker(p.s.cfg.ClaimInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		job, ok, err := p.s.store.ClaimRun(ctx, store.System(), name)
		if err != nil {
			if ctx.Err() == nil {
				// The database went away: keep the worker and try again
				// at the next tick rather than spinning.
				p.s.log.Error("claim run", "err", err)
			}
			ok = false
		}
		if ok {
			p.s.execute(ctx, job)
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.wake:
		case <-tick.C:
		}
	}
}
