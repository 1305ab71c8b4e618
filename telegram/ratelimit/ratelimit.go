// Package ratelimit is the per-chat (per-caller) limit on bot commands and
// tool calls: a token bucket per key, over a bounded number of keys, on a
// clock the caller gives so tests need no sleeping.
package ratelimit

import (
	"fmt"
	"sync"
	"time"
)

// Limit allows Calls calls per Per, in bursts of up to Calls.
type Limit struct {
	Calls int
	Per   time.Duration
}

// Zero reports whether the limit is unset (no limit).
func (l Limit) Zero() bool { return l.Calls <= 0 || l.Per <= 0 }

func (l Limit) String() string {
	if l.Zero() {
		return "unlimited"
	}
	return fmt.Sprintf("%d per %s", l.Calls, l.Per)
}

// DefaultMaxKeys bounds the number of keys a Limiter remembers.
const DefaultMaxKeys = 10000

// Limiter applies one Limit to many keys. Safe for concurrent use.
type Limiter struct {
	limit   Limit
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // refused since it last allowed: the caller already said so
}

// New makes a limiter; now defaults to time.Now and maxKeys to
// DefaultMaxKeys. A zero limit allows everything.
func New(limit Limit, now func() time.Time, maxKeys int) *Limiter {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Limiter{limit: limit, now: now, maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// Decision is the answer to one call.
type Decision struct {
	OK bool
	// Wait is how long until the next call is allowed (when !OK).
	Wait time.Duration
	// First is true for the first refusal since the key was last allowed, so
	// that a flood is answered once rather than once per message.
	First bool
}

// Allow takes one call for key.
func (l *Limiter) Allow(key string) Decision {
	if l.limit.Zero() {
		return Decision{OK: true}
	}
	now := l.now()
	rate := float64(l.limit.Calls) / float64(l.limit.Per)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now, rate)
		b = &bucket{tokens: float64(l.limit.Calls), last: now}
		l.buckets[key] = b
	}
	b.refill(now, rate, l.limit.Calls)
	if b.tokens >= 1 {
		b.tokens--
		b.warned = false
		return Decision{OK: true}
	}
	first := !b.warned
	b.warned = true
	wait := time.Duration((1 - b.tokens) / rate)
	return Decision{Wait: wait, First: first}
}

func (b *bucket) refill(now time.Time, rate float64, burst int) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(float64(burst), b.tokens+float64(elapsed)*rate)
		b.last = now
	}
}

// makeRoom keeps the map bounded: buckets that have refilled completely are
// the same as absent ones and go first; if every key is busy, one arbitrary
// key is forgotten (it gets a fresh bucket, a bounded leak of a few calls).
func (l *Limiter) makeRoom(now time.Time, rate float64) {
	if len(l.buckets) < l.maxKeys {
		return
	}
	for k, b := range l.buckets {
		b.refill(now, rate, l.limit.Calls)
		if b.tokens >= float64(l.limit.Calls) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys {
			break
		}
		delete(l.buckets, k)
	}
}
