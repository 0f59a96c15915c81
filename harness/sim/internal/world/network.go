package world

import (
	"time"

	"github.com/zdt-dev/zdt/model"
)

// View is what the kube-proxies of one sync bucket have programmed for a Service: the ready
// endpoints, and the serving-but-terminating ones used only when no ready one is left
// (ProxyTerminatingEndpoints).
type View struct {
	Ready []*Pod
	Term  []*Pod
	// readyBad and readyRefused count the pods of Ready that do not answer and that refuse, by
	// their counted answers (Pod.ans); termBad and termRefused those of Term.
	readyBad, readyRefused, termBad, termRefused int
}

// The bits of Pod.ans.
const (
	ansOK      uint8 = 1
	ansRefused uint8 = 2
)

// answerOf is PodAnswers(p) as Pod.ans keeps it.
func answerOf(p *Pod) uint8 {
	if p.Node == nil {
		return 0
	}
	ok, refused := PodAnswers(p)
	a := uint8(0)
	if ok {
		a |= ansOK
	}
	if refused {
		a |= ansRefused
	}
	return a
}

// badOf is what a pod of counted answer a adds to a set's counts of pods that do not answer
// and that refuse.
func badOf(a uint8) (bad, refused int) {
	if a&ansOK == 0 {
		bad = 1
	}
	if a&ansRefused != 0 {
		refused = 1
	}
	return bad, refused
}

// answerMayChange notes that what PodAnswers says of p may have changed (the pod started or
// stopped serving, went, or its node's reachability changed): the next computation of its
// Service's figures counts it again. Every writer of what PodAnswers reads calls it
// (checkInvariants verifies it).
func (c *World) answerMayChange(p *Pod) {
	if !p.ansMarked {
		p.ansMarked = true
		p.W.ansDirty = append(p.W.ansDirty, p)
	}
}

func setAdd(s *[]*Pod, p *Pod, pos *int) bool {
	if *pos >= 0 {
		return false
	}
	*pos = len(*s)
	*s = append(*s, p)
	return true
}

func setRemove(s *[]*Pod, pos *int, posOf func(*Pod) *int) bool {
	i := *pos
	if i < 0 {
		return false
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
	return true
}

// applyView programs a pod's endpoint into the views of bucket b.
func (c *World) applyView(p *Pod, b int, ep endpoint) {
	c.Flush()
	w := p.W
	v := &w.Views[b]
	bad, refused := badOf(p.ans)
	if ep.Present && ep.Ready && !ep.Terminating {
		if setAdd(&v.Ready, p, &p.viewPos[b]) {
			v.readyBad, v.readyRefused = v.readyBad+bad, v.readyRefused+refused
		}
	} else if setRemove(&v.Ready, &p.viewPos[b], func(q *Pod) *int { return &q.viewPos[b] }) {
		v.readyBad, v.readyRefused = v.readyBad-bad, v.readyRefused-refused
	}
	if ep.Present && ep.Serving && ep.Terminating {
		if setAdd(&v.Term, p, &p.termPos[b]) {
			v.termBad, v.termRefused = v.termBad+bad, v.termRefused+refused
		}
	} else if setRemove(&v.Term, &p.termPos[b], func(q *Pod) *int { return &q.termPos[b] }) {
		v.termBad, v.termRefused = v.termBad-bad, v.termRefused-refused
	}
	w.Route.Dirty = true
}

// syncEndpoint writes the pod's current state into its EndpointSlice after the endpointslice
// controller's delay, and into every kube-proxy bucket after that bucket's delay.
func (c *World) syncEndpoint(p *Pod) { c.endpointLane.After(p) }

// viewChange is an endpoint's new state on its way to one kube-proxy bucket.
type viewChange struct {
	p  *Pod
	ep endpoint
}

// endpointSynced is the endpointslice controller writing the pod's state (syncEndpoint).
func (c *World) endpointSynced(p *Pod) {
	ep := endpoint{
		Present:     p.Started && !p.Gone,
		Ready:       p.Ready && !p.Terminating,
		Serving:     p.Ready,
		Terminating: p.Terminating,
	}
	if ep == p.ep {
		return
	}
	if p.ep.Present && p.ep.Ready && !ep.Ready && p.W.Target {
		c.Instant(model.Warning, LocPod(p), model.ReasonEndpointRemoved, c.Names.Text("endpoint of ", p.Name, " removed from service ", p.W.Name))
	}
	if p.ep.Present && p.ep.Ready {
		p.W.Endpoints--
	}
	if ep.Present && ep.Ready {
		p.W.Endpoints++
	}
	p.ep = ep
	for b := range Buckets {
		c.proxyLanes[b].After(viewChange{p: p, ep: ep})
	}
}

// Route is the cached outcome distribution of one connection attempt to a Service through the
// edge load balancer, valid until the cluster's state changes.
type Route struct {
	// Dirty says the workload's pods changed (an endpoint, whether a pod answers, its node's
	// reachability): every figure is stale. lbStale says only a load balancer changed.
	Dirty   bool
	lbStale bool
	// Version counts the recomputations: figures read from a route of the same version are
	// still right.
	Version uint64
	// fail is the probability that one attempt fails; refusedShare how much of it is a quick
	// refusal (the rest are connect timeouts).
	Fail         float64
	UpFail       float64 // failure probability of an attempt through a live node
	AllFail      float64 // probability that every attempt of a request fails
	RefusedShare float64
	NoBackend    bool
	// perBucket is the failure probability of an attempt entering through a reachable node of
	// each bucket.
	PerBucket [Buckets]float64
	Refused   [Buckets]float64
	allFail   allFailMemo
	// computed says that the figures were computed; edge are the edge load balancer's counts
	// they were combined with.
	computed bool
	edge     LBCounts
}

// PodAnswers reports whether a connection to the pod's IP gets an answer from the application,
// and if not whether it is refused (process gone, sandbox alive) rather than lost.
func PodAnswers(p *Pod) (ok, refused bool) {
	switch {
	case p.Gone || !p.Node.Reachable():
		return false, false
	case !p.Serving:
		return false, true
	}
	return true, false
}

// RoutesChanged hands a change of a load balancer (LBDirty) to every workload's cached route,
// so that a route not asked for now is still recomputed when it is next asked for. A load
// balancer's change only changes how the buckets' figures combine: a route keeps its
// per-bucket figures, which change only with the workload's pods (Route.Dirty).
func (c *World) RoutesChanged() {
	if !c.LBDirty {
		return
	}
	for _, w := range c.Workloads {
		w.Route.lbStale = true
	}
	c.LBDirty = false
}

// RouteIs reports whether EdgeRoute would return the workload's route as it is, at version v:
// nothing changed since it was computed.
func (c *World) RouteIs(w *Workload, v uint64) bool {
	r := &w.Route
	return !c.LBDirty && !r.Dirty && !r.lbStale && r.computed && r.Version == v
}

// EdgeRoute recomputes the routing probabilities of a workload's Service.
func (c *World) EdgeRoute(w *Workload) *Route {
	r := &w.Route
	c.RoutesChanged()
	if !r.Dirty && !r.lbStale {
		return r
	}
	// A load balancer change that left its counts as they were changes nothing, nor does a
	// change of the pods that left every bucket's figures as they were: the route keeps its
	// version (what is made of it stays).
	if !r.Dirty && r.computed && r.edge == c.Edge.LBCounts {
		r.lbStale = false
		return r
	}
	if r.Dirty {
		perBucket, refused := r.PerBucket, r.Refused
		c.bucketFigures(w)
		if r.computed && r.PerBucket == perBucket && r.Refused == refused && r.edge == c.Edge.LBCounts {
			r.Dirty, r.lbStale = false, false
			return r
		}
	}
	r.Dirty, r.lbStale = false, false
	r.computed, r.edge = true, c.Edge.LBCounts
	r.Version++
	total := c.Edge.Down
	for b := 0; b < Buckets; b++ {
		total += c.Edge.Up[b]
	}
	r.NoBackend = total == 0
	if r.NoBackend {
		r.Fail, r.RefusedShare = 1, 1
		return r
	}
	fail, refused, up := 0.0, 0.0, 0
	for b := 0; b < Buckets; b++ {
		fail += float64(c.Edge.Up[b]) * r.PerBucket[b]
		refused += float64(c.Edge.Up[b]) * r.Refused[b]
		up += c.Edge.Up[b]
	}
	if up > 0 {
		r.UpFail = fail / float64(up)
	}
	r.Fail = (fail + float64(c.Edge.Down)) / float64(total)
	r.AllFail = r.allFail.of(c.Edge.Down, up, r.UpFail, int(1+c.Cal.LBRetries))
	if fail+float64(c.Edge.Down) > 0 {
		r.RefusedShare = refused / (fail + float64(c.Edge.Down))
	}
	return r
}

// bucketFigures computes the failure and refusal shares of an attempt entering through each
// kube-proxy bucket, from the pods in the bucket's view and whether they answer: the views'
// counts, once the pods whose answer may have changed are counted again.
func (c *World) bucketFigures(w *Workload) {
	c.recountAnswers(w)
	r := &w.Route
	for b := 0; b < Buckets; b++ {
		v := &w.Views[b]
		n, bad, refused := len(v.Ready), v.readyBad, v.readyRefused
		if n == 0 {
			n, bad, refused = len(v.Term), v.termBad, v.termRefused
		}
		if n == 0 {
			r.PerBucket[b], r.Refused[b] = 1, 1 // kube-proxy REJECTs: no endpoints
			continue
		}
		r.PerBucket[b] = float64(bad) / float64(n)
		r.Refused[b] = float64(refused) / float64(n)
	}
}

// recountAnswers counts again the pods of w whose answer may have changed, in every view that
// holds them.
func (c *World) recountAnswers(w *Workload) {
	for _, p := range w.ansDirty {
		p.ansMarked = false
		a := answerOf(p)
		if a == p.ans {
			continue
		}
		oldBad, oldRef := badOf(p.ans)
		newBad, newRef := badOf(a)
		dBad, dRef := newBad-oldBad, newRef-oldRef
		for b := range w.Views {
			v := &w.Views[b]
			if p.viewPos[b] >= 0 {
				v.readyBad, v.readyRefused = v.readyBad+dBad, v.readyRefused+dRef
			}
			if p.termPos[b] >= 0 {
				v.termBad, v.termRefused = v.termBad+dBad, v.termRefused+dRef
			}
		}
		p.ans = a
	}
	clear(w.ansDirty)
	w.ansDirty = w.ansDirty[:0]
}

// LBCounts counts a load balancer's healthy backends: reachable ones per bucket, and the ones
// the load balancer still believes healthy although they no longer answer.
type LBCounts struct {
	Up   [Buckets]int
	Down int
}

// LBSet is one of the two load balancers: the edge one in front of the workers' NodePorts, and
// Cluster API's in front of the apiservers.
type LBSet struct {
	LBCounts
	API bool
}

// backendOK is what the load balancer's health check sees on a node.
func (c *World) backendOK(n *Node, api bool) bool {
	if api {
		return n.Reachable() && n.APIServerUp
	}
	return n.Reachable()
}

func (c *World) lbFor(n *Node) *LBSet {
	if n.Role == model.RoleControlPlane {
		return &c.APILB
	}
	return &c.Edge
}

// count adds (sign 1) or removes (sign -1) a healthy member from its load balancer's counts.
func (c *World) count(n *Node, sign int) {
	lb := c.lbFor(n)
	if c.backendOK(n, lb.API) {
		lb.Up[n.Bucket] += sign
	} else {
		lb.Down += sign
	}
}

// BeforeNodeChange must be called before anything that changes what a health check of n would
// see; afterNodeChange after it. Together they keep the load balancer counts right and arm the
// health check transition.
func (c *World) BeforeNodeChange(n *Node) {
	c.Flush()
	if n.LB.In && n.LB.Healthy {
		c.count(n, -1)
	}
}

func (c *World) AfterNodeChange(n *Node) {
	// Whether the node's pods answer may have changed with it.
	for _, p := range n.Pods {
		p.W.Route.Dirty = true
		c.answerMayChange(p)
	}
	lb := c.lbFor(n)
	if n.LB.In && n.LB.Healthy {
		c.count(n, 1)
	}
	c.LBDirty = true
	if n.LB.In {
		c.armHealthCheck(n, lb.API)
	}
}

// armHealthCheck schedules the instant the load balancer changes its mind about n: after fall
// failed checks or rise passed ones, counted from the next check.
func (c *World) armHealthCheck(n *Node, api bool) {
	ok := c.backendOK(n, api)
	n.LB.Gen++
	if ok == n.LB.Healthy {
		return
	}
	gen := n.LB.Gen
	interval := c.Cal.LBHealthInterval.Duration
	checks := int64(c.Cal.LBFall)
	if ok {
		checks = int64(c.Cal.LBRise)
	}
	// The next check at or after now, in this backend's check phase.
	next := n.LB.phase
	if c.Clock.Now() > next && interval > 0 {
		k := (c.Clock.Now() - next + interval - 1) / interval
		next += k * interval
	}
	at := next + time.Duration(checks-1)*interval
	c.nodeTimer.At(at, nodeEvent{n: n, gen: gen, kind: nodeHealthChecked, ok: ok, api: api})
}

// healthChecked is the instant the load balancer marks backend n healthy (ok) or not, if its
// checks were not armed again since (gen).
func (c *World) healthChecked(n *Node, gen int, ok, api bool) {
	if n.LB.Gen != gen || !n.LB.In {
		return
	}
	c.Flush()
	if n.LB.Healthy {
		c.count(n, -1)
	}
	n.LB.Healthy = ok
	if n.LB.Healthy {
		c.count(n, 1)
	}
	c.LBDirty = true
	if api {
		c.APIChanged()
	}
}

// joinLB adds a node to its load balancer's backends. Like haproxy's default init-state, a new
// backend starts up; health checks take it out if it fails them.
func (c *World) joinLB(n *Node) {
	c.Flush()
	lb := c.lbFor(n)
	n.LB.In, n.LB.Healthy = true, c.backendOK(n, lb.API)
	if n.LB.Healthy {
		c.count(n, 1)
	}
	c.LBDirty = true
	n.LB.phase = time.Duration(c.Rng.Int64N(int64(c.Cal.LBHealthInterval.Duration) + 1))
	c.armHealthCheck(n, lb.API)
	if lb.API {
		c.APIChanged()
	}
}

// leaveLB removes a node from its load balancer (its Node object was deleted).
func (c *World) leaveLB(n *Node) {
	c.Flush()
	if n.LB.In && n.LB.Healthy {
		c.count(n, -1)
	}
	n.LB.In, n.LB.Healthy = false, false
	n.LB.Gen++
	c.LBDirty = true
}

// APIFail is the probability that one API probe fails: every attempt the API load balancer
// makes hits a dead apiserver, or etcd has lost quorum.
func (c *World) APIFail() (float64, string) {
	if !c.EtcdQuorum() {
		return 1, "etcdserver: no leader (etcd lost quorum)"
	}
	total := c.APILB.Down
	up := 0
	for b := 0; b < Buckets; b++ {
		up += c.APILB.Up[b]
	}
	total += up
	if total == 0 {
		return 1, "load balancer: no healthy apiserver"
	}
	return c.apiFail.of(c.APILB.Down, up, 0, int(1+c.Cal.LBRetries)), "connect: connection timed out (apiserver gone)"
}

// allFailMemo is allAttemptsFail for the inputs it was last asked about: load balancer counts
// change far less often than routes are looked at.
type allFailMemo struct {
	set             bool
	down, up, tries int
	f, p            float64
}

func (m *allFailMemo) of(down, up int, f float64, attempts int) float64 {
	if !m.set || m.down != down || m.up != up || m.f != f || m.tries != attempts {
		*m = allFailMemo{set: true, down: down, up: up, f: f, tries: attempts, p: allAttemptsFail(down, up, f, attempts)}
	}
	return m.p
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

// EtcdQuorum reports whether etcd has a majority of its members running.
func (c *World) EtcdQuorum() bool {
	members, running := 0, 0
	for _, n := range c.CPNodes {
		if n.EtcdMember {
			members++
			if n.EtcdRunning && n.Reachable() {
				running++
			}
		}
	}
	return members > 0 && running >= members/2+1
}

// PickPod opens a connection through the edge load balancer and returns the pod it reached, or
// nil when every attempt failed.
func (c *World) PickPod(w *Workload) *Pod {
	for attempt := 0; attempt <= int(c.Cal.LBRetries); attempt++ {
		total := c.Edge.Down
		for b := 0; b < Buckets; b++ {
			total += c.Edge.Up[b]
		}
		if total == 0 {
			return nil
		}
		x := c.Rng.IntN(total)
		if x < c.Edge.Down {
			continue // a node the load balancer still sends to, but which is gone
		}
		x -= c.Edge.Down
		b := 0
		for ; b < Buckets-1 && x >= c.Edge.Up[b]; b++ {
			x -= c.Edge.Up[b]
		}
		set := w.Views[b].Ready
		if len(set) == 0 {
			set = w.Views[b].Term
		}
		if len(set) == 0 {
			continue
		}
		p := set[c.Rng.IntN(len(set))]
		if ok, _ := PodAnswers(p); ok {
			return p
		}
	}
	return nil
}
