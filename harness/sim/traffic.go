package sim

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
)

// reusedConns is how many kept-alive connections a reused-connection stream holds, as a vegeta
// attacker with a few busy workers does.
const reusedConns = 2

// conn is a kept-alive connection, pinned to the pod it reached.
type conn struct {
	pod *pod
}

// stream is one load stream: a target and a connection mode.
type stream struct {
	w     *workload // nil for the API prober
	mode  model.ConnMode
	conns []conn
	sent  int64
}

// traffic is the load on the virtual clock: the scenario's pacer for every stream, and a 1/s
// API prober. Between two changes of cluster state the routing is constant, so requests are
// not simulated one by one: each stretch of at most one second becomes, per stream, one sample
// for the requests that succeeded and one for those that failed, with their counts.
type traffic struct {
	on      bool
	start   time.Duration
	end     time.Duration // when a fixed-duration load stops; math.MaxInt64 otherwise
	last    time.Duration // requests before last have been emitted
	pacer   vegeta.Pacer
	probe   vegeta.Pacer
	streams []*stream
	api     *stream
	timeout time.Duration
	bin     bin
}

// flush emits the requests sent since the last flush, under the routing that held since then.
// Every change of cluster state that can change routing calls it first.
func (c *Cluster) flush() {
	t := &c.traffic
	if !t.on || c.clock.now <= t.last {
		return
	}
	to := c.clock.now
	if to > t.end {
		to = t.end
	}
	for t.last < to {
		// Bins end on whole seconds, so that reports can bin by second exactly.
		next := (t.last/time.Second + 1) * time.Second
		if next > to {
			next = to
		}
		c.emit(t.last, next)
		t.last = next
		if next%time.Second == 0 || next == t.end {
			c.closeBin(next)
		}
	}
	if c.clock.now >= t.end {
		t.last = c.clock.now
	}
	c.lbDirty = false
}

func (c *Cluster) hits(p vegeta.Pacer, from, to time.Duration) int64 {
	start := c.traffic.start
	return int64(loadgen.Hits(p, to-start)) - int64(loadgen.Hits(p, from-start))
}

// binomial draws how many of n requests fail with probability p each.
func (c *Cluster) binomial(n int64, p float64) int64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	}
	return int64(distuv.Binomial{N: float64(n), P: p, Src: c.src}.Rand())
}

func (c *Cluster) emit(from, to time.Duration) {
	t := &c.traffic
	n := c.hits(t.pacer, from, to)
	for _, s := range t.streams {
		if n == 0 {
			break
		}
		s.sent += n
		if s.mode == model.ConnNew {
			c.emitNew(s, from, to, n)
		} else {
			c.emitReused(s, from, to, n)
		}
	}
	if np := c.hits(t.probe, from, to); np > 0 {
		c.emitProbes(from, to, np)
	}
}

// emitNew emits requests that each open a connection through the edge load balancer, which
// retries other backends when a connection fails.
func (c *Cluster) emitNew(s *stream, from, to time.Duration, n int64) {
	r := c.edgeRoute(s.w)
	attempts := float64(1 + c.cal.LBRetries)
	pFail := r.allFail
	if r.noBackend {
		pFail = 1
	}
	failed := c.binomial(n, pFail)
	timeoutCost := c.cal.ConnectTimeout.Duration
	costPerFailure := time.Duration((1 - r.refusedShare) * float64(timeoutCost))
	if ok := n - failed; ok > 0 {
		// Failed attempts before the one that worked add their cost to the latency.
		retries := 0.0
		if r.fail < 1 {
			retries = r.fail / (1 - r.fail)
		}
		lat := c.cal.RequestLatency.Duration + time.Duration(retries*float64(costPerFailure))
		c.sample(s, from, to, ok, lat, 200, "", "")
	}
	if failed > 0 {
		msg := "load balancer: every backend refused the connection"
		if r.noBackend {
			msg = "load balancer: no healthy backend"
		} else if r.refusedShare < 0.5 {
			msg = "load balancer: connect timeout on every backend"
		}
		lat := time.Duration(attempts * float64(costPerFailure))
		if lat > c.traffic.timeout {
			lat = c.traffic.timeout
		}
		c.sample(s, from, to, failed, lat, 503, msg, "")
	}
}

// emitReused emits requests sent round robin over kept-alive connections. A connection sticks
// to its pod; it is re-opened (through the load balancer) when the pod closed it.
func (c *Cluster) emitReused(s *stream, from, to time.Duration, n int64) {
	per := n / int64(len(s.conns))
	extra := n % int64(len(s.conns))
	for i := range s.conns {
		k := per
		if int64(i) < extra {
			k++
		}
		cn := &s.conns[i]
		if k > 0 && cn.pod == nil {
			// The first request on a closed connection opens a new one; when no backend
			// answers, every request of the stretch tries again and fails the same way.
			if cn.pod = c.pickPod(s.w); cn.pod == nil {
				c.sample(s, from, to, k, c.cal.ConnectTimeout.Duration, 503, "load balancer: no backend answered the new connection", "")
				continue
			}
		}
		if k > 0 {
			if ok, _ := podAnswers(cn.pod); ok {
				c.sample(s, from, to, k, c.cal.RequestLatency.Duration+cn.pod.node.extraDelay, 200, "", cn.pod.name)
			} else {
				// The pod went away without closing the connection: requests hang until the
				// client's timeout, then the connection is dropped.
				c.sample(s, from, to, 1, c.traffic.timeout, 0, "timeout awaiting response headers", cn.pod.name)
				cn.pod = nil
				if k > 1 {
					cn.pod = c.pickPod(s.w)
					if cn.pod != nil {
						c.sample(s, from, to, k-1, c.cal.RequestLatency.Duration, 200, "", cn.pod.name)
					} else {
						c.sample(s, from, to, k-1, c.traffic.timeout, 503, "load balancer: no backend answered the new connection", "")
					}
				}
			}
		}
	}
}

// pickPod opens a connection through the edge load balancer and returns the pod it reached, or
// nil when every attempt failed.
func (c *Cluster) pickPod(w *workload) *pod {
	for attempt := 0; attempt <= int(c.cal.LBRetries); attempt++ {
		total := c.edge.down
		for b := 0; b < buckets; b++ {
			total += c.edge.up[b]
		}
		if total == 0 {
			return nil
		}
		x := c.rng.IntN(total)
		if x < c.edge.down {
			continue // a node the load balancer still sends to, but which is gone
		}
		x -= c.edge.down
		b := 0
		for ; b < buckets-1 && x >= c.edge.up[b]; b++ {
			x -= c.edge.up[b]
		}
		set := w.views[b].ready
		if len(set) == 0 {
			set = w.views[b].term
		}
		if len(set) == 0 {
			continue
		}
		p := set[c.rng.IntN(len(set))]
		if ok, _ := podAnswers(p); ok {
			return p
		}
	}
	return nil
}

// breakConns handles a pod that stops abruptly (killed, or an application that exits at
// SIGTERM): the requests in flight on connections pinned to it fail with a reset.
func (c *Cluster) breakConns(p *pod) {
	c.flush()
	if !c.traffic.on || c.clock.now >= c.traffic.end {
		c.dropConns(p)
		return
	}
	rate := c.traffic.pacer.Rate(c.clock.now - c.traffic.start)
	for _, s := range c.traffic.streams {
		if s.w != p.w || s.mode != model.ConnReused {
			continue
		}
		for i := range s.conns {
			if s.conns[i].pod != p {
				continue
			}
			s.conns[i].pod = nil
			inFlight := rate / float64(len(s.conns)) * c.cal.RequestLatency.Duration.Seconds()
			if c.rng.Float64() < math.Min(1, inFlight) {
				c.sample(s, c.clock.now, c.clock.now, 1, c.cal.RequestLatency.Duration, 0, "connection reset by peer", p.name)
			}
		}
	}
}

// dropConns closes the connections pinned to a pod that shut down gracefully: clients open
// new ones for their next request, and nothing fails.
func (c *Cluster) dropConns(p *pod) {
	for _, s := range c.traffic.streams {
		for i := range s.conns {
			if s.conns[i].pod == p {
				s.conns[i].pod = nil
			}
		}
	}
}

func (c *Cluster) emitProbes(from, to time.Duration, n int64) {
	s := c.traffic.api
	s.sent += n
	p, msg := c.apiFail()
	failed := c.binomial(n, p)
	if ok := n - failed; ok > 0 {
		c.sample(s, from, to, ok, c.cal.RequestLatency.Duration, 200, "", "")
	}
	if failed > 0 {
		c.sample(s, from, to, failed, c.cal.ConnectTimeout.Duration, 0, msg, "")
	}
}

// binKey identifies the requests of one second that are recorded together.
type binKey struct {
	s       *stream
	code    int
	err     string
	backend string
}

type binEntry struct {
	n      int64
	latSum time.Duration
	at     time.Duration // the send time, when the bin holds one request
}

// bin gathers the requests of the current second, so that each second gives one sample per
// stream and outcome however many times the cluster changed in it.
type bin struct {
	start   time.Duration
	keys    []binKey
	vals    []binEntry
	entries map[binKey]int // index into keys and vals
}

func (c *Cluster) sample(s *stream, from, to time.Duration, n int64, lat time.Duration, code int, errMsg, backend string) {
	b := &c.traffic.bin
	if b.entries == nil {
		b.entries = map[binKey]int{}
	}
	k := binKey{s: s, code: code, err: errMsg, backend: backend}
	i, ok := b.entries[k]
	if !ok {
		i = len(b.vals)
		b.entries[k] = i
		b.keys = append(b.keys, k)
		b.vals = append(b.vals, binEntry{})
	}
	e := &b.vals[i]
	if e.n == 0 && n == 1 {
		e.at = from
		if to > from {
			e.at += time.Duration(c.rng.Int64N(int64(to - from)))
		}
	}
	e.n += n
	e.latSum += lat * time.Duration(n)
}

// closeBin records the samples of the second that ends at end.
func (c *Cluster) closeBin(end time.Duration) {
	b := &c.traffic.bin
	for i, k := range b.keys {
		e := &b.vals[i]
		target := model.APITarget
		if k.s.w != nil {
			target = k.s.w.name
		}
		sm := model.Sample{
			Target: target, Conn: k.s.mode, At: b.start, Latency: e.latSum / time.Duration(e.n),
			Code: k.code, Error: k.err, Backend: k.backend, Count: e.n, Span: end - b.start,
		}
		if e.n == 1 {
			sm.At, sm.Count, sm.Span = e.at, 0, 0
		}
		c.record(c.rec.Sample(&sm))
	}
	clear(b.entries)
	b.keys, b.vals = b.keys[:0], b.vals[:0]
	b.start = end
}
