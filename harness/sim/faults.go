package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// faultState is what the injected faults currently change in the cluster.
type faultState struct {
	active         []*activeFault
	slowStart      map[*workload]time.Duration
	provisionSlow  time.Duration
	provisionFails int
}

type activeFault struct {
	f     *scenarios.Fault
	from  time.Duration
	msg   string
	ended bool
}

// evictionErrors counts active EvictionError faults.
func (c *Cluster) evictionErrorsActive() bool {
	for _, a := range c.faults.active {
		if !a.ended && a.f.Kind == scenarios.FaultEvictionError {
			return true
		}
	}
	return false
}

func (c *Cluster) slowStart(p *pod) time.Duration { return c.faults.slowStart[p.w] }

func (c *Cluster) provisionDelay(n *node) time.Duration { return c.faults.provisionSlow }

func (c *Cluster) provisionFails(n *node) bool {
	if c.faults.provisionFails > 0 {
		c.faults.provisionFails--
		return true
	}
	return false
}

// armFaults schedules the faults timed to a phase that is starting.
func (c *Cluster) armFaults(phase string) {
	for i := range c.sc.Spec.Faults {
		f := &c.sc.Spec.Faults[i]
		if f.At.Phase != phase {
			continue
		}
		c.clock.after(f.At.After.Duration, func() { c.inject(f) })
	}
}

// faultDelay is the latency a NetworkDelay fault adds, or the extra startup of SlowReadiness
// and the extra provisioning time of MachineProvisionSlowness (default: the fault's duration).
func faultDelay(f *scenarios.Fault) time.Duration {
	if f.Delay != nil {
		return f.Delay.Duration
	}
	return f.Duration.Duration
}

// inject starts a fault; faults with a duration end by themselves.
func (c *Cluster) inject(f *scenarios.Fault) {
	c.flush()
	a := &activeFault{f: f, from: c.clock.now}
	var undo func()
	count := int(*f.Target.Count)
	switch f.Kind {
	case scenarios.FaultNodeCrash, scenarios.FaultNetworkPartition, scenarios.FaultKubeletStop, scenarios.FaultNetworkDelay:
		nodes := c.faultNodes(f.Target.Node, count)
		if len(nodes) == 0 {
			a.msg = "no node matched " + describeTarget(f)
			break
		}
		a.msg = fmt.Sprintf("%s on %s", f.Kind, nodeNames(nodes))
		for _, n := range nodes {
			undo = chain(undo, c.nodeFault(f, n))
		}
	case scenarios.FaultPodKill:
		var victims []string
		for _, w := range c.workloads {
			if w.name != f.Target.Workload {
				continue
			}
			pods := append([]*pod(nil), w.active...)
			sort.Slice(pods, func(i, j int) bool { return pods[i].name < pods[j].name })
			for i := 0; i < count && len(pods) > 0; i++ {
				k := c.rng.IntN(len(pods))
				p := pods[k]
				pods = append(pods[:k], pods[k+1:]...)
				victims = append(victims, p.name)
				c.killPod(p)
			}
		}
		a.msg = "killed " + strings.Join(victims, ", ")
	case scenarios.FaultAPIServerRestart:
		nodes := c.faultNodes("control-plane", count)
		a.msg = "apiserver restarted on " + nodeNames(nodes)
		for _, n := range nodes {
			n := n
			c.beforeNodeChange(n)
			n.apiserverUp = false
			c.afterNodeChange(n)
			c.apiChanged()
			down := c.cal.APIServerStart.Duration
			if f.Duration.Duration > 0 {
				down = f.Duration.Duration
			}
			c.clock.after(down, func() {
				if n.gone || n.deleting {
					return
				}
				c.beforeNodeChange(n)
				n.apiserverUp = true
				c.afterNodeChange(n)
				c.apiChanged()
			})
		}
	case scenarios.FaultSlowReadiness:
		if c.faults.slowStart == nil {
			c.faults.slowStart = map[*workload]time.Duration{}
		}
		for _, w := range c.workloads {
			if w.name == f.Target.Workload {
				w := w
				c.faults.slowStart[w] += faultDelay(f)
				undo = chain(undo, func() { c.faults.slowStart[w] -= faultDelay(f) })
			}
		}
		a.msg = fmt.Sprintf("pods of %s start serving %s later", f.Target.Workload, faultDelay(f))
	case scenarios.FaultEvictionError:
		a.msg = "eviction API answers 500"
	case scenarios.FaultProvisionFailure:
		c.faults.provisionFails += count
		a.msg = fmt.Sprintf("the next %d machine(s) fail to provision", count)
	case scenarios.FaultProvisionSlowness:
		c.faults.provisionSlow += faultDelay(f)
		undo = func() { c.faults.provisionSlow -= faultDelay(f) }
		a.msg = fmt.Sprintf("machines take %s longer to provision", faultDelay(f))
	}
	c.faults.active = append(c.faults.active, a)
	c.wake()
	if f.Duration.Duration > 0 {
		c.clock.after(f.Duration.Duration, func() {
			c.flush()
			if undo != nil {
				undo()
			}
			c.endFault(a)
			c.wake()
		})
	}
}

func chain(a, b func()) func() {
	if a == nil {
		return b
	}
	return func() { a(); b() }
}

func describeTarget(f *scenarios.Fault) string {
	if f.Target.Node == "" {
		return "any worker"
	}
	return f.Target.Node
}

func (c *Cluster) endFault(a *activeFault) {
	if a.ended {
		return
	}
	a.ended = true
	c.interval(model.Error, model.Locator{Fault: a.f.Name}, model.ReasonFaultInjected,
		fmt.Sprintf("%s: %s", a.f.Name, a.msg), a.from, c.clock.now)
}

func (c *Cluster) closeFaults() {
	for _, a := range c.faults.active {
		c.endFault(a)
	}
}

// faultNodes picks count live nodes matching a selector: "draining" (workers being drained),
// "control-plane", "pool/NAME", a node name, or "" (any worker).
func (c *Cluster) faultNodes(sel string, count int) []*node {
	var cands []*node
	for _, n := range c.nodes {
		if n.gone || !n.joined {
			continue
		}
		match := false
		switch {
		case sel == "draining":
			match = n.role == model.RoleWorker && n.deleting && !n.drainDone
		case sel == "control-plane":
			match = n.role == model.RoleControlPlane && !n.deleting
		case strings.HasPrefix(sel, "pool/"):
			match = n.pool != nil && n.pool.name == strings.TrimPrefix(sel, "pool/") && !n.deleting
		case sel == "":
			match = n.role == model.RoleWorker && !n.deleting
		default:
			match = n.name == sel
		}
		if match {
			cands = append(cands, n)
		}
	}
	var out []*node
	for len(out) < count && len(cands) > 0 {
		k := c.rng.IntN(len(cands))
		out = append(out, cands[k])
		cands = append(cands[:k], cands[k+1:]...)
	}
	return out
}

// nodeFault applies a node-level fault and returns how to undo it.
func (c *Cluster) nodeFault(f *scenarios.Fault, n *node) func() {
	switch f.Kind {
	case scenarios.FaultNetworkDelay:
		d := faultDelay(f)
		n.extraDelay += d
		return func() { n.extraDelay -= d }
	case scenarios.FaultKubeletStop:
		n.kubeletDown = true
		c.watchNodeHealth(n)
		return func() { n.kubeletDown = false; c.nodeRecovered(n) }
	case scenarios.FaultNetworkPartition:
		c.beforeNodeChange(n)
		n.partitioned = true
		c.afterNodeChange(n)
		c.markPodsUnreachable(n)
		c.watchNodeHealth(n)
		return func() {
			c.beforeNodeChange(n)
			n.partitioned = false
			c.afterNodeChange(n)
			c.nodeRecovered(n)
		}
	default: // NodeCrash
		c.beforeNodeChange(n)
		n.up = false
		n.apiserverUp = false
		c.afterNodeChange(n)
		if n.role == model.RoleControlPlane {
			c.apiChanged()
		}
		c.markPodsUnreachable(n)
		c.watchNodeHealth(n)
		return func() {
			if n.gone {
				return
			}
			c.beforeNodeChange(n)
			n.up = true
			n.apiserverUp = n.role == model.RoleControlPlane
			c.afterNodeChange(n)
			if n.role == model.RoleControlPlane {
				c.apiChanged()
			}
			// The machine rebooted: its containers start again.
			for _, p := range append([]*pod(nil), n.pods...) {
				if p.terminating {
					c.podGone(p)
					continue
				}
				p.gen++
				p.exited, p.serving, p.started = false, false, false
				c.setReady(p, false)
				gen := p.gen
				c.clock.after(c.cal.ContainerStart.Duration, func() {
					if p.gen == gen && n.reachable() {
						c.containerStarted(p)
					}
				})
			}
			c.nodeRecovered(n)
		}
	}
}

// markPodsUnreachable: requests to the node's pods now go nowhere; kept-alive connections to
// them hang.
func (c *Cluster) markPodsUnreachable(n *node) {
	for _, p := range n.pods {
		p.w.route.dirty = true
	}
	c.lbDirty = true
}

// watchNodeHealth is the node lifecycle controller: a node that stops reporting is NotReady after
// the node-monitor grace period, its pods are marked not ready, and after the default
// tolerations they are evicted (deleted; they stay Terminating while the kubelet is away).
func (c *Cluster) watchNodeHealth(n *node) {
	c.clock.after(c.cal.NodeMonitorGrace.Duration, func() {
		if n.gone || (n.up && !n.partitioned && !n.kubeletDown) {
			return
		}
		c.flush()
		n.ready = false
		c.instant(model.Error, locNode(n), model.ReasonNodeNotReady, n.name+" NotReady: kubelet stopped posting status")
		for _, p := range append([]*pod(nil), n.pods...) {
			c.setReady(p, false)
		}
		c.retryPending()
		c.wake()
		c.clock.after(c.cal.PodEvictionToleration.Duration, func() {
			if n.gone || n.ready {
				return
			}
			for _, p := range append([]*pod(nil), n.pods...) {
				c.deletePod(p, "node unreachable")
			}
		})
	})
}

// nodeRecovered: the kubelet reports again; the node is Ready.
func (c *Cluster) nodeRecovered(n *node) {
	if n.gone || !n.up || n.partitioned || n.kubeletDown {
		return
	}
	c.flush()
	if !n.ready && n.joined {
		n.ready = true
		for _, p := range append([]*pod(nil), n.pods...) {
			if p.terminating {
				c.podGone(p)
			} else if p.serving {
				c.setReady(p, true)
			}
		}
	}
	c.retryPending()
	c.wake()
}

// killPod force-deletes a pod: its process dies at once and the object is removed.
func (c *Cluster) killPod(p *pod) {
	if p.gone {
		return
	}
	if p.started && !p.exited {
		c.processExit(p, false)
	}
	c.podGone(p)
}
