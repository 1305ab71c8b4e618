package sandbox

import "sync"

// orderStore keeps one API's orders by orderReference. It forgets the
// oldest once it holds max, so a long-running sandbox stays bounded.
type orderStore struct {
	mu    sync.Mutex
	max   int
	byRef map[string]*order
	fifo  []*order // creation order, for eviction
}

func newOrderStore(max int) *orderStore {
	return &orderStore{max: max, byRef: map[string]*order{}}
}

// exists reports whether an order has this reference.
func (s *orderStore) exists(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byRef[ref]
	return ok
}

// add stores o unless its reference is taken, and reports whether it did.
// With replace (the duplicate-accepted fault) a taken reference is
// overwritten in place instead, which keeps fifo free of stale entries.
func (s *orderStore) add(o order, replace bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, taken := s.byRef[o.OrderReference]; taken {
		if !replace {
			return false
		}
		*old = o
		return true
	}
	if len(s.byRef) >= s.max {
		oldest := s.fifo[0]
		s.fifo[0] = nil // let the evicted order be collected
		s.fifo = s.fifo[1:]
		delete(s.byRef, oldest.OrderReference)
	}
	stored := &o
	s.byRef[o.OrderReference] = stored
	s.fifo = append(s.fifo, stored)
	return true
}

// get returns a copy of the order with this reference.
func (s *orderStore) get(ref string) (order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byRef[ref]
	if !ok {
		return order{}, false
	}
	return *o, true
}

// update runs f on the stored order with this reference, under the lock,
// and returns the order as f left it; false when there is none. f's error
// is returned as is (the order is then as f left it, so f changes nothing
// before deciding to fail).
func (s *orderStore) update(ref string, f func(*order) error) (order, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byRef[ref]
	if !ok {
		return order{}, false, nil
	}
	err := f(o)
	return *o, true, err
}
