// Package des is the simulator's discrete-event clock: a virtual instant and the events queued
// after it, run in order.
package des

import (
	"container/heap"
	"time"
)

// event is something that happens at a virtual instant. Events at the same instant run in the
// order they were scheduled, so a run is a pure function of the scenario and the seed.
type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// Clock is the virtual clock and its event queue.
type Clock struct {
	now    time.Duration
	seq    uint64
	queue  eventQueue
	events uint64 // events run so far
}

// Now returns the current virtual instant.
func (c *Clock) Now() time.Duration { return c.now }

// Events returns how many events have run.
func (c *Clock) Events() uint64 { return c.events }

// At schedules fn at instant t (never in the past).
func (c *Clock) At(t time.Duration, fn func()) {
	if t < c.now {
		t = c.now
	}
	c.seq++
	heap.Push(&c.queue, &event{at: t, seq: c.seq, fn: fn})
}

// After schedules fn d from now.
func (c *Clock) After(d time.Duration, fn func()) { c.At(c.now+d, fn) }

// Step runs the next event if it is due at or before until; it reports whether one ran.
func (c *Clock) Step(until time.Duration) bool {
	if len(c.queue) == 0 || c.queue[0].at > until {
		return false
	}
	e := heap.Pop(&c.queue).(*event)
	c.now = e.at
	c.events++
	e.fn()
	return true
}

// AdvanceTo moves the clock to t when no event is due before it.
func (c *Clock) AdvanceTo(t time.Duration) {
	if c.now < t {
		c.now = t
	}
}

// Restart drops every queued event and sets the clock back to 0: the state the events built
// becomes the start of the run.
func (c *Clock) Restart() {
	c.now = 0
	for _, e := range c.queue {
		e.at = 0
	}
	c.queue = c.queue[:0]
}
