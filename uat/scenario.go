package uat

import (
	"sync"
	"time"
)

// maxScripted bounds the scenario's maps; beyond it, new maintenance
// windows and held answers are no longer scripted (the sandbox answers).
const maxScripted = 100_000

// scenario decides which answers the session scripts instead of the
// sandbox's: the maintenance window, the held answer, the expired token.
type scenario struct {
	t Timing

	mu      sync.Mutex
	secured map[string]int       // API -> secured calls seen
	expired map[string]bool      // token labels the session declared expired
	windows map[string]time.Time // API+ref -> end of its maintenance window (zero: passed)
	held    map[string]string    // API+phone -> ref of a held payment whose outcome the client has not learned
}

func newScenario(t Timing) *scenario {
	return &scenario{t: t, secured: map[string]int{}, expired: map[string]bool{},
		windows: map[string]time.Time{}, held: map[string]string{}}
}

// tokenExpired reports whether a secured call's token is (now) expired:
// one the session expired before, or the one in use at the API's
// ExpireTokenAt-th secured call.
func (sc *scenario) tokenExpired(api, label string) bool {
	if label == "" {
		return false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.expired[label] {
		return true
	}
	sc.secured[api]++
	if sc.secured[api] == sc.t.ExpireTokenAt && len(sc.expired) < maxScripted {
		sc.expired[label] = true
		return true
	}
	return false
}

// maintenance reports whether an initiate of the maintenance amount falls
// in its window, opening the window at the first one.
func (sc *scenario) maintenance(api, ref string, now time.Time) bool {
	key := api + "\x00" + ref
	sc.mu.Lock()
	defer sc.mu.Unlock()
	end, ok := sc.windows[key]
	switch {
	case !ok && len(sc.windows) < maxScripted:
		sc.windows[key] = now.Add(sc.t.RetryAfter)
		return true
	case !ok || end.IsZero():
		return false
	case now.Before(end):
		return true
	default:
		sc.windows[key] = time.Time{} // passed: the retry goes through, once and for all
		return false
	}
}

// hold reports whether a new payment's answer is held: the first of a
// payer is; a retry with a new reference while the first is unresolved is
// answered at once (and makes the second payment the checklist catches).
func (sc *scenario) hold(api, phone, ref string) bool {
	key := api + "\x00" + phone
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, unresolved := sc.held[key]; unresolved || len(sc.held) >= maxScripted {
		return false
	}
	sc.held[key] = ref
	return true
}

// learned notes that the client learned a payment's final state: its
// payer's next timeout payment is held again.
func (sc *scenario) learned(api, phone, ref string) {
	key := api + "\x00" + phone
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.held[key] == ref {
		delete(sc.held, key)
	}
}
