package des

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestOrder checks that events run by instant, and in the order they were scheduled at the
// same instant, including events scheduled while others run, whether they go through the heap,
// through lanes or through timers.
func TestOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var c Clock
	type key struct {
		at  time.Duration
		seq int
	}
	var want, got []key
	seq := 0
	var schedule func(at time.Duration, depth int)
	type laneEv struct {
		k     key
		depth int
	}
	var lanes []*Lane[laneEv]
	ran := func(k key, depth int) {
		got = append(got, k)
		if depth < 2 && rng.IntN(3) == 0 {
			schedule(c.Now()+time.Duration(rng.IntN(5))*time.Second, depth+1)
		}
	}
	for _, d := range []time.Duration{0, time.Second, 2500 * time.Millisecond} {
		lanes = append(lanes, NewLane(&c, d, func(e laneEv) { ran(e.k, e.depth) }))
	}
	var timers []*Timer[laneEv]
	for range 2 {
		timers = append(timers, NewTimer(&c, func(e laneEv) { ran(e.k, e.depth) }))
	}
	schedule = func(at time.Duration, depth int) {
		seq++
		if i := rng.IntN(len(timers) + 1); i < len(timers) && rng.IntN(2) == 0 {
			k := key{at: max(at, c.Now()), seq: seq}
			want = append(want, k)
			timers[i].At(at, laneEv{k: k, depth: depth})
			return
		}
		if i := rng.IntN(len(lanes) + 1); i < len(lanes) {
			k := key{at: c.Now() + lanes[i].delay, seq: seq}
			want = append(want, k)
			lanes[i].After(laneEv{k: k, depth: depth})
			return
		}
		k := key{at: max(at, c.Now()), seq: seq}
		want = append(want, k)
		c.At(at, func() { ran(k, depth) })
	}
	for range 2000 {
		schedule(time.Duration(rng.IntN(100))*time.Second, 0)
	}
	for c.Step(time.Hour) {
	}
	slices.SortFunc(want, func(a, b key) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.seq - b.seq
	})
	if !slices.Equal(got, want) {
		t.Fatalf("events ran out of order: %d events, first %v, want %v", len(got), got[:5], want[:5])
	}
	if c.Events() != uint64(len(want)) {
		t.Fatalf("Events() = %d, want %d", c.Events(), len(want))
	}
}

// TestLaneKeepsOrder fills a lane in bursts while it runs part of what it holds, so that its
// buffer is both compacted and grown, and checks that every event runs once, in order.
func TestLaneKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var c Clock
	var got []int
	l := NewLane(&c, time.Second, func(v int) { got = append(got, v) })
	next := 0
	for range 200 {
		for range rng.IntN(400) {
			l.After(next)
			next++
		}
		// Run what is due within a random part of the lane's delay: the bursts before, or
		// none of them, so that the lane holds a varying number of events.
		until := c.Now() + time.Duration(1+rng.IntN(1500))*time.Millisecond
		c.At(until, func() {})
		for c.Step(until) {
		}
	}
	for c.Step(c.Now() + time.Hour) {
	}
	if len(got) != next {
		t.Fatalf("%d events ran, want %d", len(got), next)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("event %d ran in place %d", v, i)
		}
	}
}
