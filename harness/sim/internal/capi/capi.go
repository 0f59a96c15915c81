// Package capi is the Cluster API side of the simulated cluster: machines and their
// provisioning, the KubeadmControlPlane rollout, each MachineDeployment's rolling update, and
// the drains (cordon, evictions retried at every requeue, nodeDrainTimeout) with the PDB stalls
// they meet. It acts on the nodes and pods of package world.
package capi

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Controllers are the Cluster API controllers of one cluster.
type Controllers struct {
	w     *world.World
	pools []*pool
	cpSeq int
	// machines holds the Cluster API state of every node's machine.
	machines map[*world.Node]*machine
	// stalls are the open PDB stalls of each pod.
	stalls map[*world.Pod][]*stall
	// settleWake are the instants a new machine stops settling, each woken once (settling).
	settleWake settleWakes

	// failed is why a managed service's upgrade failed ("" while it has not); quarantined are
	// the nodes AKS's Cordon behaviour set aside.
	failed      string
	quarantined []string

	cpVersion  string
	poolTurn   int // index of the pool being rolled; len(pools) when none
	stepTarget string
	// progressAt is the last instant a rollout moved: a machine created, joined or deleted, a
	// pod evicted or gone from a drained node, a drain done.
	progressAt time.Duration
	// OnEvent, when set, hears the rollout's events faults can be timed to.
	OnEvent func(ev faults.Event, n *world.Node)
	// machineRoom is where machines are made (newMachine).
	machineRoom []machine
	// old is reconcilePool's list of a pool's old machines, kept from call to call (nil while
	// a call holds it).
	old []*world.Node
}

func (c *Controllers) event(ev faults.Event, n *world.Node) {
	if c.OnEvent != nil {
		c.OnEvent(ev, n)
	}
}

// pool is a MachineDeployment.
type pool struct {
	idx            int
	name           string
	spec           *scenarios.WorkerPool
	replicas       int
	maxSurge       int
	maxUnavailable int
	maxDraining    int // nodes drained at once at most; 0 for no bound but the above
	drainTimeout   time.Duration
	onTimeout      scenarios.OnDrainTimeout
	preset         scenarios.StrategyPreset
	version        string // the MachineDeployment's desired version
	seq            int    // machine name counter
	// nodes are the pool's machines, gone ones included, in creation order; nodes[:gone] are
	// all gone (a node never comes back), so that scans can start after them.
	nodes []*world.Node
	gone  int
}

// live returns the pool's machines from the first one that is not gone, in creation order.
func (p *pool) live() []*world.Node {
	for p.gone < len(p.nodes) && p.nodes[p.gone].Gone {
		p.gone++
	}
	return p.nodes[p.gone:]
}

// isQuarantined reports whether n is a machine AKS's Cordon behaviour left in place; the map is
// only read once some machine was.
func (c *Controllers) isQuarantined(n *world.Node) bool {
	return len(c.quarantined) > 0 && c.machines[n].quarantined
}

// machine is the Cluster API side of a node: its pool and its drain.
// settleWakes are the instants at which a node stops settling (see settling), each woken once.
type settleWakes = map[time.Duration]bool

type machine struct {
	n            *world.Node
	pool         *pool // nil for control plane machines
	drainStart   time.Duration
	drainBlocked map[*world.Pod]*stall // made at the first pod a drain could not evict
	drainDone    bool
	// quarantined is a node whose drain timed out under AKS's Cordon behaviour: cordoned with
	// its pods, out of the rollout.
	quarantined bool
}

// stall is an eviction refused by a PDB, open until the eviction succeeds.
type stall struct {
	pdb      string
	pod      *world.Pod
	m        *machine
	from     time.Duration
	attempts int
	reason   string
}

// New creates the cluster's machines at the scenario's "from" version, up and joined, as if
// the cluster had been running for a while.
func New(w *world.World) (*Controllers, error) {
	sc := w.Sc
	// A rollout makes about as many machines again as the cluster starts with.
	nodes := int(*sc.Spec.Cluster.ControlPlane.Replicas)
	for i := range sc.Spec.Cluster.WorkerPools {
		nodes += int(*sc.Spec.Cluster.WorkerPools[i].Replicas)
	}
	c := &Controllers{w: w, cpVersion: sc.Spec.Versions.From, machines: make(map[*world.Node]*machine, 2*nodes+4),
		stalls: map[*world.Pod][]*stall{}, machineRoom: make([]machine, 0, 2*nodes+4)}
	from := sc.Spec.Versions.From
	for i := 0; i < int(*sc.Spec.Cluster.ControlPlane.Replicas); i++ {
		c.createMachine(nil, c.zoneFor(nil, i), from, true)
	}
	for i := range sc.Spec.Cluster.WorkerPools {
		ps := &sc.Spec.Cluster.WorkerPools[i]
		replicas := int(*ps.Replicas)
		up, err := sc.PoolUpgradeOf(i)
		if err != nil {
			return nil, err
		}
		// A pool left behind by earlier upgrades runs its own version until the topology
		// moves it.
		version := from
		if ps.Start != nil && ps.Start.Version != "" {
			version = ps.Start.Version
		}
		p := &pool{idx: i, name: ps.Name, spec: ps, replicas: replicas, maxSurge: up.MaxSurge,
			maxUnavailable: up.MaxUnavailable, maxDraining: up.MaxDraining, drainTimeout: up.DrainTimeout, onTimeout: up.OnTimeout, preset: up.Preset, version: version}
		c.pools = append(c.pools, p)
		for j := 0; j < replicas; j++ {
			c.createMachine(p, c.zoneFor(p, j), version, true)
		}
	}
	c.poolTurn = len(c.pools)
	return c, nil
}

// Reconcile runs the controllers: the control plane's, then the pool whose turn it is; the
// topology controller moves to the next MachineDeployment once one is at the version.
func (c *Controllers) Reconcile() {
	if c.failed != "" {
		return // the service gave up: nothing moves any more
	}
	c.reconcileControlPlane()
	if c.poolTurn < len(c.pools) {
		p := c.pools[c.poolTurn]
		c.reconcilePool(p)
		if c.machinesAt(p, p.version) {
			c.poolTurn++
			c.startPoolTurn()
		}
	} else if c.stepTarget != "" && c.poolTurn == len(c.pools) && c.machinesAt(nil, c.stepTarget) && c.pools != nil && c.pools[0].version != c.stepTarget {
		c.poolTurn = 0
		c.startPoolTurn()
	}
}

func (c *Controllers) startPoolTurn() {
	if c.poolTurn < len(c.pools) {
		p := c.pools[c.poolTurn]
		p.version = c.stepTarget
		c.reconcilePool(p)
	}
}

// SetVersion is a change of the Cluster's topology version: the control plane first, then each
// MachineDeployment in turn.
func (c *Controllers) SetVersion(version string) {
	c.stepTarget = version
	c.cpVersion = version
	c.poolTurn = len(c.pools)
	c.w.Wake()
}

// At returns a function that reports whether the control plane (pool "") or a pool is entirely
// at version.
func (c *Controllers) At(poolName, version string) (func() bool, error) {
	var p *pool
	if poolName != "" {
		for _, q := range c.pools {
			if q.name == poolName {
				p = q
			}
		}
		if p == nil {
			return nil, fmt.Errorf("no worker pool %q", poolName)
		}
	}
	// The machines are where they were as long as no node changed (World.NodeEpoch): the
	// engine asks after every event.
	var notAt bool
	var asked uint64
	return func() bool {
		if c.failed != "" {
			return true
		}
		if notAt && asked == c.w.NodeEpoch() {
			return false
		}
		if !c.machinesAt(p, version) {
			notAt, asked = true, c.w.NodeEpoch()
			return false
		}
		notAt = false
		if p != nil && len(c.quarantined) > 0 {
			// AKS with Cordon: the rest of the pool is upgraded, a surge node kept for each
			// quarantined one, and the operation ends failed.
			c.failed = fmt.Sprintf("AKS: pool %s upgraded but for the quarantined node(s) %s, left at the old version with their pods; the upgrade failed",
				p.name, strings.Join(c.quarantined, ", "))
		}
		return true
	}, nil
}

// Failed is why the upgrade failed, as a managed service fails it (a drain that outlasted its
// limit under EKS without force or AKS), or "".
func (c *Controllers) Failed() string { return c.failed }

// Draining reports whether a node is a worker being drained.
func (c *Controllers) Draining(n *world.Node) bool {
	m := c.machines[n]
	return n.Role == model.RoleWorker && n.Deleting && m != nil && !m.drainDone
}

// Close closes the PDB stalls still open (a stall at the deadline).
func (c *Controllers) Close() {
	w := c.w
	now := w.Clock.Now()
	// Machines still being created, drained or deleted.
	for _, n := range w.Nodes {
		m := c.machines[n]
		switch {
		case n.Gone || m == nil:
		case n.Deleting:
			if n.Role == model.RoleWorker && !m.drainDone && m.drainStart < now {
				w.Interval(model.Info, world.LocNode(n), model.ReasonNodeDrain, fmt.Sprintf("drain of %s, not finished", n.Name), m.drainStart, now)
			}
			w.Interval(model.Info, world.LocNode(n), model.ReasonMachineDeleted, "machine "+n.Name+" being deleted", m.drainStart, now)
		case n.Created > 0 && !n.Joined && n.Created < now:
			w.Interval(model.Info, world.LocNode(n), model.ReasonMachineCreated, "machine "+n.Name+" created, not yet Ready", n.Created, now)
		}
	}
	var open []*world.Pod
	for _, n := range c.w.Nodes {
		for p := range c.machines[n].drainBlocked {
			open = append(open, p)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].Name < open[j].Name })
	for _, p := range open {
		c.CloseStalls(p)
	}
}

// progress notes that a rollout moved.
func (c *Controllers) progress() { c.progressAt = c.w.Clock.Now() }

// ProgressAt returns the last instant a rollout moved.
func (c *Controllers) ProgressAt() time.Duration { return c.progressAt }

// Blockers says what keeps the rollouts from going on, if anything: drains refused by a PDB
// or by the eviction API, pods that no node fits, machines that fail to provision, drains that
// wait for pods a node that does not report cannot stop.
func (c *Controllers) Blockers() []string {
	var out []string
	var nodes []*world.Node
	for _, n := range c.w.Nodes {
		if len(c.machines[n].drainBlocked) > 0 {
			nodes = append(nodes, n)
		}
	}
	for _, n := range nodes {
		m := c.machines[n]
		var pods []string
		pdbs := map[string]bool{}
		for p, st := range m.drainBlocked {
			pods = append(pods, p.Name)
			if st.pdb != "" {
				pdbs[st.pdb] = true
			}
		}
		sort.Strings(pods)
		what := "the eviction API"
		if len(pdbs) > 0 {
			var names []string
			for b := range pdbs {
				names = append(names, b)
			}
			sort.Strings(names)
			what = "PDB " + strings.Join(names, ", ")
		}
		out = append(out, fmt.Sprintf("the drain of node %s is refused by %s (pods %s)", n.Name, what, strings.Join(pods, ", ")))
	}
	if n := c.w.PendingPods(); n > 0 {
		out = append(out, fmt.Sprintf("%d pod(s) pending: no schedulable node fits them", n))
	}
	if c.w.Effects.ProvisionFails > 0 {
		out = append(out, "new machines fail to provision")
	}
	for _, n := range c.w.Nodes {
		m := c.machines[n]
		if n.Deleting && !m.drainDone && !n.Gone && podsLeft(n) > 0 && !n.Reachable() {
			out = append(out, fmt.Sprintf("the drain of node %s waits for pods its kubelet cannot reach", n.Name))
		}
	}
	return out
}

// Waiting describes what a rollout waits for now, for the message of a phase that timed out.
func (c *Controllers) Waiting(poolName string) string {
	var list []*world.Node
	want := c.cpVersion
	what := "control plane"
	if poolName == "" {
		list = c.w.CPNodes
	} else {
		what = "pool " + poolName
		for _, p := range c.pools {
			if p.name == poolName {
				want = p.version
			}
		}
		for _, n := range c.w.Workers {
			if n.Pool == poolName {
				list = append(list, n)
			}
		}
	}
	var at, old int
	var provisioning, deleting []string
	for _, n := range list {
		switch {
		case n.Gone:
		case n.Deleting:
			what := "being deleted"
			if m := c.machines[n]; m != nil && !m.drainDone && n.Role == model.RoleWorker {
				what = "draining"
			}
			deleting = append(deleting, fmt.Sprintf("machine %s %s", n.Name, what))
		case n.Version != want:
			old++
		case !n.Ready:
			state := "provisioning, not yet Ready"
			if n.Up {
				state = "joining, not yet Ready"
			}
			provisioning = append(provisioning, fmt.Sprintf("machine %s %s", n.Name, state))
		default:
			at++
		}
	}
	parts := []string{fmt.Sprintf("%s: %d machine(s) Ready at %s, %d old", what, at, want, old)}
	parts = append(parts, provisioning...)
	return strings.Join(append(parts, deleting...), "; ")
}

func (c *Controllers) zoneFor(p *pool, i int) string {
	zones := c.w.Sc.Spec.Cluster.Zones
	if p != nil {
		zones = p.spec.Zones
	}
	return zones[i%len(zones)]
}

// The controllers' events at instants of their own (world.CtlEvent's Kind).
const (
	evProvisioned uint8 = iota // a machine's infrastructure is up: world.CtlEvent.Node
	evDrainRetry               // a drain is requeued: Ref is the *machine
	evDeleteInfra              // a drained machine's infrastructure is deleted: Node
	evNodeDeleted              // the Node of a deleted machine goes: Node
	evSettled                  // nodes that joined settled (settling): At
)

// after schedules one of the controllers' events d from now.
func (c *Controllers) after(d time.Duration, e world.CtlEvent) { c.w.CtlAt(c.w.Clock.Now()+d, e) }

// Event runs one of the controllers' events (world.Hooks.CtlEvent).
func (c *Controllers) Event(e world.CtlEvent) {
	switch e.Kind {
	case evProvisioned:
		c.provisioned(e.Node)
	case evDrainRetry:
		c.drain(e.Ref.(*machine))
	case evDeleteInfra:
		c.deleteInfra(e.Node)
	case evNodeDeleted:
		c.nodeDeleted(e.Node)
	case evSettled:
		delete(c.settleWake, e.At)
		c.w.Wake()
	}
}

// newMachine makes a machine in machineRoom, or in a new room when it is full: a machine
// stays where it was made.
func (c *Controllers) newMachine(m machine) *machine {
	if len(c.machineRoom) == cap(c.machineRoom) {
		c.machineRoom = make([]machine, 0, max(8, cap(c.machineRoom)))
	}
	c.machineRoom = append(c.machineRoom, m)
	return &c.machineRoom[len(c.machineRoom)-1]
}
