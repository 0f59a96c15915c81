package sim

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

// clock is the virtual clock and its event queue.
type clock struct {
	now    time.Duration
	seq    uint64
	queue  eventQueue
	events uint64 // events run so far
}

// at schedules fn at instant t (never in the past).
func (c *clock) at(t time.Duration, fn func()) {
	if t < c.now {
		t = c.now
	}
	c.seq++
	heap.Push(&c.queue, &event{at: t, seq: c.seq, fn: fn})
}

// after schedules fn d from now.
func (c *clock) after(d time.Duration, fn func()) { c.at(c.now+d, fn) }

// step runs the next event if it is due at or before until; it reports whether one ran.
func (c *clock) step(until time.Duration) bool {
	if len(c.queue) == 0 || c.queue[0].at > until {
		return false
	}
	e := heap.Pop(&c.queue).(*event)
	c.now = e.at
	c.events++
	e.fn()
	return true
}
