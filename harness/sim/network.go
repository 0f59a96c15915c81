package sim

import (
	"time"

	"github.com/zdt-dev/zdt/model"
)

// view is what the kube-proxies of one sync bucket have programmed for a Service: the ready
// endpoints, and the serving-but-terminating ones used only when no ready one is left
// (ProxyTerminatingEndpoints).
type view struct {
	ready []*pod
	term  []*pod
}

func setAdd(s *[]*pod, p *pod, pos *int) {
	if *pos >= 0 {
		return
	}
	*pos = len(*s)
	*s = append(*s, p)
}

func setRemove(s *[]*pod, pos *int, posOf func(*pod) *int) {
	i := *pos
	if i < 0 {
		return
	}
	last := len(*s) - 1
	if i != last {
		moved := (*s)[last]
		(*s)[i] = moved
		*posOf(moved) = i
	}
	(*s)[last] = nil
	*s = (*s)[:last]
	*pos = -1
}

// applyView programs a pod's endpoint into the views of bucket b.
func (c *Cluster) applyView(p *pod, b int, ep endpoint) {
	c.flush()
	w := p.w
	v := &w.views[b]
	if ep.present && ep.ready && !ep.terminating {
		setAdd(&v.ready, p, &p.viewPos[b])
	} else {
		setRemove(&v.ready, &p.viewPos[b], func(q *pod) *int { return &q.viewPos[b] })
	}
	if ep.present && ep.serving && ep.terminating {
		setAdd(&v.term, p, &p.termPos[b])
	} else {
		setRemove(&v.term, &p.termPos[b], func(q *pod) *int { return &q.termPos[b] })
	}
	w.route.dirty = true
}

// syncEndpoint writes the pod's current state into its EndpointSlice after the endpointslice
// controller's delay, and into every kube-proxy bucket after that bucket's delay.
func (c *Cluster) syncEndpoint(p *pod) {
	c.clock.after(c.cal.EndpointSync.Duration, func() {
		ep := endpoint{
			present:     p.started && !p.gone,
			ready:       p.ready && !p.terminating,
			serving:     p.ready,
			terminating: p.terminating,
		}
		if ep == p.ep {
			return
		}
		if p.ep.present && p.ep.ready && !ep.ready && p.w.target {
			c.instant(model.Warning, locPod(p), model.ReasonEndpointRemoved, "endpoint of "+p.name+" removed from service "+p.w.name)
		}
		if p.ep.present && p.ep.ready {
			p.w.endpoints--
		}
		if ep.present && ep.ready {
			p.w.endpoints++
		}
		p.ep = ep
		for b := 0; b < buckets; b++ {
			b := b
			c.clock.after(c.lags[b], func() { c.applyView(p, b, ep) })
		}
	})
}

// route is the cached outcome distribution of one connection attempt to a Service through the
// edge load balancer, valid until the cluster's state changes.
type route struct {
	dirty bool
	// fail is the probability that one attempt fails; refusedShare how much of it is a quick
	// refusal (the rest are connect timeouts).
	fail         float64
	upFail       float64 // failure probability of an attempt through a live node
	allFail      float64 // probability that every attempt of a request fails
	refusedShare float64
	noBackend    bool
	// perBucket is the failure probability of an attempt entering through a reachable node of
	// each bucket.
	perBucket [buckets]float64
	refused   [buckets]float64
}

// podAnswers reports whether a connection to the pod's IP gets an answer from the application,
// and if not whether it is refused (process gone, sandbox alive) rather than lost.
func podAnswers(p *pod) (ok, refused bool) {
	switch {
	case p.gone || !p.node.reachable():
		return false, false
	case !p.serving:
		return false, true
	}
	return true, false
}

// edgeRoute recomputes the routing probabilities of a workload's Service.
func (c *Cluster) edgeRoute(w *workload) *route {
	r := &w.route
	if !r.dirty && !c.lbDirty {
		return r
	}
	r.dirty = false
	for b := 0; b < buckets; b++ {
		v := &w.views[b]
		set := v.ready
		if len(set) == 0 {
			set = v.term
		}
		if len(set) == 0 {
			r.perBucket[b], r.refused[b] = 1, 1 // kube-proxy REJECTs: no endpoints
			continue
		}
		bad, refused := 0, 0
		for _, p := range set {
			ok, ref := podAnswers(p)
			if !ok {
				bad++
				if ref {
					refused++
				}
			}
		}
		r.perBucket[b] = float64(bad) / float64(len(set))
		r.refused[b] = float64(refused) / float64(len(set))
	}
	total := c.edge.down
	for b := 0; b < buckets; b++ {
		total += c.edge.up[b]
	}
	r.noBackend = total == 0
	if r.noBackend {
		r.fail, r.refusedShare = 1, 1
		return r
	}
	fail, refused, up := 0.0, 0.0, 0
	for b := 0; b < buckets; b++ {
		fail += float64(c.edge.up[b]) * r.perBucket[b]
		refused += float64(c.edge.up[b]) * r.refused[b]
		up += c.edge.up[b]
	}
	if up > 0 {
		r.upFail = fail / float64(up)
	}
	r.fail = (fail + float64(c.edge.down)) / float64(total)
	r.allFail = allAttemptsFail(c.edge.down, up, r.upFail, int(1+c.cal.LBRetries))
	if fail+float64(c.edge.down) > 0 {
		r.refusedShare = refused / (fail + float64(c.edge.down))
	}
	return r
}

// lbCounts counts a load balancer's healthy backends: reachable ones per bucket, and the ones
// the load balancer still believes healthy although they no longer answer.
type lbCounts struct {
	up   [buckets]int
	down int
}

// lbSet is one of the two load balancers: the edge one in front of the workers' NodePorts, and
// Cluster API's in front of the apiservers.
type lbSet struct {
	lbCounts
	api bool
}

// backendOK is what the load balancer's health check sees on a node.
func (c *Cluster) backendOK(n *node, api bool) bool {
	if api {
		return n.reachable() && n.apiserverUp
	}
	return n.reachable()
}

func (c *Cluster) lbFor(n *node) *lbSet {
	if n.role == model.RoleControlPlane {
		return &c.apiLB
	}
	return &c.edge
}

// count adds (sign 1) or removes (sign -1) a healthy member from its load balancer's counts.
func (c *Cluster) count(n *node, sign int) {
	lb := c.lbFor(n)
	if c.backendOK(n, lb.api) {
		lb.up[n.bucket] += sign
	} else {
		lb.down += sign
	}
}

// beforeNodeChange must be called before anything that changes what a health check of n would
// see; afterNodeChange after it. Together they keep the load balancer counts right and arm the
// health check transition.
func (c *Cluster) beforeNodeChange(n *node) {
	c.flush()
	if n.lb.in && n.lb.healthy {
		c.count(n, -1)
	}
}

func (c *Cluster) afterNodeChange(n *node) {
	lb := c.lbFor(n)
	if n.lb.in && n.lb.healthy {
		c.count(n, 1)
	}
	c.lbDirty = true
	if n.lb.in {
		c.armHealthCheck(n, lb.api)
	}
}

// armHealthCheck schedules the instant the load balancer changes its mind about n: after fall
// failed checks or rise passed ones, counted from the next check.
func (c *Cluster) armHealthCheck(n *node, api bool) {
	ok := c.backendOK(n, api)
	n.lb.gen++
	if ok == n.lb.healthy {
		return
	}
	gen := n.lb.gen
	interval := c.cal.LBHealthInterval.Duration
	checks := int64(c.cal.LBFall)
	if ok {
		checks = int64(c.cal.LBRise)
	}
	// The next check at or after now, in this backend's check phase.
	next := n.lb.phase
	if c.clock.now > next && interval > 0 {
		k := (c.clock.now - next + interval - 1) / interval
		next += k * interval
	}
	at := next + time.Duration(checks-1)*interval
	c.clock.at(at, func() {
		if n.lb.gen != gen || !n.lb.in {
			return
		}
		c.flush()
		if n.lb.healthy {
			c.count(n, -1)
		}
		n.lb.healthy = ok
		if n.lb.healthy {
			c.count(n, 1)
		}
		c.lbDirty = true
		if api {
			c.apiChanged()
		}
	})
}

// joinLB adds a node to its load balancer's backends. Like haproxy's default init-state, a new
// backend starts up; health checks take it out if it fails them.
func (c *Cluster) joinLB(n *node) {
	c.flush()
	lb := c.lbFor(n)
	n.lb.in, n.lb.healthy = true, c.backendOK(n, lb.api)
	if n.lb.healthy {
		c.count(n, 1)
	}
	c.lbDirty = true
	n.lb.phase = time.Duration(c.rng.Int64N(int64(c.cal.LBHealthInterval.Duration) + 1))
	c.armHealthCheck(n, lb.api)
	if lb.api {
		c.apiChanged()
	}
}

// leaveLB removes a node from its load balancer (its Node object was deleted).
func (c *Cluster) leaveLB(n *node) {
	c.flush()
	if n.lb.in && n.lb.healthy {
		c.count(n, -1)
	}
	n.lb.in, n.lb.healthy = false, false
	n.lb.gen++
	c.lbDirty = true
}

// apiFail is the probability that one API probe fails: every attempt the API load balancer
// makes hits a dead apiserver, or etcd has lost quorum.
func (c *Cluster) apiFail() (float64, string) {
	if !c.etcdQuorum() {
		return 1, "etcdserver: no leader (etcd lost quorum)"
	}
	total := c.apiLB.down
	up := 0
	for b := 0; b < buckets; b++ {
		up += c.apiLB.up[b]
	}
	total += up
	if total == 0 {
		return 1, "load balancer: no healthy apiserver"
	}
	return allAttemptsFail(c.apiLB.down, up, 0, int(1+c.cal.LBRetries)), "connect: connection timed out (apiserver gone)"
}

// allAttemptsFail is the probability that a load balancer with `down` dead backends the health
// checks have not caught yet and `up` live ones fails every attempt: like haproxy's redispatch,
// each retry goes to a backend not tried yet; a live backend fails with probability f.
func allAttemptsFail(down, up int, f float64, attempts int) float64 {
	n := down + up
	if n == 0 {
		return 1
	}
	p := 1.0
	for i := 0; i < attempts; i++ {
		// Dead backends fail every attempt and are not tried twice; a live one fails with
		// probability f each time (kube-proxy picks an endpoint anew per connection).
		dead := float64(down) / float64(n) // every backend tried: start again
		if i < n {
			dead = float64(max(down-i, 0)) / float64(n-i)
		}
		p *= dead + (1-dead)*f
	}
	return p
}

// etcdQuorum reports whether etcd has a majority of its members running.
func (c *Cluster) etcdQuorum() bool {
	members, running := 0, 0
	for _, n := range c.cpNodes {
		if n.etcdMember {
			members++
			if n.etcdRunning && n.reachable() {
				running++
			}
		}
	}
	return members > 0 && running >= members/2+1
}
