package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// createMachine creates a Machine: its infrastructure is provisioned, then it joins the cluster
// as a Node at version. Control plane machines also join etcd and run an apiserver.
func (c *Cluster) createMachine(p *pool, zone, version string, instant bool) *node {
	n := &node{
		idx: len(c.nodes), version: version, zone: zone, created: c.clock.now,
		pulled: map[*workload]bool{}, drainBlocked: map[*pod]*stall{},
	}
	cp := c.sc.Spec.Cluster.ControlPlane
	capacity := cp.Capacity
	if p == nil {
		c.cpSeq++
		n.name = fmt.Sprintf("%s-control-plane-%d", c.name, c.cpSeq)
		n.role = model.RoleControlPlane
		c.cpNodes = append(c.cpNodes, n)
	} else {
		p.seq++
		n.name = fmt.Sprintf("%s-%s-%d", c.name, p.name, p.seq)
		n.role, n.pool = model.RoleWorker, p
		capacity = p.spec.Capacity
		c.workers = append(c.workers, n)
	}
	n.cpu = capacity.CPU.MilliValue()
	n.mem = capacity.Memory.Value()
	n.maxPods = int(*capacity.Pods)
	n.bucket = c.rng.IntN(buckets)
	c.nodes = append(c.nodes, n)
	if instant {
		c.machineUp(n)
		c.nodeJoined(n)
		return n
	}
	provision := c.cal.MachineProvision.Duration + c.provisionDelay(n)
	c.clock.after(provision, func() {
		if n.deleting {
			return
		}
		if c.provisionFails(n) {
			c.instant(model.Error, locNode(n), model.ReasonMachineCreated, "machine "+n.name+" failed to provision (injected)")
			c.failedMachine(n)
			return
		}
		c.machineUp(n)
		join := c.cal.NodeJoin.Duration
		if n.role == model.RoleControlPlane {
			join = c.cal.ControlPlaneJoin.Duration
			// kubeadm adds the new etcd member (a voter) shortly before its etcd runs: with a
			// single member, quorum is lost until the new one has started.
			if q := c.cal.EtcdQuorumLoss.Duration; q <= join {
				c.clock.after(join-q, func() {
					c.flush()
					n.etcdMember = true
					c.apiChanged()
				})
			}
		}
		c.clock.after(join, func() {
			if !n.deleting && n.up {
				c.nodeJoined(n)
			}
		})
	})
	return n
}

// machineUp: the infrastructure runs.
func (c *Cluster) machineUp(n *node) {
	c.beforeNodeChange(n)
	n.up = true
	c.afterNodeChange(n)
}

// nodeJoined: the Node is registered and Ready (and, on the control plane, its etcd member and
// apiserver run).
func (c *Cluster) nodeJoined(n *node) {
	c.flush()
	n.joined, n.ready = true, true
	if n.role == model.RoleControlPlane {
		n.etcdMember, n.etcdRunning = true, true
		c.beforeNodeChange(n)
		n.apiserverUp = true
		c.afterNodeChange(n)
		c.apiChanged()
	}
	c.joinLB(n)
	if n.created > 0 {
		c.interval(model.Info, locNode(n), model.ReasonMachineCreated, "machine "+n.name+" created and Ready at "+n.version, n.created, c.clock.now)
	}
	c.retryPending()
	c.wake()
}

// deleteMachine deletes a Machine as Cluster API does: cordon and drain (workers), then remove
// the etcd member (control plane), delete the infrastructure, delete the Node.
func (c *Cluster) deleteMachine(n *node) {
	if n.deleting {
		return
	}
	n.deleting = true
	n.drainStart = c.clock.now
	if !n.joined {
		c.failedMachine(n)
		return
	}
	if n.role == model.RoleControlPlane {
		c.flush()
		n.etcdMember, n.etcdRunning = false, false
		c.apiChanged()
		c.clock.after(time.Second, func() { c.deleteInfra(n) })
		return
	}
	c.flush()
	n.cordoned = true
	c.drain(n)
}

// drain evicts every pod of the node; refused evictions are retried every evictionRetry, as
// Cluster API's drain does, until the pods are gone or nodeDrainTimeout passes.
func (c *Cluster) drain(n *node) {
	if n.gone || n.drainDone {
		return
	}
	timeout := n.pool.drainTimeout
	if timeout > 0 && c.clock.now-n.drainStart >= timeout {
		c.instant(model.Error, locNode(n), model.ReasonDrainTimeout,
			fmt.Sprintf("nodeDrainTimeout (%s) passed: machine %s deleted with %d pods still on it", timeout, n.name, len(n.pods)))
		c.finishDrain(n)
		return
	}
	pods := append([]*pod(nil), n.pods...)
	sort.Slice(pods, func(i, j int) bool { return pods[i].name < pods[j].name })
	blocked := 0
	for _, p := range pods {
		if p.terminating || p.gone {
			continue
		}
		refusal, pdbName := c.evict(p)
		if refusal == "" {
			c.closeStalls(p) // evicted at last: the drain no longer names a blocking PDB
			continue
		}
		blocked++
		st := n.drainBlocked[p]
		if st == nil {
			st = &stall{pdb: pdbName, pod: p, node: n, from: c.clock.now, reason: refusal}
			n.drainBlocked[p] = st
			p.stalls = append(p.stalls, st)
		}
		st.attempts++
		st.reason = refusal
	}
	if blocked > 0 || c.podsLeft(n) > 0 {
		// Cluster API requeues the drain: it sees the last pod gone only at its next pass.
		c.clock.after(c.cal.EvictionRetry.Duration, func() { c.drain(n) })
		return
	}
	c.finishDrain(n)
}

// podsLeft counts the pods the drain still waits for. Like Cluster API, it does not wait for
// pods already deleted on a node that no longer reports (their kubelet cannot stop them).
func (c *Cluster) podsLeft(n *node) int {
	left := 0
	for _, p := range n.pods {
		if !p.gone && !(p.terminating && !n.ready) {
			left++
		}
	}
	return left
}

// closeStalls ends the PDB stalls of a pod: it was evicted at last, or it went away.
func (c *Cluster) closeStalls(p *pod) {
	for _, st := range p.stalls {
		if st.node.drainBlocked[p] == st {
			delete(st.node.drainBlocked, p)
		}
		level, reason := model.Warning, model.ReasonEvictionBlocked
		if st.pdb == "" {
			level, reason = model.Error, model.ReasonEvictionFailed
		}
		c.record(c.rec.Interval(&model.Interval{
			Level:   level,
			Locator: model.Locator{Node: st.node.name, Pod: p.name, PDB: st.pdb, Workload: p.w.name},
			Reason:  reason,
			Message: fmt.Sprintf("drain of %s blocked %d time(s): %s", st.node.name, st.attempts, st.reason),
			From:    st.from, To: c.clock.now,
		}))
	}
	p.stalls = nil
}

func (c *Cluster) finishDrain(n *node) {
	if n.drainDone {
		return
	}
	n.drainDone = true
	for _, p := range append([]*pod(nil), n.pods...) {
		c.closeStalls(p)
	}
	c.interval(model.Info, locNode(n), model.ReasonNodeDrain, fmt.Sprintf("drain of %s", n.name), n.drainStart, c.clock.now)
	c.clock.after(c.cal.MachineDelete.Duration, func() { c.deleteInfra(n) })
}

// deleteInfra removes the machine's infrastructure, then its Node. Pods still on it die with it
// and are replaced.
func (c *Cluster) deleteInfra(n *node) {
	c.beforeNodeChange(n)
	n.up = false
	n.apiserverUp = false
	c.afterNodeChange(n)
	c.apiChanged()
	for _, p := range append([]*pod(nil), n.pods...) {
		if !p.exited && p.started {
			c.processExit(p, false)
		}
	}
	c.clock.after(time.Second, func() { c.nodeDeleted(n) })
}

func (c *Cluster) nodeDeleted(n *node) {
	c.flush()
	c.leaveLB(n)
	n.gone, n.ready, n.joined = true, false, false
	for _, p := range append([]*pod(nil), n.pods...) {
		c.podGone(p)
	}
	if n.cordoned {
		c.interval(model.Info, locNode(n), model.ReasonNodeCordoned, n.name+" cordoned", n.drainStart, c.clock.now)
	}
	c.interval(model.Info, locNode(n), model.ReasonMachineDeleted, "machine "+n.name+" deleted", n.drainStart, c.clock.now)
	c.wake()
}

// failedMachine is a machine that never joined: it is deleted and the controller tries again.
func (c *Cluster) failedMachine(n *node) {
	n.deleting = true
	c.beforeNodeChange(n)
	n.up = false
	c.afterNodeChange(n)
	n.gone = true
	c.wake()
}

// reconcileControlPlane is the KubeadmControlPlane rollout: surge one machine at the new
// version, wait for it to be Ready, then delete the oldest outdated machine; one at a time.
func (c *Cluster) reconcileControlPlane() {
	want := c.cpVersion
	replicas := int(*c.sc.Spec.Cluster.ControlPlane.Replicas)
	var outdated, current, deleting, provisioning int
	var oldest *node
	for _, n := range c.cpNodes {
		switch {
		case n.gone:
			continue
		case n.deleting:
			deleting++
		case n.version != want:
			outdated++
			if oldest == nil {
				oldest = n
			}
		case !n.ready:
			provisioning++
			current++
		default:
			current++
		}
	}
	if deleting > 0 || provisioning > 0 {
		return // one change at a time
	}
	if outdated > 0 && current+outdated <= replicas {
		c.createMachine(nil, c.zoneFor(nil, len(c.cpNodes)), want, false)
		return
	}
	if outdated > 0 && current+outdated > replicas && oldest != nil {
		c.deleteMachine(oldest)
		return
	}
	if current < replicas {
		c.createMachine(nil, c.zoneFor(nil, len(c.cpNodes)), want, false)
	}
}

// reconcilePool is the MachineDeployment rolling update, as Cluster API computes it: new
// machines while the total (machines being deleted included) stays within replicas+maxSurge;
// old ones deleted (cordoned and drained) while the available machines stay at or above
// replicas-maxUnavailable.
func (c *Cluster) reconcilePool(p *pool) {
	var newAll, newReady, total int
	var old []*node
	for _, n := range c.workers {
		if n.pool != p || n.gone {
			continue
		}
		total++
		if n.deleting {
			continue
		}
		if n.version == p.version {
			newAll++
			if n.ready {
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
	sort.SliceStable(old, func(i, j int) bool { return !old[i].ready && old[j].ready })
	down := (newAll + len(old)) - (p.replicas - p.maxUnavailable) - (newAll - newReady)
	for _, n := range old {
		if down <= 0 && n.ready {
			break
		}
		c.deleteMachine(n)
		if n.ready {
			down--
		}
	}
}

func (c *Cluster) zoneFor(p *pool, i int) string {
	zones := c.sc.Spec.Cluster.Zones
	if p != nil {
		zones = p.spec.Zones
	}
	return zones[i%len(zones)]
}

// machinesAt reports whether the control plane (p nil) or a pool is entirely at version: the
// desired count of Ready machines at it, and nothing else left.
func (c *Cluster) machinesAt(p *pool, version string) bool {
	list, replicas := c.workers, 0
	if p == nil {
		list, replicas = c.cpNodes, int(*c.sc.Spec.Cluster.ControlPlane.Replicas)
	} else {
		replicas = p.replicas
	}
	ready := 0
	for _, n := range list {
		if n.gone || (p != nil && n.pool != p) {
			continue
		}
		if n.version != version || !n.ready || n.deleting {
			return false
		}
		ready++
	}
	return ready == replicas
}

func nodeNames(ns []*node) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.name)
	}
	return strings.Join(s, ", ")
}
