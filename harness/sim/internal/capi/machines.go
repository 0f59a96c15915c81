package capi

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// createMachine creates a Machine: its infrastructure is provisioned, then it joins the cluster
// as a Node at version. Control plane machines also join etcd and run an apiserver.
func (c *Controllers) createMachine(p *pool, zone, version string, instant bool) *world.Node {
	w := c.w
	capacity := w.Sc.Spec.Cluster.ControlPlane.Capacity
	var name, poolName string
	if p == nil {
		c.cpSeq++
		name = w.Names.Numbered(w.Name, "control-plane", c.cpSeq)
	} else {
		p.seq++
		name = w.Names.Numbered(w.Name, p.name, p.seq)
		poolName, capacity = p.name, p.spec.Capacity
	}
	n := w.AddNode(name, poolName, zone, version, capacity)
	c.progress()
	c.machines[n] = c.newMachine(machine{n: n, pool: p})
	if p != nil {
		p.nodes = append(p.nodes, n)
	}
	if instant {
		w.MachineUp(n)
		c.nodeJoined(n)
		return n
	}
	c.event(faults.EventMachineCreated, n)
	provision := w.Cal.MachineProvision.Duration + w.Effects.ProvisionSlow
	c.after(provision, world.CtlEvent{Kind: evProvisioned, Node: n})
	return n
}

// provisioned: machine n's infrastructure is up (or failed to come up), and it starts joining.
func (c *Controllers) provisioned(n *world.Node) {
	w := c.w
	if n.Deleting {
		return
	}
	if w.Effects.ProvisionFails > 0 {
		w.Effects.ProvisionFails--
		w.Instant(model.Error, world.LocNode(n), model.ReasonMachineCreated, "machine "+n.Name+" failed to provision (injected)")
		c.failedMachine(n)
		return
	}
	w.MachineUp(n)
	join := w.Cal.NodeJoin.Duration
	if n.Role == model.RoleControlPlane {
		join = w.Cal.ControlPlaneJoin.Duration
		// kubeadm adds the new etcd member (a voter) shortly before its etcd runs: with a
		// single member, quorum is lost until the new one has started.
		if q := w.Cal.EtcdQuorumLoss.Duration; q <= join {
			w.Clock.After(join-q, func() { w.AddEtcdMember(n) })
		}
	}
	if n.Role == model.RoleControlPlane {
		w.Clock.After(join, func() {
			if !n.Deleting && n.Up {
				c.nodeJoined(n)
			}
		})
		return
	}
	c.joinWorker(n, join)
}

// joinWorker has a worker join the cluster after d of kubeadm join, which makes no progress
// while the API is unavailable (TLS bootstrap and the Node's registration need it): the join
// ends d of API availability after it began.
func (c *Controllers) joinWorker(n *world.Node, d time.Duration) {
	w := c.w
	down := w.APIDownSoFar()
	w.Clock.After(d, func() {
		if n.Deleting || !n.Up {
			return
		}
		if lost := w.APIDownSoFar() - down; lost > 0 {
			c.joinWorker(n, lost)
			return
		}
		c.nodeJoined(n)
	})
}

// nodeJoined: the Node is registered and Ready; a machine created during the run records its
// creation.
func (c *Controllers) nodeJoined(n *world.Node) {
	w := c.w
	w.NodeJoined(n)
	c.progress()
	if n.Created > 0 {
		w.Interval(model.Info, world.LocNode(n), model.ReasonMachineCreated, w.Names.Text("machine ", n.Name, " created and Ready at ", n.Version), n.Created, w.Clock.Now())
	}
	w.RetryPending()
	w.Wake()
}

// deleteMachine deletes a Machine as Cluster API does: cordon and drain (workers), then remove
// the etcd member (control plane), delete the infrastructure, delete the Node.
func (c *Controllers) deleteMachine(n *world.Node) {
	if n.Deleting {
		return
	}
	w := c.w
	m := c.machines[n]
	n.Deleting = true
	w.NodeChanged(n)
	m.drainStart = w.Clock.Now()
	if !n.Joined {
		c.failedMachine(n)
		return
	}
	// Cluster API drains every machine it deletes, control plane ones included: there it
	// evicts CoreDNS (and whatever else tolerates the control plane's taint).
	c.event(faults.EventNodeDrain, n)
	w.Flush()
	n.Cordoned = true
	w.NodeChanged(n)
	c.drain(m)
}

// drain evicts every pod of the node; refused evictions are retried every evictionRetry, as
// Cluster API's drain does, until the pods are gone or nodeDrainTimeout passes.
func (c *Controllers) drain(m *machine) {
	w, n := c.w, m.n
	if n.Gone || m.drainDone {
		return
	}
	var timeout time.Duration // KubeadmControlPlane sets no nodeDrainTimeout by default
	if m.pool != nil {
		timeout = m.pool.drainTimeout
	}
	if timeout > 0 && w.Clock.Now()-m.drainStart >= timeout {
		c.drainTimedOut(m, timeout)
		return
	}
	pods := append([]*world.Pod(nil), n.Pods...)
	slices.SortFunc(pods, func(a, b *world.Pod) int { return strings.Compare(a.Name, b.Name) }) // names are unique
	blocked := 0
	for _, p := range pods {
		if p.Terminating || p.Gone {
			continue
		}
		refusal, pdbName := w.Evict(p)
		if refusal == "" {
			c.CloseStalls(p) // evicted at last: the drain no longer names a blocking PDB
			c.progress()
			continue
		}
		blocked++
		st := m.drainBlocked[p]
		if st == nil {
			st = &stall{pdb: pdbName, pod: p, m: m, from: w.Clock.Now(), reason: refusal}
			if m.drainBlocked == nil {
				m.drainBlocked = map[*world.Pod]*stall{}
			}
			m.drainBlocked[p] = st
			c.stalls[p] = append(c.stalls[p], st)
		}
		st.attempts++
		st.reason = refusal
	}
	if blocked > 0 || podsLeft(n) > 0 {
		// Cluster API requeues the drain: it sees the last pod gone only at its next pass.
		c.after(w.Cal.EvictionRetry.Duration, world.CtlEvent{Kind: evDrainRetry, Ref: m})
		return
	}
	c.finishDrain(m)
}

// drainTimedOut is what the pool's upgrade strategy does with a drain that outlasted its limit.
func (c *Controllers) drainTimedOut(m *machine, timeout time.Duration) {
	w, n, p := c.w, m.n, m.pool
	blocking := c.blockingPDBs(m)
	switch p.onTimeout {
	case scenarios.DrainTimeoutFails:
		// EKS without force (PodEvictionFailure) and AKS Schedule: the node is schedulable
		// again, stays at the old version, and the upgrade fails.
		what := "EKS: PodEvictionFailure: the pods of " + n.Name + " did not leave within " + timeout.String() + " and the update was not forced"
		if p.preset == scenarios.PresetAKS {
			what = "AKS: node " + n.Name + " could not be drained within " + timeout.String() + " (undrainable node behavior Schedule): it is schedulable again at the old version"
		}
		msg := what + blocking + "; the upgrade failed"
		w.Instant(model.Error, world.LocNode(n), model.ReasonDrainTimeout, msg)
		for _, pod := range append([]*world.Pod(nil), n.Pods...) {
			c.CloseStalls(pod)
		}
		m.drainDone = true
		w.Flush()
		n.Deleting, n.Cordoned = false, false
		w.NodeChanged(n)
		c.failed = msg
		c.progress()
		w.Wake()
	case scenarios.DrainTimeoutQuarantines:
		// AKS Cordon: the node is quarantined, cordoned with its pods; a surge node takes its
		// place and the upgrade goes on, to end failed.
		msg := "AKS: node " + n.Name + " could not be drained within " + timeout.String() + blocking + ": quarantined (kubernetes.azure.com/upgrade-status=Quarantined, cordoned with " + fmt.Sprint(podsLeft(n)) + " pods)"
		w.Instant(model.Error, world.LocNode(n), model.ReasonDrainTimeout, msg)
		for _, pod := range append([]*world.Pod(nil), n.Pods...) {
			c.CloseStalls(pod)
		}
		m.drainDone, m.quarantined = true, true
		w.Flush()
		n.Deleting = false
		w.NodeChanged(n)
		c.quarantined = append(c.quarantined, n.Name)
		c.progress()
		w.Wake() // the pool's rollout goes on without the node

	default:
		what := fmt.Sprintf("nodeDrainTimeout (%s) passed", timeout)
		if p.preset == "" || p.preset == scenarios.PresetClusterAPI {
			blocking = "" // Cluster API's message, as it has always read
		}
		switch p.preset {
		case scenarios.PresetEKS:
			what = fmt.Sprintf("EKS: the pods did not leave within %s and the update is forced", timeout)
		case scenarios.PresetGKE:
			what = fmt.Sprintf("GKE respects PodDisruptionBudgets for %s", timeout)
		}
		w.Instant(model.Error, world.LocNode(n), model.ReasonDrainTimeout,
			fmt.Sprintf("%s%s: machine %s deleted with %d pods still on it", what, blocking, n.Name, len(n.Pods)))
		c.finishDrain(m)
	}
}

// blockingPDBs names the budgets that refused the drain's last evictions, for messages.
func (c *Controllers) blockingPDBs(m *machine) string {
	var names []string
	for _, st := range m.drainBlocked {
		if st.pdb != "" && !slices.Contains(names, st.pdb) {
			names = append(names, st.pdb)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return " (blocked by PodDisruptionBudget " + strings.Join(names, ", ") + ")"
}

// podsLeft counts the pods the drain still waits for. Like Cluster API, it does not wait for
// pods already deleted on a node that no longer reports (their kubelet cannot stop them).
func podsLeft(n *world.Node) int {
	left := 0
	for _, p := range n.Pods {
		if !p.Gone && !(p.Terminating && !n.Ready) {
			left++
		}
	}
	return left
}

// PodGone notes a pod gone: a drain waiting for it moved on.
func (c *Controllers) PodGone(p *world.Pod) {
	if p.Node != nil && p.Node.Deleting {
		c.progress()
	}
	c.CloseStalls(p)
}

// CloseStalls ends the PDB stalls of a pod: it was evicted at last, or it went away.
func (c *Controllers) CloseStalls(p *world.Pod) {
	for _, st := range c.stalls[p] {
		if st.m.drainBlocked[p] == st {
			delete(st.m.drainBlocked, p)
		}
		level, reason := model.Warning, model.ReasonEvictionBlocked
		if st.pdb == "" {
			level, reason = model.Error, model.ReasonEvictionFailed
		}
		c.w.Interval(level, model.Locator{Node: st.m.n.Name, Pod: p.Name, PDB: st.pdb, Workload: p.W.Name}, reason,
			fmt.Sprintf("drain of %s blocked %d time(s): %s", st.m.n.Name, st.attempts, st.reason), st.from, c.w.Clock.Now())
	}
	delete(c.stalls, p)
}

func (c *Controllers) finishDrain(m *machine) {
	if m.drainDone {
		return
	}
	w, n := c.w, m.n
	m.drainDone = true
	c.progress()
	for _, p := range append([]*world.Pod(nil), n.Pods...) {
		c.CloseStalls(p)
	}
	w.Interval(model.Info, world.LocNode(n), model.ReasonNodeDrain, w.Names.Text("drain of ", n.Name), m.drainStart, w.Clock.Now())
	if n.Role == model.RoleControlPlane {
		// KubeadmControlPlane's pre-terminate hook removes the etcd member once the drain is done.
		w.StopEtcdMember(n)
	}
	c.after(w.Cal.MachineDelete.Duration, world.CtlEvent{Kind: evDeleteInfra, Node: n})
}

// deleteInfra removes the machine's infrastructure, then its Node. Pods still on it die with it
// and are replaced.
func (c *Controllers) deleteInfra(n *world.Node) {
	c.w.PowerDown(n)
	c.after(time.Second, world.CtlEvent{Kind: evNodeDeleted, Node: n})
}

func (c *Controllers) nodeDeleted(n *world.Node) {
	w, m := c.w, c.machines[n]
	w.RemoveNode(n)
	c.progress()
	if n.Cordoned {
		w.Interval(model.Info, world.LocNode(n), model.ReasonNodeCordoned, w.Names.Text(n.Name, " cordoned"), m.drainStart, w.Clock.Now())
	}
	w.Interval(model.Info, world.LocNode(n), model.ReasonMachineDeleted, w.Names.Text("machine ", n.Name, " deleted"), m.drainStart, w.Clock.Now())
	w.Wake()
}

// failedMachine is a machine that never joined: it is deleted and the controller tries again.
func (c *Controllers) failedMachine(n *world.Node) {
	n.Deleting = true
	c.w.NodeChanged(n)
	c.w.Discard(n)
	c.w.Wake()
}

// reconcileControlPlane is the KubeadmControlPlane rollout: surge one machine at the new
// version, wait for it to be Ready, then delete the oldest outdated machine; one at a time.
func (c *Controllers) reconcileControlPlane() {
	want := c.cpVersion
	replicas := int(*c.w.Sc.Spec.Cluster.ControlPlane.Replicas)
	var outdated, current, deleting, provisioning int
	var oldest *world.Node
	for _, n := range c.w.CPNodes {
		switch {
		case n.Gone:
			continue
		case n.Deleting:
			deleting++
		case n.Version != want:
			outdated++
			if oldest == nil {
				oldest = n
			}
		case !n.Ready:
			provisioning++
			current++
		default:
			current++
		}
	}
	if deleting > 0 || provisioning > 0 {
		return // one change at a time
	}
	if c.settling(c.w.CPNodes, want, c.w.Cal.ControlPlaneSettle.Duration) {
		return
	}
	if outdated > 0 && current+outdated <= replicas {
		c.createMachine(nil, c.zoneFor(nil, len(c.w.CPNodes)), want, false)
		return
	}
	if outdated > 0 && current+outdated > replicas && oldest != nil {
		c.deleteMachine(oldest)
		return
	}
	if current < replicas {
		c.createMachine(nil, c.zoneFor(nil, len(c.w.CPNodes)), want, false)
	}
}

// reconcilePool is the MachineDeployment rolling update, as Cluster API computes it: new
// machines while the total (machines being deleted included) stays within replicas+maxSurge;
// old ones deleted (cordoned and drained) while the available machines stay at or above
// replicas-maxUnavailable.
func (c *Controllers) reconcilePool(p *pool) {
	var newAll, newReady, total, deleting int
	old := c.old[:0]
	c.old = nil
	defer func() { clear(old); c.old = old[:0] }()
	for _, n := range p.live() { // the pool's machines, in the order the workers were made
		if n.Gone || c.isQuarantined(n) {
			continue
		}
		total++
		if n.Deleting {
			deleting++
			continue
		}
		if n.Version == p.version {
			newAll++
			if n.Ready && !c.settling([]*world.Node{n}, p.version, c.w.Cal.WorkerSettle.Duration) {
				newReady++
			}
		} else {
			old = append(old, n)
		}
	}
	if up := min(p.replicas+p.maxSurge-total, p.replicas-newAll); up > 0 {
		for i := 0; i < up; i++ {
			c.createMachine(p, c.zoneFor(p, p.seq), p.version, false)
		}
		newAll += up
	}
	// Old machines that are not Ready go first: deleting them costs no availability.
	slices.SortStableFunc(old, func(a, b *world.Node) int {
		switch {
		case !a.Ready && b.Ready:
			return -1
		case a.Ready && !b.Ready:
			return 1
		}
		return 0
	})
	down := (newAll + len(old)) - (p.replicas - p.maxUnavailable) - (newAll - newReady)
	for _, n := range old {
		if down <= 0 && n.Ready {
			break
		}
		if p.maxDraining > 0 && deleting >= p.maxDraining {
			break
		}
		deleting++
		c.deleteMachine(n)
		if n.Ready {
			down--
		}
	}
}

// settling reports whether a node of nodes at version became Ready less than settle ago: the
// controller does not count it as available yet, and is woken when it will.
func (c *Controllers) settling(nodes []*world.Node, version string, settle time.Duration) bool {
	if settle <= 0 {
		return false
	}
	now := c.w.Clock.Now()
	until := time.Duration(-1)
	for _, n := range nodes {
		if n.Gone || n.Deleting || !n.Ready || n.Version != version || n.JoinedAt == 0 {
			continue
		}
		if at := n.JoinedAt + settle; at > now {
			until = max(until, at)
		}
	}
	if until < 0 {
		return false
	}
	if c.settleWake[until] {
		return true
	}
	if c.settleWake == nil {
		c.settleWake = map[time.Duration]bool{}
	}
	c.settleWake[until] = true
	c.w.CtlAt(until, world.CtlEvent{Kind: evSettled, At: until})
	return true
}

// machinesAt reports whether the control plane (p nil) or a pool is entirely at version: the
// desired count of Ready machines at it, and nothing else left.
func (c *Controllers) machinesAt(p *pool, version string) bool {
	var list []*world.Node
	var replicas int
	if p == nil {
		list, replicas = c.w.CPNodes, int(*c.w.Sc.Spec.Cluster.ControlPlane.Replicas)
	} else {
		list, replicas = p.live(), p.replicas
	}
	ready := 0
	for _, n := range list {
		if n.Gone || (p != nil && c.isQuarantined(n)) {
			continue
		}
		if n.Version != version || !n.Ready || n.Deleting {
			return false
		}
		ready++
	}
	return ready == replicas
}
