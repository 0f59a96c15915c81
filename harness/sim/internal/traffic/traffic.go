// Package traffic is the simulated load: vegeta's pacers on the virtual clock, every stream's
// requests routed through the edge load balancer as the world's routing stands, and the API
// prober. Between two changes of cluster state the routing is constant, so requests are not
// simulated one by one: each stretch of at most one second becomes, per stream, one sample for
// the requests that succeeded and one for those that failed, with their counts.
package traffic

import (
	"fmt"
	"math"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/zdt-dev/zdt/harness/sim/internal/draw"
	"github.com/zdt-dev/zdt/harness/sim/internal/reuse"
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// reusedConns is how many kept-alive connections a reused-connection stream holds, as a vegeta
// attacker with a few busy workers does.
const reusedConns = 2

// conn is a kept-alive connection, pinned to the pod it reached.
type conn struct {
	pod *world.Pod
	// delay is the path delay to delayPod, computed in the Flush delayGen.
	delayGen uint64
	delayPod *world.Pod
	delay    time.Duration
	// answered is the slot of the requests the pod answers (slotOf's for code 200, the pod's
	// name and the delay), kept so that a busy stream does not look it up every second, with
	// the pod it was found for (a pod's name names no other pod of its workload).
	answered    *slot
	answeredPod *world.Pod
}

// stream is one load stream: a target and a connection mode.
type stream struct {
	W     *world.Workload // nil for the API prober
	mode  model.ConnMode
	conns []conn
	// sent counts the requests emitted, recorded those handed to the recorder in samples.
	sent, recorded int64
	// slots are the outcomes of the stream's requests met so far (see slot); ok is the one of
	// code 200 with no backend named and no path delay.
	slots []*slot
	ok    *slot
	// free holds the slots of a released load's streams, for findSlot to make new ones in.
	free *[]*slot
	plan newConnPlan
	// okLat is the mean latency of a request a healthy pod answers on this stream's
	// connections, sigma the spread of the log-normal it follows (0: every request takes okLat).
	okLat time.Duration
	sigma float64
}

// latencyOf is a stream's latency model: its connection mode's distribution of the
// calibration profile, or requestLatency for every request where the profile has none.
func latencyOf(cal *calibration.Calibration, mode model.ConnMode) (time.Duration, float64) {
	q := cal.Latency.New
	if mode == model.ConnReused {
		q = cal.Latency.Reused
	}
	if _, sigma, ok := q.LogNormal(); ok {
		return q.Mean(), sigma
	}
	return cal.RequestLatency.Duration, 0
}

// Load is the load on the virtual clock: the scenario's pacer for every stream, and a 1/s API
// prober.
type Load struct {
	c       *world.World
	on      bool
	start   time.Duration
	end     time.Duration // when a fixed-duration load stops; math.MaxInt64 otherwise
	last    time.Duration // requests before last have been emitted
	pacer   vegeta.Pacer  // the load's (the prober sends one request a second)
	streams []*stream
	API     *stream
	timeout time.Duration
	bin     bin
	// gen counts the Flushes: what is computed from the cluster's state holds within one.
	gen  uint64
	tmpl template
	// pacerCount and probeCount count the load's and the prober's hits, with the latest
	// counts hits computed.
	pacerCount, probeCount hitCount
	// countProbes says that the recorder counts the prober's answered probes
	// (world.CountsProbes): record gathers them in probes.
	countProbes bool
	probes      probeRun
	// spareStreams and spareSlots are what the runs before left (Release), for this run's
	// streams and slots to be made in.
	spareStreams []*stream
	spareSlots   []*slot
}

// loads holds the loads of closed clusters (Release) for the next ones: a sweep's runs are
// alike, so what a run's load allocated (its streams and slots, the lists of its second and
// its template) fits the next.
var loads = sync.Pool{New: func() any { return new(Load) }}

// Release hands the load back for another run's: nothing may use it afterwards.
func (l *Load) Release() {
	for i := 0; i <= len(l.streams); i++ {
		s := l.API
		if i < len(l.streams) {
			s = l.streams[i]
		}
		if s == nil {
			continue
		}
		for _, sl := range s.slots {
			*sl = slot{}
			l.spareSlots = append(l.spareSlots, sl)
		}
		clear(s.conns)
		*s = stream{conns: s.conns[:0], slots: reuse.Emptied(s.slots)}
		l.spareStreams = append(l.spareStreams, s)
	}
	clear(l.tmpl.calls)
	clear(l.tmpl.slots)
	*l = Load{
		streams: reuse.Emptied(l.streams), bin: bin{order: reuse.Emptied(l.bin.order), pending: reuse.Emptied(l.bin.pending)},
		tmpl:         template{calls: l.tmpl.calls[:0], slots: l.tmpl.slots[:0], drawn: l.tmpl.drawn[:0], recorded: l.tmpl.recorded[:0]},
		spareStreams: l.spareStreams, spareSlots: l.spareSlots,
	}
	loads.Put(l)
}

// newStream makes a stream, in one a released load left when there is one.
func (l *Load) newStream(w *world.Workload, mode model.ConnMode) *stream {
	s := reuse.Take(&l.spareStreams)
	*s = stream{W: w, mode: mode, conns: s.conns[:0], slots: s.slots[:0], free: &l.spareSlots}
	if mode == model.ConnReused {
		if cap(s.conns) >= reusedConns {
			s.conns = s.conns[:reusedConns]
		} else {
			s.conns = make([]conn, reusedConns)
		}
	}
	return s
}

// Flush emits the requests sent since the last flush, under the routing that held since then.
// Every change of cluster state that can change routing calls it first.
func (l *Load) Flush() {
	t := l
	if !t.on || l.c.Clock.Now() <= t.last {
		return
	}
	to := l.c.Clock.Now()
	l.c.RoutesChanged()
	l.gen++
	l.settle()
	l.tmpl.ok, l.tmpl.steady = false, false
	if to > t.end {
		to = t.end
	}
	for t.last < to {
		// Bins end on whole seconds, so that reports can bin by second exactly.
		next := (t.last/time.Second + 1) * time.Second
		if next > to {
			next = to
		}
		whole := next-t.last == time.Second
		if whole && l.replay(t.last, next) {
			t.last = next
			continue
		}
		l.settle() // before the template's slots go
		l.tmpl.recording, l.tmpl.dirty, l.tmpl.calls, l.tmpl.slots = whole, false, l.tmpl.calls[:0], l.tmpl.slots[:0]
		l.tmpl.steady = false
		l.emit(t.last, next)
		l.tmpl.ok = whole && !l.tmpl.dirty
		l.tmpl.recording = false
		t.last = next
		if next%time.Second == 0 || next == t.end {
			l.closeBin(next)
		}
	}
	if l.c.Clock.Now() >= t.end {
		t.last = l.c.Clock.Now()
	}
}

// template is a whole second as emit made it, for the seconds after it in the same Flush: the
// cluster does not change within a Flush, so a second whose requests drew nothing at random
// (no failure drawn, no connection re-opened) is followed by seconds made of the same request
// groups. Replaying it gives what emit and closeBin would, draws included (a group of one
// request draws its send time), without routing every stream again.
type template struct {
	ok, recording, dirty bool
	n, probes            int64 // requests per stream and API probes in the second
	calls                []call
	// slots are the slots the calls touched, in the order they were first touched, with what
	// the second puts in each (made from calls at the first replay).
	slots []tmplSlot
	// steady says that the last replay merged every merging slot's requests into the run of
	// seconds its slot holds. The next seconds do the same as long as no run reaches maxMerged
	// (room seconds), so replay only counts them (deferred) and settle adds them to the runs
	// before anything reads them; the seconds' other work (draws, the samples of the other
	// slots) is done as it comes, so that everything is recorded in the same order.
	steady   bool
	room     int64
	deferred int64
	// drawn and recorded are the places in slots of the slots that draw their send time and
	// of those closeBin records every second (the ones that do not merge).
	drawn, recorded []int
	// made counts the templates whose slots were made (slot.tmplMade).
	made uint64
}

// call is one group of requests emit added to a slot.
type call struct {
	sl  *slot
	n   int64
	lat time.Duration
}

type tmplSlot struct {
	sl     *slot
	n      int64
	latSum time.Duration
	draws  bool // the slot's first group is of one request: it draws its send time
	// lat is the mean latency of the slot's requests; merges says that they are successful
	// requests, more than one, which closeBin merges into the run of seconds held.
	lat    time.Duration
	merges bool
}

// replay emits and closes the whole second [from, to) as the template second was, if the
// pacers send the same requests in it and the second holds nothing else yet; it reports
// whether it did.
func (l *Load) replay(from, to time.Duration) bool {
	tp := &l.tmpl
	if !tp.ok || len(l.bin.order) > 0 || from%time.Second != 0 {
		return false
	}
	n, np := l.hits(&l.pacerCount, from, to), l.hits(&l.probeCount, from, to)
	if n != tp.n || np != tp.probes {
		return false
	}
	if len(tp.slots) == 0 && len(tp.calls) > 0 {
		tp.made++
		for _, c := range tp.calls {
			i := c.sl.tmplPos
			if c.sl.tmplMade != tp.made {
				i = len(tp.slots)
				c.sl.tmplMade, c.sl.tmplPos = tp.made, i
				tp.slots = append(tp.slots, tmplSlot{sl: c.sl, draws: c.n == 1})
			}
			tp.slots[i].n += c.n
			tp.slots[i].latSum += c.lat * time.Duration(c.n)
		}
		tp.drawn, tp.recorded = tp.drawn[:0], tp.recorded[:0]
		for i := range tp.slots {
			ts := &tp.slots[i]
			ts.lat = ts.latSum / time.Duration(ts.n)
			ts.merges = ts.n > 1 && ts.sl.code >= 200 && ts.sl.code < 400 && ts.sl.err == ""
			if ts.draws {
				tp.drawn = append(tp.drawn, i)
			}
			if !ts.merges {
				tp.recorded = append(tp.recorded, i)
			}
		}
	}
	// The draws come first, in the order the slots were first touched, as add makes them. A
	// slot's send time is read only when it holds one request, which is when it draws (add
	// sets it anew when the slot is next touched).
	b := &l.bin
	for _, i := range tp.drawn {
		sl := tp.slots[i].sl
		sl.at = from + time.Duration(draw.Int64N(l.c.Src, int64(to-from)))
	}
	// Then closeBin's work for a second whose slots are these and nothing else.
	if tp.steady && tp.deferred < tp.room {
		// The streams' counts of requests sent are added by settle too.
		tp.deferred++
		for _, i := range tp.recorded {
			l.recordSecond(&tp.slots[i], b.start)
		}
		b.start = to
		return true
	}
	l.settle()
	if n > 0 {
		for _, s := range l.streams {
			s.sent += n
		}
	}
	if np > 0 {
		l.API.sent += np
	}
	tp.steady, tp.room = true, math.MaxInt64
	for i := range tp.slots {
		ts := &tp.slots[i]
		sl := ts.sl
		lat := ts.lat
		sl.n = ts.n
		if ts.merges {
			if p := sl.pending; p != nil && p.s.At+p.s.Span == b.start && p.s.Count*time.Second.Nanoseconds() == ts.n*p.s.Span.Nanoseconds() &&
				p.s.Latency == lat && p.s.Span < maxMerged {
				p.s.Count += ts.n
				p.s.Span += time.Second
				// The run takes one more second at each replay while its span is below
				// maxMerged.
				tp.room = min(tp.room, int64((maxMerged-p.s.Span+time.Second-1)/time.Second))
				continue
			}
			tp.steady = false
			if p := sl.pending; p != nil {
				l.record(sl.s, &p.s)
				l.fill(&p.s, sl, b.start, lat, time.Second)
				continue
			}
			p := sl.startRun()
			l.fill(&p.s, sl, b.start, lat, time.Second)
			sl.pending = p
			b.pending = append(b.pending, p)
			continue
		}
		l.recordSecond(ts, b.start)
	}
	b.start = to
	return true
}

// recordSecond records the requests of a template slot that closeBin would not merge, for the
// whole second from at.
func (l *Load) recordSecond(ts *tmplSlot, at time.Duration) {
	sl := ts.sl
	sl.n = ts.n
	sm := &sl.out
	l.fill(sm, sl, at, ts.lat, time.Second)
	if ts.n == 1 {
		sm.At, sm.Count, sm.Span = sl.at, 0, 0
	}
	l.record(sl.s, sm)
}

// settle adds the seconds replay deferred to the runs of the template's merging slots.
func (l *Load) settle() {
	tp := &l.tmpl
	if tp.deferred == 0 {
		return
	}
	for i := range tp.slots {
		if ts := &tp.slots[i]; ts.merges {
			p := ts.sl.pending
			p.s.Count += tp.deferred * ts.n
			p.s.Span += time.Duration(tp.deferred) * time.Second
		}
	}
	for _, s := range l.streams {
		s.sent += tp.deferred * tp.n
	}
	l.API.sent += tp.deferred * tp.probes
	tp.deferred = 0
}

// hits is how many requests pacer p sends in [from, to). Flushes go forward in time, so the
// count at from is most often the count at the previous call's to, which is remembered.
func (l *Load) hits(c *hitCount, from, to time.Duration) int64 {
	h0, ok := c.at(from)
	if !ok {
		h0 = int64(c.pacer.Hits(from - l.start))
	}
	h1, ok := c.at(to)
	if !ok {
		h1 = int64(c.pacer.Hits(to - l.start))
	}
	c.t, c.n, c.set = to, h1, true
	return h1 - h0
}

// hitCount is a pacer's request count at one instant.
type hitCount struct {
	t     time.Duration
	n     int64
	set   bool
	pacer loadgen.Counter
}

func (c *hitCount) at(t time.Duration) (int64, bool) { return c.n, c.set && c.t == t }

// binomial draws how many of n requests fail with probability p each.
func (l *Load) binomial(n int64, p float64) int64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	}
	l.tmpl.dirty = true
	return int64(distuv.Binomial{N: float64(n), P: p, Src: l.c.Src}.Rand())
}

func (l *Load) emit(from, to time.Duration) {
	t := l
	n := l.hits(&l.pacerCount, from, to)
	l.tmpl.n = n
	l.tmpl.probes = l.hits(&l.probeCount, from, to)
	for _, s := range t.streams {
		if n == 0 {
			break
		}
		s.sent += n
		if s.mode == model.ConnNew {
			l.emitNew(s, from, to, n)
		} else {
			l.emitReused(s, from, to, n)
		}
	}
	if np := l.tmpl.probes; np > 0 {
		l.emitProbes(from, to, np)
	}
}

// newConnPlan is what the routing makes of a stream's new-connection requests, computed once
// per Flush: the cluster does not change during one, so every second it emits is routed alike.
type newConnPlan struct {
	gen     uint64 // the Flush it was computed in
	route   uint64 // the version of the workload's route it was computed from
	made    bool
	pFail   float64
	okLat   time.Duration
	shares  []world.DelayShare
	failMsg string
	failLat time.Duration
}

func (l *Load) newConnPlan(s *stream) *newConnPlan {
	pl := &s.plan
	if pl.gen == l.gen {
		return pl
	}
	// Without a delayed node, the plan is made of the route's figures alone: a route that is
	// as it was (not to be recomputed, or recomputed the same) leaves it as it was.
	keep := pl.made && l.c.Effects.DelayedNodes == 0
	if keep && l.c.RouteIs(s.W, pl.route) {
		pl.gen = l.gen
		return pl
	}
	r := l.c.EdgeRoute(s.W)
	if keep && pl.route == r.Version {
		pl.gen = l.gen
		return pl
	}
	pl.route, pl.made = r.Version, l.c.Effects.DelayedNodes == 0
	attempts := float64(1 + l.c.Cal.LBRetries)
	pl.gen, pl.pFail = l.gen, r.AllFail
	if r.NoBackend {
		pl.pFail = 1
	}
	timeoutCost := l.c.Cal.ConnectTimeout.Duration
	costPerFailure := time.Duration((1 - r.RefusedShare) * float64(timeoutCost))
	// Failed attempts before the one that worked add their cost to the latency.
	retries := 0.0
	if r.Fail < 1 {
		retries = r.Fail / (1 - r.Fail)
	}
	pl.okLat = s.okLat + time.Duration(retries*float64(costPerFailure))
	pl.shares = l.c.NewConnDelays(s.W, pl.shares)
	pl.failMsg = "load balancer: every backend refused the connection"
	if r.NoBackend {
		pl.failMsg = "load balancer: no healthy backend"
	} else if r.RefusedShare < 0.5 {
		pl.failMsg = "load balancer: connect timeout on every backend"
	}
	pl.failLat = min(time.Duration(attempts*float64(costPerFailure)), l.timeout)
	return pl
}

// emitNew emits requests that each open a connection through the edge load balancer, which
// retries other backends when a connection fails.
func (l *Load) emitNew(s *stream, from, to time.Duration, n int64) {
	pl := l.newConnPlan(s)
	if pl.pFail <= 0 && pl.shares == nil {
		// Every request answered, no path delay: what sample would do without a draw.
		l.addTo(s.slotOf(200, "", "", 0), from, to, n, pl.okLat)
		return
	}
	failed := l.binomial(n, pl.pFail)
	if ok := n - failed; ok > 0 {
		if pl.shares != nil {
			l.splitByDelay(s, from, to, ok, pl.okLat, pl.shares)
		} else {
			l.sample(s, from, to, ok, pl.okLat, 200, "", "")
		}
	}
	if failed > 0 {
		l.sample(s, from, to, failed, pl.failLat, 503, pl.failMsg, "")
	}
}

// splitByDelay emits n successful requests in groups by path delay, each group's count its
// share of n (largest remainders get the rounding), so that no random draw is added.
func (l *Load) splitByDelay(s *stream, from, to time.Duration, n int64, lat time.Duration, shares []world.DelayShare) {
	counts := make([]int64, len(shares))
	rest := n
	for i, sh := range shares {
		counts[i] = int64(sh.Share * float64(n))
		rest -= counts[i]
	}
	for ; rest > 0; rest-- {
		best, bestFrac := 0, -1.0
		for i, sh := range shares {
			if frac := sh.Share*float64(n) - float64(counts[i]); frac > bestFrac {
				best, bestFrac = i, frac
			}
		}
		counts[best]++
	}
	for i, sh := range shares {
		if counts[i] > 0 {
			l.delayed(s, from, to, counts[i], lat, sh.Delay, "")
		}
	}
}

// delayed emits n requests that took lat and a path delay: answered, or given up at the
// client's timeout.
func (l *Load) delayed(s *stream, from, to time.Duration, n int64, lat, path time.Duration, backend string) {
	if lat+path >= l.timeout {
		l.sampleOf(s, from, to, n, l.timeout, 0, "timeout awaiting response headers (network delay)", backend, path)
		return
	}
	l.sampleOf(s, from, to, n, lat+path, 200, "", backend, path)
}

// emitReused emits requests sent round robin over kept-alive connections. A connection sticks
// to its pod; it is re-opened (through the load balancer) when the pod closed it.
func (l *Load) emitReused(s *stream, from, to time.Duration, n int64) {
	// A stream holds reusedConns connections (a constant: the division is a shift).
	per := n / reusedConns
	extra := n % reusedConns
	for i := range s.conns {
		k := per
		if int64(i) < extra {
			k++
		}
		cn := &s.conns[i]
		if k > 0 && cn.pod == nil {
			l.tmpl.dirty = true
			// The first request on a closed connection opens a new one; when no backend
			// answers, every request of the stretch tries again and fails the same way.
			if cn.pod = l.c.PickPod(s.W); cn.pod == nil {
				l.sample(s, from, to, k, l.c.Cal.ConnectTimeout.Duration, 503, "load balancer: no backend answered the new connection", "")
				continue
			}
		}
		if k > 0 {
			if ok, _ := world.PodAnswers(cn.pod); ok {
				if cn.delayGen != l.gen || cn.delayPod != cn.pod {
					d := time.Duration(0)
					if l.c.Effects.DelayedNodes > 0 {
						d = l.c.ReusedDelay(cn.pod, i)
					}
					cn.delayGen, cn.delayPod, cn.delay = l.gen, cn.pod, d
				}
				if s.okLat+cn.delay >= l.timeout {
					l.delayed(s, from, to, k, s.okLat, cn.delay, cn.pod.Name)
					continue
				}
				if sl := cn.answered; sl == nil || cn.answeredPod != cn.pod || sl.path != cn.delay {
					cn.answered, cn.answeredPod = s.slotOf(200, "", cn.pod.Name, cn.delay), cn.pod
				}
				l.addTo(cn.answered, from, to, k, s.okLat+cn.delay)
			} else {
				// The pod went away without closing the connection: requests hang until the
				// client's timeout, then the connection is dropped.
				l.tmpl.dirty = true
				l.sample(s, from, to, 1, l.timeout, 0, "timeout awaiting response headers", cn.pod.Name)
				cn.pod = nil
				if k > 1 {
					cn.pod = l.c.PickPod(s.W)
					if cn.pod != nil {
						l.sample(s, from, to, k-1, s.okLat, 200, "", cn.pod.Name)
					} else {
						l.sample(s, from, to, k-1, l.timeout, 503, "load balancer: no backend answered the new connection", "")
					}
				}
			}
		}
	}
}

// BreakConns handles a pod that stops abruptly (killed, or an application that exits at
// SIGTERM): the requests in flight on connections pinned to it fail with a reset.
func (l *Load) BreakConns(p *world.Pod) {
	l.Flush()
	if !l.on || l.c.Clock.Now() >= l.end {
		l.DropConns(p)
		return
	}
	rate := l.pacer.Rate(l.c.Clock.Now() - l.start)
	for _, s := range l.streams {
		if s.W != p.W || s.mode != model.ConnReused {
			continue
		}
		for i := range s.conns {
			if s.conns[i].pod != p {
				continue
			}
			s.conns[i].pod = nil
			inFlight := rate / float64(len(s.conns)) * s.okLat.Seconds()
			if l.c.Rng.Float64() < math.Min(1, inFlight) {
				l.sample(s, l.c.Clock.Now(), l.c.Clock.Now(), 1, s.okLat, 0, "connection reset by peer", p.Name)
			}
		}
	}
}

// DropConns closes the connections pinned to a pod that shut down gracefully: clients open
// new ones for their next request, and nothing fails.
func (l *Load) DropConns(p *world.Pod) {
	for _, s := range l.streams {
		for i := range s.conns {
			if s.conns[i].pod == p {
				s.conns[i].pod = nil
			}
		}
	}
}

func (l *Load) emitProbes(from, to time.Duration, n int64) {
	s := l.API
	s.sent += n
	p, msg := l.c.APIFail()
	failed := l.binomial(n, p)
	if ok := n - failed; ok > 0 {
		l.sample(s, from, to, ok, s.okLat, 200, "", "")
	}
	if failed > 0 {
		l.sample(s, from, to, failed, l.c.Cal.ConnectTimeout.Duration, 0, msg, "")
	}
}

// slot gathers the requests of one stream and outcome (code, error, backend, path delay) that
// are recorded together: this second's, and the run of whole seconds before it held as one
// sample. A stream has a few slots; they are found by a short scan of the stream's own.
type slot struct {
	s       *stream
	code    int
	err     string
	backend string
	path    time.Duration // the path delay of the requests (world.PathDelay)

	// This second's requests: n of them, their latencies summed, and the send time when
	// the slot holds one request.
	n       int64
	latSum  time.Duration
	at      time.Duration
	touched bool // in bin.order this second
	// tmplPos is the slot's place in the template's slots, for the template made tmplMade.
	tmplPos  int
	tmplMade uint64

	// pending is the run of whole seconds with the same successful requests, not yet
	// recorded (see closeBin); nil when none is held. It is run, which a slot reuses: a slot
	// holds one run at a time.
	pending *pendingSample
	run     pendingSample
	// out is the sample of requests not merged into a run, handed to the recorder (which
	// copies what it keeps). It and run's sample hold the slot's stream and outcome from the
	// slot's making on: fill writes only what changes from sample to sample.
	out model.Sample
}

// startRun returns the slot's run for a run that starts.
func (sl *slot) startRun() *pendingSample {
	sl.run.seen = false
	return &sl.run
}

// bin gathers the requests of the current second, so that each second gives one sample per
// stream and outcome however many times the cluster changed in it.
type bin struct {
	start time.Duration
	// order is the slots touched this second, in the order they were first touched.
	order []*slot
	// pending holds the runs of whole seconds not yet recorded, in the order they began.
	pending []*pendingSample
}

// pendingSample is a run of whole seconds with the same successful requests, not yet recorded.
type pendingSample struct {
	sl   *slot
	s    model.Sample
	seen bool
}

// maxMerged bounds how much simulated time one merged sample covers, so that a run directory
// on disk is never far behind the run.
const maxMerged = time.Minute

func (l *Load) sample(s *stream, from, to time.Duration, n int64, lat time.Duration, code int, errMsg, backend string) {
	l.sampleOf(s, from, to, n, lat, code, errMsg, backend, 0)
}

// slotOf returns the stream's slot for an outcome, made on first use.
func (s *stream) slotOf(code int, errMsg, backend string, path time.Duration) *slot {
	// Most requests succeed with no backend named and no path delay: that slot is kept at hand.
	if code == 200 && errMsg == "" && backend == "" && path == 0 {
		if s.ok == nil {
			s.ok = s.findSlot(code, errMsg, backend, path)
		}
		return s.ok
	}
	return s.findSlot(code, errMsg, backend, path)
}

func (s *stream) findSlot(code int, errMsg, backend string, path time.Duration) *slot {
	for _, sl := range s.slots {
		if sl.code == code && sl.path == path && sl.backend == backend && sl.err == errMsg {
			return sl
		}
	}
	sl := reuse.Take(s.free)
	*sl = slot{s: s, code: code, err: errMsg, backend: backend, path: path}
	target := model.APITarget
	if s.W != nil {
		target = s.W.Name
	}
	sl.out = model.Sample{Target: target, Conn: s.mode, Code: code, Error: errMsg, Backend: backend}
	if s.sigma > 0 && code >= 200 && code < 400 && errMsg == "" {
		sl.out.LatencySigma = s.sigma
	}
	sl.run = pendingSample{sl: sl, s: sl.out}
	s.slots = append(s.slots, sl)
	return sl
}

// sampleOf is sample for requests of one path delay: requests of different path delays are
// recorded apart, so that their latencies are not averaged together.
func (l *Load) sampleOf(s *stream, from, to time.Duration, n int64, lat time.Duration, code int, errMsg, backend string, path time.Duration) {
	l.addTo(s.slotOf(code, errMsg, backend, path), from, to, n, lat)
}

// addTo is sampleOf for requests whose slot is known.
func (l *Load) addTo(sl *slot, from, to time.Duration, n int64, lat time.Duration) {
	if l.tmpl.recording {
		l.tmpl.calls = append(l.tmpl.calls, call{sl: sl, n: n, lat: lat})
	}
	l.add(sl, from, to, n, lat)
}

// add puts n requests sent over [from, to) that took lat into their slot's second.
func (l *Load) add(sl *slot, from, to time.Duration, n int64, lat time.Duration) {
	b := &l.bin
	if !sl.touched {
		sl.touched, sl.n, sl.latSum, sl.at = true, 0, 0, 0
		b.order = append(b.order, sl)
	}
	if sl.n == 0 && n == 1 {
		sl.at = from
		if to > from {
			sl.at += time.Duration(draw.Int64N(l.c.Src, int64(to-from)))
		}
	}
	sl.n += n
	sl.latSum += lat * time.Duration(n)
}

// closeBin records the samples of the second that ends at end.
//
// Successful requests of consecutive whole seconds with the same count and latency are recorded
// as one sample: a sample of n requests over span stands for requests sent evenly over it, so
// k seconds of n requests each and one sample of k*n over k seconds are the same requests at
// the same instants. Failures, single requests and partial seconds are recorded as they come.
func (l *Load) closeBin(end time.Duration) {
	l.settle()
	b := &l.bin
	span := end - b.start
	for _, p := range b.pending {
		p.seen = false
	}
	for _, sl := range b.order {
		sl.touched = false
		lat := sl.latSum / time.Duration(sl.n)
		ok := sl.code >= 200 && sl.code < 400 && sl.err == ""
		if sl.n > 1 && ok && span == time.Second {
			// A whole second of successful requests: it extends the run held, or starts one.
			if p := sl.pending; p != nil && p.s.At+p.s.Span == b.start && p.s.Count*time.Second.Nanoseconds() == sl.n*p.s.Span.Nanoseconds() &&
				p.s.Latency == lat && p.s.Span < maxMerged {
				p.s.Count += sl.n
				p.s.Span += span
				p.seen = true
				continue
			}
			if p := sl.pending; p != nil {
				l.record(sl.s, &p.s)
				l.fill(&p.s, sl, b.start, lat, span)
				p.seen = true
				continue
			}
			p := sl.startRun()
			l.fill(&p.s, sl, b.start, lat, span)
			p.seen = true
			sl.pending = p
			b.pending = append(b.pending, p)
			continue
		}
		sm := &sl.out
		l.fill(sm, sl, b.start, lat, span)
		if sl.n == 1 {
			sm.At, sm.Count, sm.Span = sl.at, 0, 0
		}
		l.record(sl.s, sm)
	}
	// A slot that had no requests this second ends its run.
	kept := b.pending[:0]
	for _, p := range b.pending {
		if p.seen {
			kept = append(kept, p)
			continue
		}
		l.record(p.sl.s, &p.s)
		p.sl.pending = nil
	}
	clear(b.pending[len(kept):])
	b.pending = kept
	clear(b.order)
	b.order = b.order[:0]
	b.start = end
}

// fill writes the sample of a slot's requests of the second from at into sm, the slot's own
// (out, or its run's), which holds the slot's stream and outcome already.
func (l *Load) fill(sm *model.Sample, sl *slot, at, lat, span time.Duration) {
	sm.At, sm.Latency, sm.Count, sm.Span = at, lat, sl.n, span
}

// flushPending records every merged sample still held.
func (l *Load) flushPending() {
	l.settle()
	b := &l.bin
	for _, p := range b.pending {
		l.record(p.sl.s, &p.s)
		p.sl.pending = nil
	}
	clear(b.pending)
	b.pending = b.pending[:0]
}

// record hands one sample to the recorder. For a recorder that counts the prober's answered
// probes (world.CountsProbes), those after the prober's first sample are gathered into a run
// and handed over by flushProbes; the first goes to Sample, so that the recorder meets the
// prober's stream where it would without runs.
func (l *Load) record(s *stream, sm *model.Sample) {
	if s == l.API && l.countProbes && s.recorded > 0 && sm.N() == 1 && sm.OK() {
		pr := &l.probes
		if pr.n == 0 || sm.At < pr.first {
			pr.first = sm.At
		}
		pr.last = max(pr.last, sm.At)
		pr.n++
		s.recorded++
		return
	}
	l.c.Sample(sm)
	s.recorded += sm.N()
}

// flushProbes hands the recorder the run of answered probes record gathered.
func (l *Load) flushProbes() {
	if pr := &l.probes; pr.n > 0 {
		l.c.ProbesAnswered(pr.first, pr.last, pr.n)
		*pr = probeRun{}
	}
}

// probeRun is a run of answered probes: how many, and the first and last send times.
type probeRun struct {
	n           int64
	first, last time.Duration
}

// Start starts the scenario's load and the API prober at the world's current instant.
func Start(c *world.World) (*Load, error) {
	l := &c.Sc.Spec.Load
	pacer, err := loadgen.NewPacer(l)
	if err != nil {
		return nil, fmt.Errorf("spec.load: %w", err)
	}
	now := c.Clock.Now()
	t := loads.Get().(*Load)
	t.c, t.on, t.start, t.last, t.end, t.pacer = c, true, now, now, math.MaxInt64, pacer
	t.timeout, t.bin.start, t.countProbes = l.Timeout.Duration, now, c.CountsProbes()
	rate := 1.0
	probe, err := loadgen.NewPacer(&scenarios.Load{Rate: &rate})
	if err != nil {
		return nil, err
	}
	t.pacerCount.pacer, t.probeCount.pacer = loadgen.NewCounter(pacer), loadgen.NewCounter(probe)
	if l.Duration != scenarios.UntilUpgradeDone {
		d, _ := time.ParseDuration(l.Duration)
		t.end = now + d
	}
	for _, name := range l.Targets {
		for _, mode := range l.Connections {
			s := t.newStream(c.Workload(name), model.ConnMode(mode))
			s.okLat, s.sigma = latencyOf(&c.Cal, s.mode)
			t.streams = append(t.streams, s)
		}
	}
	t.API = t.newStream(nil, model.ConnNew)
	t.API.okLat = c.Cal.RequestLatency.Duration
	return t, nil
}

// Stop emits what is left and reports each stream as it went: planned is what the pacer asked
// for from the start of the load to its planned end (now, for a load that lasts the whole
// upgrade), sent what was emitted, recorded what reached the recorder.
func (l *Load) Stop() []model.StreamStats {
	l.Flush()
	if l.on {
		l.closeBin(l.c.Clock.Now())
	}
	l.flushPending()
	l.flushProbes()
	l.on = false
	until := min(l.c.Clock.Now(), l.end)
	var out []model.StreamStats
	for _, s := range append(append([]*stream(nil), l.streams...), l.API) {
		target := model.APITarget
		if s.W != nil {
			target = s.W.Name
		}
		count := &l.pacerCount
		if s == l.API {
			count = &l.probeCount
		}
		out = append(out, model.StreamStats{Target: target, Conn: s.mode, Planned: l.hits(count, l.start, until), Sent: s.sent, Recorded: s.recorded})
	}
	return out
}
