// Package des is the simulator's discrete-event clock: a virtual instant and the events queued
// after it, run in order.
package des

import (
	"math/bits"
	"time"
)

// A queue holds events by value in a 4-ary min-heap ordered by (at, seq). A fleet run keeps
// hundreds of thousands of events queued: container/heap's interface calls and a pointer per
// event cost more there than the whole queue, so the heap is kept by hand (it is the textbook
// one; seq makes the order total, so any correct heap runs the events in the same order). The
// clock's own events are closures (queue[func()]); a timer's are values of its type.
type queue[T any] []event[T]

func (q *queue[T]) push(e event[T]) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 4
		if !h[i].before(&h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *queue[T]) pop() event[T] {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event[T]{}
	h = h[:last]
	*q = h
	for i := 0; ; {
		first := 4*i + 1
		if first >= len(h) {
			break
		}
		m := first
		for c := first + 1; c < first+4 && c < len(h); c++ {
			if h[c].before(&h[m]) {
				m = c
			}
		}
		if !h[m].before(&h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top
}

// Lane is a queue of events that all come a fixed delay after they are scheduled, so that
// they come due in the order they were scheduled: a FIFO replaces the heap for them. Each event
// is a value of T handed to the lane's handler, not a closure, so scheduling one allocates
// nothing. The bulk of a large run's events (endpoint propagation to the EndpointSlice and to
// every kube-proxy bucket) go through lanes.
type Lane[T any] struct {
	c      *Clock
	idx    int // the lane's place in Clock.lanes and Clock.heads
	delay  time.Duration
	handle func(T)
	events []event[T]
	head   int
}

// event is one event of a lane, a timer or the clock's queue: a value for the handler (a
// closure, in the clock's queue) at an instant, in the order it was scheduled at that instant.
type event[T any] struct {
	at  time.Duration
	seq uint64
	v   T
}

func (e *event[T]) before(o *event[T]) bool {
	return e.at < o.at || (e.at == o.at && e.seq < o.seq)
}

// lane is what the clock needs of a Lane of any type.
type lane interface {
	runNext()
	reset()
}

// laneHead is the instant and order of a lane's first event. The lanes keep their heads in
// Clock.heads, and the set of lanes that hold events in Clock.busy, so that Step compares the
// heads of those lanes only, without a call per lane.
type laneHead struct {
	at  time.Duration
	seq uint64
}

// NewLane returns a lane of c whose events come d after they are scheduled and are handed to
// handle. Events run in the same order, (instant, scheduling order), whether they go through
// a lane or not. Its buffer is made at the first event: many lanes of a small cluster get few
// events or none.
func NewLane[T any](c *Clock, d time.Duration, handle func(T)) *Lane[T] {
	l := &Lane[T]{c: c, delay: max(d, 0), handle: handle}
	l.idx = c.register(l)
	return l
}

// show records the first event of lane (or timer) idx for Step; idle records that it holds
// none.
func (c *Clock) show(idx int, at time.Duration, seq uint64) {
	c.heads[idx] = laneHead{at: at, seq: seq}
	c.busy[idx/64] |= 1 << (idx % 64)
}

func (c *Clock) idle(idx int) { c.busy[idx/64] &^= 1 << (idx % 64) }

// register adds a lane (or a timer) to the clock and returns its index.
func (c *Clock) register(l lane) int {
	idx := len(c.lanes)
	c.lanes = append(c.lanes, l)
	c.heads = append(c.heads, laneHead{})
	if idx/64 >= len(c.busy) {
		c.busy = append(c.busy, 0)
	}
	return idx
}

// After schedules v for the handler the lane's delay from now.
func (l *Lane[T]) After(v T) {
	c := l.c
	c.seq++
	if l.head > 0 && l.head == len(l.events) {
		// Every event ran (runNext zeroed their places): start again at the front.
		l.events, l.head = l.events[:0], 0
	}
	if len(l.events) == cap(l.events) {
		l.makeRoom()
	}
	l.events = append(l.events, event[T]{at: c.now + l.delay, seq: c.seq, v: v})
	if l.head == len(l.events)-1 {
		c.show(l.idx, c.now+l.delay, c.seq)
	}
}

// makeRoom makes room in a full buffer: the events still queued move to its front when they
// fill at most half of it (each such move is paid for by as many events appended since), or
// to a buffer twice as large. A large cluster's bring-up queues a change of every pod in
// every kube-proxy bucket at once, and growing by append's smaller steps copied the queue
// several times over.
func (l *Lane[T]) makeRoom() {
	queued := len(l.events) - l.head
	if l.head > 0 && 2*queued <= cap(l.events) {
		n := copy(l.events, l.events[l.head:])
		clear(l.events[n:])
		l.events, l.head = l.events[:n], 0
		return
	}
	buf := make([]event[T], queued, max(8, 2*cap(l.events)))
	copy(buf, l.events[l.head:])
	l.events, l.head = buf, 0
}

func (l *Lane[T]) runNext() {
	e := l.events[l.head]
	l.events[l.head] = event[T]{}
	l.head++
	if l.head < len(l.events) {
		n := &l.events[l.head]
		l.c.show(l.idx, n.at, n.seq)
	} else {
		l.c.idle(l.idx)
	}
	l.c.now = e.at
	l.c.events++
	l.handle(e.v)
}

// SetDelay sets how long after they are scheduled the lane's events come, for a lane of a
// clock that was Reset.
func (l *Lane[T]) SetDelay(d time.Duration) { l.delay = max(d, 0) }

func (l *Lane[T]) reset() {
	clear(l.events)
	l.events, l.head = l.events[:0], 0
	l.c.idle(l.idx)
}

// Timer is a queue of events of one kind, each at an instant of its own: a value of T handed to
// the timer's handler, so that scheduling one allocates nothing, where Clock.At's closure does.
// Events run in the same order, (instant, scheduling order), whether they go through a timer,
// a lane or the clock's queue. Like a lane, a timer shows the clock its first event only.
type Timer[T any] struct {
	c      *Clock
	idx    int
	handle func(T)
	events queue[T]
}

// NewTimer returns a timer of c whose events are handed to handle.
func NewTimer[T any](c *Clock, handle func(T)) *Timer[T] {
	t := &Timer[T]{c: c, handle: handle}
	t.idx = c.register(t)
	return t
}

// At schedules v for the handler at instant at (never in the past).
func (t *Timer[T]) At(at time.Duration, v T) {
	c := t.c
	at = max(at, c.now)
	c.seq++
	t.events.push(event[T]{at: at, seq: c.seq, v: v})
	c.show(t.idx, t.events[0].at, t.events[0].seq)
}

// After schedules v for the handler d from now.
func (t *Timer[T]) After(d time.Duration, v T) { t.At(t.c.now+d, v) }

func (t *Timer[T]) runNext() {
	e := t.events.pop()
	h := t.events
	c := t.c
	if len(h) > 0 {
		c.show(t.idx, h[0].at, h[0].seq)
	} else {
		c.idle(t.idx)
	}
	c.now = e.at
	c.events++
	t.handle(e.v)
}

func (t *Timer[T]) reset() {
	clear(t.events)
	t.events = t.events[:0]
	t.c.idle(t.idx)
}

// Clock is the virtual clock and its event queue.
type Clock struct {
	now    time.Duration
	seq    uint64
	queue  queue[func()]
	lanes  []lane
	heads  []laneHead // each lane's first event, by lane index
	busy   []uint64   // the lanes that hold events, a bit per lane index
	events uint64     // events run so far
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
	if c.queue == nil {
		c.queue = make(queue[func()], 0, 64)
	}
	c.queue.push(event[func()]{at: t, seq: c.seq, v: fn})
}

// After schedules fn d from now.
func (c *Clock) After(d time.Duration, fn func()) { c.At(c.now+d, fn) }

// Step runs the next event if it is due at or before until; it reports whether one ran.
func (c *Clock) Step(until time.Duration) bool {
	from := -1
	at, seq, ok := time.Duration(0), uint64(0), false
	if len(c.queue) > 0 {
		at, seq, ok = c.queue[0].at, c.queue[0].seq, true
	}
	for wi, w := range c.busy {
		for ; w != 0; w &= w - 1 {
			i := wi*64 + bits.TrailingZeros64(w)
			if h := &c.heads[i]; !ok || h.at < at || (h.at == at && h.seq < seq) {
				at, seq, ok, from = h.at, h.seq, true, i
			}
		}
	}
	if !ok || at > until {
		return false
	}
	if from >= 0 {
		c.lanes[from].runNext()
		return true
	}
	e := c.queue.pop()
	c.now = e.at
	c.events++
	e.v()
	return true
}

// AdvanceTo moves the clock to t when no event is due before it.
func (c *Clock) AdvanceTo(t time.Duration) {
	if c.now < t {
		c.now = t
	}
}

// Reset makes the clock as new but for its lanes, which it keeps, emptied, with what they and
// the queue allocated: a clock for another run.
func (c *Clock) Reset() {
	c.Restart()
	c.seq, c.events = 0, 0
}

// Restart drops every queued event and sets the clock back to 0: the state the events built
// becomes the start of the run.
func (c *Clock) Restart() {
	c.now = 0
	clear(c.queue)
	c.queue = c.queue[:0]
	for _, l := range c.lanes {
		l.reset()
	}
}
