package world

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/harness/sim/internal/reuse"
	"github.com/zdt-dev/zdt/harness/sim/internal/sched"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// ReconcileReplicas is the ReplicaSet controller: it creates pods until the workload has its
// desired count of pods that are not terminating.
func (c *World) ReconcileReplicas(w *Workload) {
	for len(w.Active) < w.Replicas {
		w.seq++
		p := reuse.Take(&c.sparePods)
		*p = Pod{Name: c.Names.Numbered(w.Name, "", w.seq), W: w, Created: c.Clock.Now()}
		c.made = append(c.made, p)
		for b := range p.viewPos {
			p.viewPos[b], p.termPos[b] = -1, -1
		}
		p.activePos, p.nodePos = int32(len(w.Active)), -1
		w.Active = append(w.Active, p)
		c.PodsCreated++
		c.scheduleLane.After(podGen{p, p.Gen})
	}
}

// podGen is a pod in one of its generations (Pod.Gen): an event for it is dropped once its
// future changed.
type podGen struct {
	p   *Pod
	gen int
}

// schedule is the scheduler: it binds a pod to the best feasible worker, or leaves it pending
// until capacity changes.
func (c *World) schedule(p *Pod) {
	if p.Bound || p.Terminating || p.Gone {
		return
	}
	var n *Node
	if p.W.System {
		n = c.pickSystemNode(p.W)
	} else {
		n = c.pickNode(p.W)
	}
	if n == nil {
		c.pending = append(c.pending, p)
		return
	}
	c.bind(p, n)
}

// RetryPending tries the pending pods again (capacity changed).
func (c *World) RetryPending() {
	if len(c.pending) == 0 {
		return
	}
	pending := c.pending
	c.pending = nil
	for _, p := range pending {
		c.schedule(p)
	}
}

// pickSystemNode places a kube-system pod (CoreDNS): it tolerates the control plane's taint
// and kubeadm gives it a preferred anti-affinity per node, so the scheduler puts it on the
// feasible node with the fewest of its pods, then the least requested CPU. While the cluster
// is built, only control plane nodes are Ready when CoreDNS is first scheduled (kubeadm init).
// System pods are few, so a scan of every node is cheap.
func (c *World) pickSystemNode(w *Workload) *Node {
	var best *Node
	bestPods, bestUse := 0, 0.0
	for _, n := range c.Nodes {
		if !n.Joined || !n.Ready || n.Cordoned || n.Deleting || n.Gone || !c.fits(n, w) {
			continue
		}
		if c.Settling && n.Role != model.RoleControlPlane && len(c.CPNodes) > 0 {
			continue
		}
		pods := 0
		if n.idx < len(w.perNode) {
			pods = w.perNode[n.idx]
		}
		use := float64(n.UsedCPU) / float64(max(n.CPU, 1))
		if best == nil || pods < bestPods || (pods == bestPods && use < bestUse) {
			best, bestPods, bestUse = n, pods, use
		}
	}
	return best
}

func (c *World) Schedulable(n *Node) bool {
	return n.Role == model.RoleWorker && n.Joined && n.Ready && !n.Cordoned && !n.Deleting && !n.Gone
}

func (c *World) fits(n *Node, w *Workload) bool {
	return n.UsedCPU+w.CPU <= n.CPU && n.UsedMem+w.Mem <= n.Mem && len(n.Pods) < n.MaxPods
}

// NodeChanged updates the scheduler's view of a node after any change of its role, state,
// capacity or pods: every writer of those fields calls it (checkInvariants verifies it).
func (c *World) NodeChanged(n *Node) {
	c.nodeEpoch++
	c.sched.Set(n.idx, c.schedOf(n))
}

// schedOf is what the scheduler reads of a node.
func (c *World) schedOf(n *Node) sched.Info {
	return sched.Info{CPU: n.CPU, Mem: n.Mem, UsedCPU: n.UsedCPU, UsedMem: n.UsedMem, Pods: int32(len(n.Pods)),
		MaxPods: int32(n.MaxPods), Zone: n.zone, Schedulable: c.Schedulable(n)}
}

// liveWorkers returns the workers that are not gone, in their order: a gone node is never
// schedulable, so the scheduler's scan (and its draws) are the same without them.
func (c *World) liveWorkers() []*Node {
	if c.live == nil {
		// The list is made again in the room of the last one: nothing holds that one.
		if cap(c.liveRoom) < len(c.Workers) {
			c.liveRoom = make([]*Node, 0, len(c.Workers)+len(c.Workers)/2+4)
		}
		c.live = c.liveRoom[:0]
		c.sched.ResetLive()
		for _, n := range c.Workers {
			if !n.Gone {
				c.live = append(c.live, n)
				c.sched.AddLive(n.idx)
			}
		}
	}
	return c.live
}

// pickNode is the worker kube-scheduler binds one of the workload's pods to (package sched),
// nil for none.
func (c *World) pickNode(w *Workload) *Node {
	workers := c.liveWorkers()
	if w.shape == 0 {
		w.shape = c.sched.Shape(w.CPU, w.Mem)
	}
	p := sched.Pod{Shape: w.shape, CPU: w.CPU, Mem: w.Mem, PerNode: w.perNode, PerZone: w.perZone}
	if ts := w.Spec.TopologySpread; ts != nil {
		p.Spread, p.Hard, p.MaxSkew = sched.SpreadNode, ts.WhenUnsatisfiable == scenarios.DoNotSchedule, int(*ts.MaxSkew)
		if ts.TopologyKey == scenarios.TopologyZone {
			p.Spread = sched.SpreadZone
		}
	}
	j := c.sched.Pick(&p, c.Src)
	if j < 0 {
		return nil
	}
	return workers[j]
}

func (c *World) bind(p *Pod, n *Node) {
	w := p.W
	p.Bound, p.Node = true, n
	p.ans = answerOf(p)
	p.nodePos = int32(len(n.Pods))
	n.Pods = append(n.Pods, p)
	n.UsedCPU += w.CPU
	n.UsedMem += w.Mem
	c.NodeChanged(n)
	if len(w.perNode) <= n.idx {
		// Room for the nodes there are and some to come.
		w.perNode = slices.Grow(w.perNode, len(c.Nodes)+len(c.Nodes)/4+16-len(w.perNode))[:len(c.Nodes)]
	}
	w.perNode[n.idx]++
	for len(w.perZone) <= int(n.zone) {
		w.perZone = append(w.perZone, 0)
	}
	w.perZone[n.zone]++
	if n.pulled == nil {
		n.pulled = make([]bool, len(c.Workloads))
	}
	pull := !n.pulled[w.idx]
	n.pulled[w.idx] = true
	c.startContainer(p, pull)
}

// kubeletActs reports whether a node's kubelet sees the API and can start and stop containers:
// the machine runs, the kubelet runs, and the node is not cut off.
func kubeletActs(n *Node) bool { return n.Up && !n.KubeletDown && !n.Partitioned }

// startContainer has the kubelet start a bound pod's container after ContainerStart (and
// ImagePull before it when the node pulls the image); a kubelet that is away then starts it
// when it is back (NodeRecovered), a machine that is off when it boots.
func (c *World) startContainer(p *Pod, pull bool) {
	if pull {
		c.pullStartLane.After(podGen{p, p.Gen})
	} else {
		c.startLane.After(podGen{p, p.Gen})
	}
}

// containerStarting is startContainer's event.
func (c *World) containerStarting(v podGen) {
	p := v.p
	if p.Gen != v.gen || !p.Node.Up {
		return
	}
	if !kubeletActs(p.Node) {
		p.startWaiting = true
		return
	}
	c.containerStarted(p)
}

func (c *World) containerStarted(p *Pod) {
	w := p.W
	p.Started = true
	c.syncEndpoint(p)
	gen := p.Gen
	startup := w.Spec.StartupTime.Duration + c.Effects.SlowStart[p.W]
	c.podTimer.After(startup, podEvent{p: p, gen: gen, kind: podServing})
	// Readiness: without a probe the pod is Ready as soon as its container runs, whether the
	// application serves or not. With one, at the first probe after the application serves.
	readyIn := time.Duration(0)
	if pr := w.Spec.ReadinessProbe; pr != nil {
		first := pr.InitialDelay.Duration
		period := pr.Period.Duration
		readyIn = first
		if startup > first {
			k := (startup - first + period - 1) / period
			readyIn = first + k*period
		}
	}
	c.podTimer.After(readyIn, podEvent{p: p, gen: gen, kind: podProbedReady})
}

// podEvent is something that happens to a pod in one of its generations (Pod.Gen), at an
// instant of its own (World.podTimer): dropped once the pod's future changed.
type podEvent struct {
	p        *Pod
	gen      int
	kind     podEventKind
	graceful bool // podExit's
}

type podEventKind uint8

const (
	podServing       podEventKind = iota // the started application accepts requests
	podProbedReady                       // the first readiness probe after it serves passes
	podDrainNotReady                     // a draining application's readiness probe has failed
	podExit                              // the application process exits
)

// podEventRan is podEvent's handler.
func (c *World) podEventRan(e podEvent) {
	p := e.p
	if p.Gen != e.gen {
		return
	}
	switch e.kind {
	case podServing:
		c.Flush()
		p.Serving = true
		p.W.Route.Dirty = true
		c.answerMayChange(p)
	case podProbedReady:
		if !p.Terminating {
			c.SetReady(p, true)
		}
	case podDrainNotReady:
		if !p.Gone && !p.Exited {
			c.SetReady(p, false)
		}
	case podExit:
		if p.Gone {
			return
		}
		c.ProcessExit(p, e.graceful)
		// The kubelet reports the containers stopped and the pod object is removed.
		c.syncLane.After(syncEvent{p: p, gen: e.gen, kind: syncGone})
	}
}

func (c *World) SetReady(p *Pod, ready bool) {
	if p.Ready == ready {
		return
	}
	c.Flush()
	p.Ready = ready
	if !p.Terminating {
		if ready {
			p.W.ReadyCount++
			p.ReadyAt = c.Clock.Now()
			c.Interval(model.Info, LocPod(p), model.ReasonPodNotReady, c.Names.Text(p.Name, " not ready"), p.Created, c.Clock.Now())
		} else {
			p.W.ReadyCount--
		}
	}
	c.syncEndpoint(p)
	c.Wake()
}

// removeActive takes a pod out of its workload's count (it is terminating or gone).
func (c *World) removeActive(p *Pod) {
	w := p.W
	swapRemove(&w.Active, p, &p.activePos, func(q *Pod) *int32 { return &q.activePos })
	if p.Ready {
		w.ReadyCount--
	}
	if p.Bound {
		w.perNode[p.Node.idx]--
		w.perZone[p.Node.zone]--
	}
}

// DeletePod deletes a pod gracefully (an eviction, or a kill): endpoints are updated while the
// kubelet runs preStop, then SIGTERM, then SIGKILL after the grace period.
func (c *World) DeletePod(p *Pod) {
	if p.Terminating || p.Gone {
		return
	}
	c.Flush()
	p.Terminating = true
	p.DeletedAt = c.Clock.Now()
	p.Gen++
	c.removeActive(p)
	w := p.W
	w.Route.Dirty = true
	c.ReconcileReplicas(w)
	if !p.Bound {
		c.PodGone(p)
		return
	}
	c.syncEndpoint(p)
	if !p.Started {
		c.PodGone(p)
		return
	}
	if kubeletActs(p.Node) {
		c.kubeletTerminates(p)
	}
	// Otherwise the kubelet cannot act: the pod waits for its node (NodeRecovered).
}

// kubeletTerminates has the kubelet, once it sees the deletion a sync from now, run the preStop
// hook, send SIGTERM, and kill the container at the end of the grace period; the application
// stops as its shutdown mode says:
//   - Drain keeps serving (and accepting new connections) for its drain time after SIGTERM,
//     failing its readiness probe, then exits gracefully;
//   - Graceful stops accepting at SIGTERM, finishes the requests in flight and closes its
//     kept-alive connections cleanly;
//   - Exit stops at once, resetting requests in flight.
func (c *World) kubeletTerminates(p *Pod) {
	c.syncLane.After(syncEvent{p: p, gen: p.Gen, kind: syncTerminate})
}

// syncEvent is what the kubelet does a sync after it was asked to (World.syncLane).
type syncEvent struct {
	p    *Pod
	gen  int
	kind syncKind
}

type syncKind uint8

const (
	syncTerminate    syncKind = iota // kubeletTerminates
	syncExitNotReady                 // ProcessExit: the kubelet sees the container stop
	syncGone                         // the pod object is removed after its containers stopped
)

// synced is syncEvent's handler.
func (c *World) synced(e syncEvent) {
	p := e.p
	switch e.kind {
	case syncTerminate:
		if p.Gen == e.gen && !p.Gone && kubeletActs(p.Node) {
			c.terminate(p, e.gen)
		}
	case syncExitNotReady:
		if p.Gen == e.gen && !p.Gone && kubeletActs(p.Node) {
			c.SetReady(p, false)
		}
	case syncGone:
		if p.Gen == e.gen {
			c.PodGone(p)
		}
	}
}

// terminate is kubeletTerminates once the kubelet has seen the deletion.
func (c *World) terminate(p *Pod, gen int) {
	spec := p.W.Spec
	p.termStarted, p.termAt = true, c.Clock.Now()
	kill := c.Clock.Now() + spec.TerminationGracePeriod.Duration
	sigterm := c.Clock.Now()
	if spec.PreStop != nil {
		sigterm += spec.PreStop.Sleep.Duration
	}
	if sigterm > kill {
		sigterm = kill
	}
	exit, graceful := sigterm, false
	switch spec.Shutdown.OnSigterm {
	case scenarios.ShutdownDrain:
		exit, graceful = sigterm+spec.Shutdown.DrainTime.Duration, true
		// A draining application fails its readiness probe from SIGTERM on while it keeps
		// serving: the kubelet notices after failureThreshold probes.
		if pr := spec.ReadinessProbe; pr != nil {
			c.podTimer.At(sigterm+time.Duration(*pr.FailureThreshold)*pr.Period.Duration, podEvent{p: p, gen: gen, kind: podDrainNotReady})
		}
	case scenarios.ShutdownGraceful:
		graceful = true
	}
	if exit > kill {
		exit, graceful = kill, false
	}
	c.podTimer.At(exit, podEvent{p: p, gen: gen, kind: podExit, graceful: graceful})
}

// ProcessExit stops the application: gracefully (kept-alive connections are closed cleanly) or
// abruptly (requests in flight are reset).
func (c *World) ProcessExit(p *Pod, graceful bool) {
	if p.Exited {
		return
	}
	c.Flush()
	p.Exited, p.Serving = true, false
	p.W.Route.Dirty = true
	c.answerMayChange(p)
	// The kubelet sees the container stop (PLEG) and reports the pod not ready.
	c.syncLane.After(syncEvent{p: p, gen: p.Gen, kind: syncExitNotReady})
	if c.Hooks.PodStopped != nil {
		c.Hooks.PodStopped(p, graceful)
	}
}

// PodGone removes the pod object and frees its node's resources.
func (c *World) PodGone(p *Pod) {
	if p.Gone {
		return
	}
	c.Flush()
	if !p.Terminating {
		p.Terminating = true
		p.DeletedAt = c.Clock.Now()
		c.removeActive(p)
		c.ReconcileReplicas(p.W)
	}
	p.Gone, p.Serving = true, false
	p.Gen++
	p.W.Route.Dirty = true
	c.answerMayChange(p)
	if p.DeletedAt < c.Clock.Now() {
		msg := c.Names.Text(p.Name, " terminating")
		if p.lostWith != "" {
			msg = fmt.Sprintf("%s gone with node %s, powered off: it never terminated gracefully", p.Name, p.lostWith)
		}
		c.Interval(model.Info, LocPod(p), model.ReasonPodTerminating, msg, p.DeletedAt, c.Clock.Now())
	}
	if c.Hooks.PodGone != nil {
		c.Hooks.PodGone(p)
	}
	if n := p.Node; n != nil && p.Bound {
		swapRemove(&n.Pods, p, &p.nodePos, func(q *Pod) *int32 { return &q.nodePos })
		n.UsedCPU -= p.W.CPU
		n.UsedMem -= p.W.Mem
		c.NodeChanged(n)
	}
	c.syncEndpoint(p)
	c.RetryPending()
	c.Wake()
}

// pdbDesired returns a PDB's expected pods, desired healthy count and current healthy count,
// as the disruption controller computes them.
func (c *World) PDBStatus(b *PDB) (expected, desired, healthy int) {
	for _, w := range b.Workloads {
		expected += w.Replicas
		healthy += w.ReadyCount
	}
	// The desired count depends on the expected one alone: it is kept for the last one.
	if b.desiredSet && b.desiredFor == expected {
		return expected, b.desired, healthy
	}
	defer func() { b.desiredSet, b.desiredFor, b.desired = true, expected, desired }()
	switch {
	case b.Spec.MinAvailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.Spec.MinAvailable, expected, true)
		desired = v
	case b.Spec.MaxUnavailable != nil:
		v, _ := intstr.GetScaledValueFromIntOrPercent(b.Spec.MaxUnavailable, expected, true)
		desired = expected - v
		if desired < 0 {
			desired = 0
		}
	}
	return expected, desired, healthy
}

// Evict is the eviction API: 429 when a budget would be broken, 500 when several PDBs select
// the pod, otherwise the pod is deleted. It returns "" on success, or why it was refused and
// the PDB that refused.
func (c *World) Evict(p *Pod) (refusal, pdbName string) {
	if c.Effects.EvictionErrors > 0 {
		return "500 Internal Server Error (injected eviction API error)", ""
	}
	pdbs := p.W.PDBs
	if len(pdbs) > 1 {
		return "500: this pod has more than one PodDisruptionBudget, which the eviction subresource does not support", pdbs[0].Name
	}
	if len(pdbs) == 1 {
		b := pdbs[0]
		_, desired, healthy := c.PDBStatus(b)
		allowed := healthy - desired
		if p.Ready && !p.Terminating {
			if allowed < 1 {
				return fmt.Sprintf("429 Too Many Requests: cannot evict pod as it would violate the pod's disruption budget %s (%d healthy, %d needed)", b.Name, healthy, desired), b.Name
			}
		} else if b.Spec.UnhealthyPodEvictionPolicy != scenarios.AlwaysAllow && healthy < desired {
			return fmt.Sprintf("429 Too Many Requests: pod is not ready and the disruption budget %s is not healthy (%d healthy, %d needed)", b.Name, healthy, desired), b.Name
		}
	}
	c.DeletePod(p)
	return "", ""
}

// swapRemove removes p, at *pos in a slice, in O(1) by moving the last element into its
// place (posOf gives an element's position field).
func swapRemove(s *[]*Pod, p *Pod, pos *int32, posOf func(*Pod) *int32) {
	i := int(*pos)
	if i < 0 || i >= len(*s) || (*s)[i] != p {
		// Not where it says: not in the list (nothing to do), as the search would find.
		if i = slices.Index(*s, p); i < 0 {
			return
		}
	}
	last := len(*s) - 1
	moved := (*s)[last]
	(*s)[i] = moved
	*posOf(moved) = int32(i)
	(*s)[last] = nil
	*s = (*s)[:last]
	*pos = -1
}
