package sim

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// reconcileReplicas is the ReplicaSet controller: it creates pods until the workload has its
// desired count of pods that are not terminating.
func (c *Cluster) reconcileReplicas(w *workload) {
	for len(w.active) < w.replicas {
		w.seq++
		p := &pod{name: fmt.Sprintf("%s-%d", w.name, w.seq), w: w, created: c.clock.now}
		for b := range p.viewPos {
			p.viewPos[b], p.termPos[b] = -1, -1
		}
		w.active = append(w.active, p)
		c.podsCreated++
		gen := p.gen
		c.clock.after(c.cal.SchedulerDelay.Duration, func() {
			if p.gen == gen {
				c.schedule(p)
			}
		})
	}
}

// schedule is the scheduler: it binds a pod to the best feasible worker, or leaves it pending
// until capacity changes.
func (c *Cluster) schedule(p *pod) {
	if p.bound || p.terminating || p.gone {
		return
	}
	n := c.pickNode(p.w)
	if n == nil {
		c.pending = append(c.pending, p)
		return
	}
	c.bind(p, n)
}

// retryPending tries the pending pods again (capacity changed).
func (c *Cluster) retryPending() {
	if len(c.pending) == 0 {
		return
	}
	pending := c.pending
	c.pending = nil
	for _, p := range pending {
		c.schedule(p)
	}
}

func (c *Cluster) schedulable(n *node) bool {
	return n.role == model.RoleWorker && n.joined && n.ready && !n.cordoned && !n.deleting && !n.gone
}

func (c *Cluster) fits(n *node, w *workload) bool {
	return n.usedCPU+w.cpu <= n.cpu && n.usedMem+w.mem <= n.mem && len(n.pods) < n.maxPods
}

func (w *workload) domainCount(n *node, key string) int {
	if key == scenarios.TopologyZone {
		return w.perZone[n.zone]
	}
	if n.idx < len(w.perNode) {
		return w.perNode[n.idx]
	}
	return 0
}

// pickNode filters and scores workers as kube-scheduler does, for the parts zdt models:
// resources, topology spread (hard or soft), least allocated. Ties are broken at random.
func (c *Cluster) pickNode(w *workload) *node {
	ts := w.spec.TopologySpread
	key := ""
	hard := false
	maxSkew := 1
	minCount := 0
	if ts != nil {
		key, hard, maxSkew = ts.TopologyKey, ts.WhenUnsatisfiable == scenarios.DoNotSchedule, int(*ts.MaxSkew)
		minCount = -1
		// The global minimum counts eligible domains (schedulable nodes, or their zones).
		for _, n := range c.workers {
			if c.schedulable(n) {
				if cnt := w.domainCount(n, key); minCount < 0 || cnt < minCount {
					minCount = cnt
				}
			}
		}
	}
	var best *node
	bestScore, ties := 0.0, 0
	for _, n := range c.workers {
		if !c.schedulable(n) || !c.fits(n, w) {
			continue
		}
		score := 0.0
		if key != "" {
			skew := w.domainCount(n, key) + 1 - minCount
			if hard && skew > maxSkew {
				continue
			}
			score += 10 * float64(w.domainCount(n, key))
		}
		score += float64(n.usedCPU+w.cpu)/float64(n.cpu) + float64(n.usedMem+w.mem)/float64(n.mem)
		switch {
		case best == nil || score < bestScore:
			best, bestScore, ties = n, score, 1
		case score == bestScore:
			ties++
			if c.rng.IntN(ties) == 0 {
				best = n
			}
		}
	}
	return best
}

func (c *Cluster) bind(p *pod, n *node) {
	w := p.w
	p.bound, p.node = true, n
	n.pods = append(n.pods, p)
	n.usedCPU += w.cpu
	n.usedMem += w.mem
	for len(w.perNode) <= n.idx {
		w.perNode = append(w.perNode, 0)
	}
	w.perNode[n.idx]++
	w.perZone[n.zone]++
	start := c.cal.ContainerStart.Duration
	if !n.pulled[w] {
		start += c.cal.ImagePull.Duration
		n.pulled[w] = true
	}
	gen := p.gen
	c.clock.after(start, func() {
		if p.gen != gen || !n.reachable() {
			return
		}
		c.containerStarted(p)
	})
}

func (c *Cluster) containerStarted(p *pod) {
	w := p.w
	p.started = true
	c.syncEndpoint(p)
	gen := p.gen
	startup := w.spec.StartupTime.Duration + c.slowStart(p)
	c.clock.after(startup, func() {
		if p.gen != gen {
			return
		}
		c.flush()
		p.serving = true
		w.route.dirty = true
	})
	// Readiness: without a probe the pod is Ready as soon as its container runs, whether the
	// application serves or not. With one, at the first probe after the application serves.
	readyIn := time.Duration(0)
	if pr := w.spec.ReadinessProbe; pr != nil {
		first := pr.InitialDelay.Duration
		period := pr.Period.Duration
		readyIn = first
		if startup > first {
			k := (startup - first + period - 1) / period
			readyIn = first + k*period
		}
	}
	c.clock.after(readyIn, func() {
		if p.gen != gen || p.terminating {
			return
		}
		c.setReady(p, true)
	})
}

func (c *Cluster) setReady(p *pod, ready bool) {
	if p.ready == ready {
		return
	}
	c.flush()
	p.ready = ready
	if !p.terminating {
		if ready {
			p.w.readyCount++
			p.readyAt = c.clock.now
			c.interval(model.Info, locPod(p), model.ReasonPodNotReady, p.name+" not ready", p.created, c.clock.now)
		} else {
			p.w.readyCount--
		}
	}
	c.syncEndpoint(p)
	c.wake()
}

// removeActive takes a pod out of its workload's count (it is terminating or gone).
func (c *Cluster) removeActive(p *pod) {
	w := p.w
	swapRemove(&w.active, p)
	if p.ready {
		w.readyCount--
	}
	if p.bound {
		w.perNode[p.node.idx]--
		w.perZone[p.node.zone]--
	}
}

// deletePod deletes a pod gracefully (an eviction, or a kill): endpoints are updated while the
// kubelet runs preStop, then SIGTERM, then SIGKILL after the grace period.
func (c *Cluster) deletePod(p *pod) {
	if p.terminating || p.gone {
		return
	}
	c.flush()
	p.terminating = true
	p.deletedAt = c.clock.now
	p.gen++
	c.removeActive(p)
	w := p.w
	w.route.dirty = true
	c.reconcileReplicas(w)
	if !p.bound {
		c.podGone(p)
		return
	}
	c.syncEndpoint(p)
	if !p.started || !p.node.reachable() || p.node.kubeletDown {
		// Nothing runs, or the kubelet cannot act: the pod waits for its node.
		if !p.started {
			c.podGone(p)
		}
		return
	}
	gen := p.gen
	spec := w.spec
	c.clock.after(c.cal.KubeletSync.Duration, func() {
		if p.gen != gen || p.gone || !p.node.reachable() || p.node.kubeletDown {
			return
		}
		kill := c.clock.now + spec.TerminationGracePeriod.Duration
		sigterm := c.clock.now
		if spec.PreStop != nil {
			sigterm += spec.PreStop.Sleep.Duration
		}
		if sigterm > kill {
			sigterm = kill
		}
		exit, graceful := sigterm, false
		if spec.Shutdown.OnSigterm == scenarios.ShutdownDrain {
			exit, graceful = sigterm+spec.Shutdown.DrainTime.Duration, true
			// A draining application fails its readiness probe from SIGTERM on while it keeps
			// serving: the kubelet notices after failureThreshold probes.
			if pr := spec.ReadinessProbe; pr != nil {
				c.clock.at(sigterm+time.Duration(*pr.FailureThreshold)*pr.Period.Duration, func() {
					if p.gen == gen && !p.gone && !p.exited {
						c.setReady(p, false)
					}
				})
			}
		}
		if exit > kill {
			exit, graceful = kill, false
		}
		c.clock.at(exit, func() {
			if p.gen != gen || p.gone {
				return
			}
			c.processExit(p, graceful)
			// The kubelet reports the containers stopped and the pod object is removed.
			c.clock.after(c.cal.KubeletSync.Duration, func() {
				if p.gen == gen {
					c.podGone(p)
				}
			})
		})
	})
}

// processExit stops the application: gracefully (kept-alive connections are closed cleanly) or
// abruptly (requests in flight are reset).
func (c *Cluster) processExit(p *pod, graceful bool) {
	if p.exited {
		return
	}
	c.flush()
	p.exited, p.serving = true, false
	p.w.route.dirty = true
	// The kubelet sees the container stop (PLEG) and reports the pod not ready.
	gen := p.gen
	c.clock.after(c.cal.KubeletSync.Duration, func() {
		if p.gen == gen && !p.gone && p.node.reachable() && !p.node.kubeletDown {
			c.setReady(p, false)
		}
	})
	if graceful {
		c.dropConns(p)
	} else {
		c.breakConns(p)
	}
}

// podGone removes the pod object and frees its node's resources.
func (c *Cluster) podGone(p *pod) {
	if p.gone {
		return
	}
	c.flush()
	if !p.terminating {
		p.terminating = true
		p.deletedAt = c.clock.now
		c.removeActive(p)
		c.reconcileReplicas(p.w)
	}
	p.gone, p.serving = true, false
	p.gen++
	p.w.route.dirty = true
	if p.deletedAt < c.clock.now {
		c.interval(model.Info, locPod(p), model.ReasonPodTerminating, p.name+" terminating", p.deletedAt, c.clock.now)
	}
	c.closeStalls(p)
	if n := p.node; n != nil && p.bound {
		swapRemove(&n.pods, p)
		n.usedCPU -= p.w.cpu
		n.usedMem -= p.w.mem
	}
	c.dropConns(p)
	c.syncEndpoint(p)
	c.retryPending()
	c.wake()
}

// pdbDesired returns a PDB's expected pods, desired healthy count and current healthy count,
// as the disruption controller computes them.
func (c *Cluster) pdbStatus(b *pdb) (expected, desired, healthy int) {
	for _, w := range b.workloads {
		expected += w.replicas
		healthy += w.readyCount
	}
	switch {
	case b.spec.MinAvailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.spec.MinAvailable, expected, true)
		desired = v
	case b.spec.MaxUnavailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.spec.MaxUnavailable, expected, true)
		desired = expected - v
		if desired < 0 {
			desired = 0
		}
	}
	return expected, desired, healthy
}

// evict is the eviction API: 429 when a budget would be broken, 500 when several PDBs select
// the pod, otherwise the pod is deleted. It returns "" on success, or why it was refused and
// the PDB that refused.
func (c *Cluster) evict(p *pod) (refusal, pdbName string) {
	if c.evictionErrorsActive() {
		return "500 Internal Server Error (injected eviction API error)", ""
	}
	pdbs := p.w.pdbs
	if len(pdbs) > 1 {
		return "500: this pod has more than one PodDisruptionBudget, which the eviction subresource does not support", pdbs[0].name
	}
	if len(pdbs) == 1 {
		b := pdbs[0]
		_, desired, healthy := c.pdbStatus(b)
		allowed := healthy - desired
		if p.ready && !p.terminating {
			if allowed < 1 {
				return fmt.Sprintf("429 Too Many Requests: cannot evict pod as it would violate the pod's disruption budget %s (%d healthy, %d needed)", b.name, healthy, desired), b.name
			}
		} else if b.spec.UnhealthyPodEvictionPolicy != scenarios.AlwaysAllow && healthy < desired {
			return fmt.Sprintf("429 Too Many Requests: pod is not ready and the disruption budget %s is not healthy (%d healthy, %d needed)", b.name, healthy, desired), b.name
		}
	}
	c.deletePod(p)
	return "", ""
}

// swapRemove removes p from a slice in O(1) by moving the last element into its place.
func swapRemove(s *[]*pod, p *pod) {
	if i := slices.Index(*s, p); i >= 0 {
		last := len(*s) - 1
		(*s)[i] = (*s)[last]
		(*s)[last] = nil
		*s = (*s)[:last]
	}
}
