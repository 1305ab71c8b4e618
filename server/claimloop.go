package server

import (
	"context"
	"sync"
	"time"
)

// waker is a wake-up signal that never blocks and never piles up: many
// notifies before the loop looks are one wake.
type waker chan struct{}

func newWaker() waker { return make(waker, 1) }

func (w waker) notify() {
	select {
	case w <- struct{}{}:
	default:
	}
}

// sendLoop is the loop of a store-backed outbox (webhook deliveries, chat
// messages): it claims as many due rows as it has free senders, hands each
// to a sender goroutine of its own (so a slow receiver holds one sender,
// never the loop), and waits for a sender to come free, a wake (rows were
// queued here) or the claim interval (rows queued on another replica, or a
// retry now due). A claim that fails (the database went away) is logged and
// tried again at the next tick. It returns when ctx ends; wg counts the
// senders too.
func sendLoop[T any](ctx context.Context, wg *sync.WaitGroup, s *Server, wake waker, senders int,
	what string, claim func(ctx context.Context, n int) ([]T, error), send func(ctx context.Context, row T)) {
	free := make(chan struct{}, senders)
	for range senders {
		free <- struct{}{}
	}
	tick := time.NewTicker(s.cfg.ClaimInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		n := len(free)
		var batch []T
		if n > 0 {
			var err error
			batch, err = claim(ctx, n)
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim "+what, "err", err) // the database went away: next tick
			}
		}
		for _, row := range batch {
			<-free
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { free <- struct{}{}; wake.notify() }()
				send(ctx, row)
			}()
		}
		if n > 0 && len(batch) == n {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-tick.C:
		}
	}
}
