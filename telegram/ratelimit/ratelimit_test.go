package ratelimit_test

import (
	"testing"
	"time"

	"github.com/golive-cert/golive/telegram/ratelimit"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBurstThenRefill(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := ratelimit.New(ratelimit.Limit{Calls: 2, Per: time.Minute}, c.now, 0)
	for i := range 2 {
		if d := l.Allow("a"); !d.OK {
			t.Fatalf("call %d refused", i)
		}
	}
	d := l.Allow("a")
	if d.OK || !d.First || d.Wait != 30*time.Second {
		t.Fatalf("third call: %+v, want refused first with 30s wait", d)
	}
	if d := l.Allow("a"); d.OK || d.First {
		t.Fatalf("fourth call: %+v, want refused, not first", d)
	}
	if d := l.Allow("b"); !d.OK {
		t.Fatalf("another key refused: %+v", d)
	}
	c.t = c.t.Add(30 * time.Second)
	if d := l.Allow("a"); !d.OK {
		t.Fatalf("after refill: %+v", d)
	}
}

func TestBoundedKeys(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	l := ratelimit.New(ratelimit.Limit{Calls: 1, Per: time.Hour}, c.now, 3)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if d := l.Allow(k); !d.OK {
			t.Fatalf("%s refused", k)
		}
	}
}

func TestZeroLimitAllowsAll(t *testing.T) {
	l := ratelimit.New(ratelimit.Limit{}, nil, 0)
	for range 100 {
		if !l.Allow("x").OK {
			t.Fatal("refused under no limit")
		}
	}
}
