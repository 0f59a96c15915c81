// Package world is the Kubernetes side of the simulated cluster: nodes, pods, workloads, PDBs,
// the scheduler, the ReplicaSet and node lifecycle controllers, the eviction API,
// EndpointSlices and every node's kube-proxy view, and the load balancers in front of the
// workers and the apiservers. The Cluster API controllers (package capi) and the load (package
// traffic) act on it; hooks let it call them back.
package world

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/harness/sim/internal/des"
	"github.com/zdt-dev/zdt/harness/sim/internal/reuse"
	"github.com/zdt-dev/zdt/harness/sim/internal/sched"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// Hooks are what the world calls back: the load, before every change that can change routing,
// and when a pod's process stops or its object goes; the controllers, when something changed.
type Hooks struct {
	// Flush emits the requests sent since the last change, under the routing that held.
	Flush func()
	// PodStopped is called when a pod's process exits: gracefully (kept-alive connections are
	// closed cleanly) or not (requests in flight are reset).
	PodStopped func(p *Pod, graceful bool)
	// PodGone is called when a pod object is removed.
	PodGone func(p *Pod)
	// Reconcile runs the Cluster API controllers, before the ReplicaSet controller.
	Reconcile func()
	// CtlEvent runs an event of the controllers that came (World.CtlAt).
	CtlEvent func(CtlEvent)
}

// CtlEvent is an event of the Cluster API controllers at an instant of its own, held by the
// world's clock without a closure: what it means is the controllers' (Kind), about a node, a
// thing of theirs (Ref, a pointer) or an instant.
type CtlEvent struct {
	Kind uint8
	Node *Node
	Ref  any
	At   time.Duration
}

// CtlAt schedules a controllers' event at instant at (never in the past): Hooks.CtlEvent then
// runs it.
func (c *World) CtlAt(at time.Duration, e CtlEvent) { c.ctlTimer.At(at, e) }

// World is the simulated cluster's Kubernetes side. It is single threaded and deterministic:
// the same scenario and seed give the same records.
type World struct {
	Sc  *scenarios.Scenario
	Cal calibration.Calibration
	rec model.Recorder
	// noNodeVersions says the recorder reads no state sample's NodesByVersion
	// (model.NodeVersionsSkipper): stateSample leaves it nil.
	noNodeVersions bool
	// probes is the recorder as a model.ProbeCounter, nil when it is none.
	probes model.ProbeCounter
	Rng    *rand.Rand
	Src    *rand.PCG
	Clock  des.Clock
	// Name is the cluster's name in locators.
	Name  string
	Hooks Hooks
	lags  [Buckets]time.Duration
	// The endpointslice controller's and every kube-proxy bucket's fixed delays, as lanes of
	// the clock (des.Lane).
	endpointLane *des.Lane[*Pod]
	lastState    stateScratch
	// nodeEpoch counts the calls of NodeChanged: what is made of the nodes' states holds
	// while it stays.
	nodeEpoch  uint64
	proxyLanes [Buckets]*des.Lane[viewChange]
	err        error          // the first recorder error
	interval   model.Interval // handed to the recorder (Interval)
	// violation is the first broken invariant (invariants.go).
	violation error

	Nodes   []*Node
	CPNodes []*Node
	Workers []*Node
	// live is Workers without the gone ones, in the same order, for the scheduler; nil when a
	// worker was added or went since it was made.
	live []*Node
	// liveRoom is the room live is made in.
	liveRoom []*Node
	// sched is kube-scheduler's view of the nodes (NodeChanged keeps it) and of live.
	sched sched.Scheduler
	// zones numbers the nodes' zones in the order they were met (Node.zone).
	zones     map[string]int32
	Workloads []*Workload
	PDBs      []*PDB
	pending   []*Pod

	Edge, APILB LBSet
	// LBDirty is set when a load balancer changed: cached routes are stale.
	LBDirty   bool
	APIUp     bool
	apiDownAt time.Duration
	// apiDownSum is how long the API was unavailable, outages that ended (APIDownSoFar).
	apiDownSum time.Duration
	apiDownMsg string
	apiFail    allFailMemo // APIFail's
	// entries and delayPods are EdgeEntries' and NewConnDelays' scratch.
	entries   []*Node
	delayPods []*Pod

	woken bool
	// reconcileFn is reconcile, made once; scheduleLane takes new pods to the scheduler.
	reconcileFn  func()
	scheduleLane *des.Lane[podGen]
	// syncLane holds what the kubelets do a sync later; startLane and pullStartLane the
	// containers they start (pullStartLane after pulling the image first).
	syncLane                 *des.Lane[syncEvent]
	startLane, pullStartLane *des.Lane[podGen]
	// podTimer holds the pods' events at instants of their own (podEvent).
	podTimer *des.Timer[podEvent]
	// nodeTimer holds the nodes' events at instants of their own (nodeEvent).
	nodeTimer *des.Timer[nodeEvent]
	// ctlTimer holds the Cluster API controllers' events (CtlEvent).
	ctlTimer *des.Timer[CtlEvent]
	// Settling is set while the initial state is built: nothing is recorded.
	Settling bool
	// CuttingShort is set while the run stops: every interval recorded then had not ended by
	// itself and is marked cut short.
	CuttingShort bool
	PodsCreated  int
	Effects      Effects
	// made are the pods made in this world (Release recycles them); sparePods, spareNodes and
	// spareWorkloads what the worlds before left, for this one's to be made in.
	made           []*Pod
	sparePods      []*Pod
	spareNodes     []*Node
	spareWorkloads []*Workload
	// Names are the strings made from names, kept from world to world (off for a large
	// cluster).
	Names reuse.Names
	// large is set for a cluster of more than largePods pods: it keeps no names and is not
	// pooled (Release).
	large bool
}

// worlds holds the worlds of closed clusters (Release) for the next ones: a sweep's runs are
// alike, so what a run's world allocated (its clock's queue and lanes, the scheduler's classes,
// its lists) fits the next.
var worlds = sync.Pool{New: func() any { return new(World) }}

// largePods is the size from which a cluster keeps no names and is not pooled: its pods are
// many and made once each, and keeping them cost more than it saved.
const largePods = 2500

// Release hands the world back for another cluster's: nothing may use it, its nodes or its pods
// afterwards. What it kept is what no record handed to the recorder shares.
func (c *World) Release() {
	if c.large {
		// A large cluster is seldom run twice in a process, and its thousands of pods would
		// cost as much to empty as to make: it is left to the collector.
		*c = World{}
		return
	}
	c.Clock.Reset()
	c.sched.Reset()
	for _, p := range c.made {
		*p = Pod{}
		c.sparePods = append(c.sparePods, p)
	}
	for _, n := range c.Nodes {
		if n.staticPods != nil {
			*n.staticPods = [len(StaticPods)]string{}
		}
		*n = Node{Pods: reuse.Emptied(n.Pods), staticPods: n.staticPods}
		c.spareNodes = append(c.spareNodes, n)
	}
	for _, w := range c.Workloads {
		views := w.Views
		for b := range views {
			views[b] = View{Ready: reuse.Emptied(views[b].Ready), Term: reuse.Emptied(views[b].Term)}
		}
		*w = Workload{Views: views, Active: reuse.Emptied(w.Active), perNode: reuse.Zeroed(w.perNode), perZone: reuse.Zeroed(w.perZone),
			PDBs: reuse.Emptied(w.PDBs), ansDirty: reuse.Emptied(w.ansDirty)}
		c.spareWorkloads = append(c.spareWorkloads, w)
	}
	st := &c.lastState
	*c = World{
		Clock: c.Clock, sched: c.sched, Src: c.Src, Rng: c.Rng,
		proxyLanes: c.proxyLanes, endpointLane: c.endpointLane, scheduleLane: c.scheduleLane,
		syncLane: c.syncLane, startLane: c.startLane, pullStartLane: c.pullStartLane, podTimer: c.podTimer,
		nodeTimer: c.nodeTimer, ctlTimer: c.ctlTimer,
		Nodes: reuse.Emptied(c.Nodes), CPNodes: reuse.Emptied(c.CPNodes), Workers: reuse.Emptied(c.Workers),
		Workloads: reuse.Emptied(c.Workloads), PDBs: reuse.Emptied(c.PDBs), pending: reuse.Emptied(c.pending),
		entries: reuse.Emptied(c.entries), delayPods: reuse.Emptied(c.delayPods), liveRoom: reuse.Emptied(c.liveRoom),
		lastState: stateScratch{scratch: st.scratch[:0], versions: st.versions[:0],
			lastVersions: st.lastVersions[:0], checked: st.checked[:0]},
		made: reuse.Emptied(c.made), sparePods: c.sparePods, spareNodes: c.spareNodes, spareWorkloads: c.spareWorkloads,
		Names: c.Names,
	}
	worlds.Put(c)
}

// newWorkload is a workload made in what a released world left, its lists' room kept.
func (c *World) newWorkload(w Workload) *Workload {
	wl := reuse.Take(&c.spareWorkloads)
	w.Views, w.Active, w.perNode, w.perZone, w.PDBs, w.ansDirty = wl.Views, wl.Active, wl.perNode, wl.perZone, wl.PDBs, wl.ansDirty
	*wl = w
	return wl
}

// New builds the world of a scenario: its workloads and PDBs, no node yet.
func New(sc *scenarios.Scenario, rec model.Recorder) *World {
	seed := uint64(*sc.Spec.Seed)
	w := worlds.Get().(*World)
	if w.Src == nil {
		w.Src = rand.NewPCG(seed, seed^0x5a17_c0de)
		w.Rng = rand.New(w.Src)
	} else {
		w.Src.Seed(seed, seed^0x5a17_c0de) // a released world's source, started anew
	}
	w.Sc, w.Cal, w.rec = sc, *sc.Spec.Calibration, rec
	pods := 0
	for _, ws := range sc.Spec.Workloads {
		pods += int(*ws.Replicas)
	}
	w.large = pods > largePods
	w.Names.Off = w.large
	w.Name, w.APILB, w.APIUp, w.Settling = sc.Metadata.Name, LBSet{API: true}, true, true
	if s, ok := rec.(model.NodeVersionsSkipper); ok {
		w.noNodeVersions = s.SkipsNodeVersions()
	}
	w.probes, _ = rec.(model.ProbeCounter)
	spread := w.Cal.ProxySyncMax.Duration - w.Cal.ProxySyncMin.Duration
	for b := range w.lags {
		w.lags[b] = w.Cal.ProxySyncMin.Duration + time.Duration((float64(b)+0.5)/Buckets*float64(spread))
	}
	if w.endpointLane != nil {
		// A released world's lanes, whose handlers are this world's.
		for b, l := range w.proxyLanes {
			l.SetDelay(w.lags[b])
		}
		w.endpointLane.SetDelay(w.Cal.EndpointSync.Duration)
		w.scheduleLane.SetDelay(w.Cal.SchedulerDelay.Duration)
		w.syncLane.SetDelay(w.Cal.KubeletSync.Duration)
		w.startLane.SetDelay(w.Cal.ContainerStart.Duration)
		w.pullStartLane.SetDelay(w.Cal.ContainerStart.Duration + w.Cal.ImagePull.Duration)
		w.reconcileFn = w.reconcile
		return w
	}
	for b := range w.lags {
		w.proxyLanes[b] = des.NewLane(&w.Clock, w.lags[b], func(v viewChange) { w.applyView(v.p, b, v.ep) })
	}
	w.endpointLane = des.NewLane(&w.Clock, w.Cal.EndpointSync.Duration, w.endpointSynced)
	w.scheduleLane = des.NewLane(&w.Clock, w.Cal.SchedulerDelay.Duration, func(v podGen) {
		if v.p.Gen == v.gen {
			w.schedule(v.p)
		}
	})
	w.syncLane = des.NewLane(&w.Clock, w.Cal.KubeletSync.Duration, w.synced)
	w.startLane = des.NewLane(&w.Clock, w.Cal.ContainerStart.Duration, w.containerStarting)
	w.pullStartLane = des.NewLane(&w.Clock, w.Cal.ContainerStart.Duration+w.Cal.ImagePull.Duration, w.containerStarting)
	w.podTimer = des.NewTimer(&w.Clock, w.podEventRan)
	w.nodeTimer = des.NewTimer(&w.Clock, w.nodeEventRan)
	w.ctlTimer = des.NewTimer(&w.Clock, func(e CtlEvent) { w.Hooks.CtlEvent(e) })
	w.reconcileFn = w.reconcile
	return w
}

// AddWorkloads creates the scenario's workloads and PDBs (no pod yet).
func (c *World) AddWorkloads() {
	sc := c.Sc
	targets := map[string]bool{}
	for _, t := range sc.Spec.Load.Targets {
		targets[t] = true
	}
	for i := range sc.Spec.Workloads {
		ws := &sc.Spec.Workloads[i]
		wl := c.newWorkload(Workload{
			idx: i, Name: ws.Name, Spec: ws, Replicas: int(*ws.Replicas),
			CPU: ws.Requests.CPU.MilliValue(), Mem: ws.Requests.Memory.Value(),
			Target: targets[ws.Name],
		})
		// A view holds the workload's ready pods and a few more while they are replaced.
		for b := range wl.Views {
			if cap(wl.Views[b].Ready) < wl.Replicas+2 {
				wl.Views[b].Ready = make([]*Pod, 0, wl.Replicas+2)
			}
		}
		c.Workloads = append(c.Workloads, wl)
	}
	byName := map[string]*Workload{}
	for _, wl := range c.Workloads {
		byName[wl.Name] = wl
	}
	for _, wl := range c.Workloads {
		ps := wl.Spec.PDB
		if ps == nil {
			continue
		}
		b := &PDB{Name: ps.Name, Spec: ps}
		if !ps.SelectsNothing {
			b.Workloads = append(b.Workloads, wl)
			for _, other := range ps.ExtraSelects {
				b.Workloads = append(b.Workloads, byName[other])
			}
		}
		c.PDBs = append(c.PDBs, b)
		for _, sel := range b.Workloads {
			sel.PDBs = append(sel.PDBs, b)
		}
	}
}

// AddSystemWorkloads adds the kube-system Deployment every kubeadm cluster runs: CoreDNS, whose
// pods start on the control plane (the first nodes Ready) and move wherever the drains push
// them. The DaemonSets (kube-proxy, the CNI's agent) are modeled per node (DaemonsReady).
func (c *World) AddSystemWorkloads() {
	ws := scenarios.CoreDNS()
	c.Workloads = append(c.Workloads, c.newWorkload(Workload{
		idx: len(c.Workloads), Name: ws.Name, Spec: &ws, Replicas: int(*ws.Replicas),
		CPU: ws.Requests.CPU.MilliValue(), Mem: ws.Requests.Memory.Value(), System: true,
	}))
}

// Settle places every workload's pods, Ready and serving, and runs the cluster until it has
// settled: the upgrade starts from a steady state at instant 0.
func (c *World) Settle() {
	for _, wl := range c.Workloads {
		c.ReconcileReplicas(wl)
	}
	// Run the cluster until everything settled (bounded: pods, endpoints and health checks all
	// settle within a few minutes of virtual time).
	settle := 10 * time.Minute
	for c.Clock.Step(settle) {
	}
	c.Clock.Restart()
	for _, n := range c.Nodes {
		n.Created, n.JoinedAt = 0, 0
	}
	for _, wl := range c.Workloads {
		for _, p := range wl.Active {
			p.Created, p.ReadyAt = 0, 0
		}
		wl.Route.Dirty = true
	}
	c.Settling = false
	c.LBDirty = true
}

// ArmStates starts the periodic state samples.
func (c *World) ArmStates() {
	var tick func()
	tick = func() {
		c.stateSample()
		c.Clock.After(c.Cal.StateInterval.Duration, tick)
	}
	c.Clock.At(0, tick)
}

// NodeEpoch counts the changes of nodes (NodeChanged): what is made of the nodes' states
// holds while it stays.
func (c *World) NodeEpoch() uint64 { return c.nodeEpoch }

// Err returns the first broken invariant, or else the first error the recorder returned.
func (c *World) Err() error {
	if c.violation != nil {
		return c.violation
	}
	return c.err
}

// Record keeps the first recorder error.
func (c *World) Record(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// Flush has the load emit the requests sent so far: every change that can change routing
// calls it first.
func (c *World) Flush() {
	if c.Hooks.Flush != nil {
		c.Hooks.Flush()
	}
}

// Wake asks the controllers to reconcile once the current instant's events are done.
func (c *World) Wake() {
	if c.woken {
		return
	}
	c.woken = true
	c.Clock.After(0, c.reconcileFn)
}

// reconcile runs the controllers Wake asked for.
func (c *World) reconcile() {
	c.woken = false
	if c.Hooks.Reconcile != nil {
		c.Hooks.Reconcile()
	}
	for _, wl := range c.Workloads {
		c.ReconcileReplicas(wl)
	}
}

// APIChanged records API availability changes in the timeline.
func (c *World) APIChanged() {
	c.Flush()
	c.LBDirty = true
	fail, msg := c.APIFail()
	up := fail < 1
	if up == c.APIUp {
		return
	}
	c.APIUp = up
	if !up {
		c.apiDownAt = c.Clock.Now()
		c.apiDownMsg = msg
		return
	}
	c.apiDownSum += c.Clock.Now() - c.apiDownAt
	c.Interval(model.Error, model.Locator{Cluster: c.Name}, model.ReasonAPIUnavailable,
		"Kubernetes API unavailable: "+c.apiDownMsg, c.apiDownAt, c.Clock.Now())
}

// APIDownSoFar is how long the API has been unavailable since the cluster was built, the
// outage in progress included.
func (c *World) APIDownSoFar() time.Duration {
	if c.APIUp {
		return c.apiDownSum
	}
	return c.apiDownSum + c.Clock.Now() - c.apiDownAt
}

// CloseAPIUnavailable closes an API unavailability still open when the run stops.
func (c *World) CloseAPIUnavailable() {
	if !c.APIUp {
		c.Interval(model.Error, model.Locator{Cluster: c.Name}, model.ReasonAPIUnavailable,
			"Kubernetes API unavailable: "+c.apiDownMsg, c.apiDownAt, c.Clock.Now())
	}
}

// WorkloadsReady reports whether every workload has its desired count of Ready pods.
func (c *World) WorkloadsReady() bool {
	for _, wl := range c.Workloads {
		if !wl.System && wl.ReadyCount < wl.Replicas {
			return false
		}
	}
	return true
}

// PendingPods counts the pods no node fits.
func (c *World) PendingPods() int {
	n := 0
	for _, p := range c.pending {
		if !p.Bound && !p.Gone && !p.Terminating {
			n++
		}
	}
	return n
}

// Workload returns the workload of a name, or nil.
func (c *World) Workload(name string) *Workload {
	for _, wl := range c.Workloads {
		if wl.Name == name && !wl.System {
			return wl
		}
	}
	return nil
}

// LocNode is the locator of a node (and its machine).
func LocNode(n *Node) model.Locator {
	return model.Locator{Node: n.Name, Machine: n.Name, Pool: n.Pool}
}

// LocPod is the locator of a pod.
func LocPod(p *Pod) model.Locator {
	l := model.Locator{Workload: p.W.Name, Pod: p.Name}
	if p.Node != nil {
		l.Node = p.Node.Name
	}
	return l
}

// Interval records a timeline interval that has ended.
func (c *World) Interval(level model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration) {
	if c.Settling {
		return
	}
	// The recorder copies what it keeps: one interval is handed over every time.
	c.interval = model.Interval{Level: level, Locator: loc, Reason: reason, Message: msg, From: from, To: to, CutShort: c.CuttingShort}
	c.Record(c.rec.Interval(&c.interval))
}

// CloseOpenPods records the pods still terminating or not yet ready as the run stops.
func (c *World) CloseOpenPods() {
	now := c.Clock.Now()
	seen := map[*Pod]bool{}
	for _, n := range c.Nodes {
		for _, p := range n.Pods {
			seen[p] = true
			c.closeOpenPod(p, now)
		}
	}
	for _, p := range c.pending {
		if !seen[p] {
			c.closeOpenPod(p, now)
		}
	}
}

func (c *World) closeOpenPod(p *Pod, now time.Duration) {
	switch {
	case p.Gone:
	case p.Terminating && p.DeletedAt < now:
		c.Interval(model.Info, LocPod(p), model.ReasonPodTerminating, c.Names.Text(p.Name, " terminating, not yet gone"), p.DeletedAt, now)
	case !p.Terminating && !p.Ready && p.Created < now:
		c.Interval(model.Info, LocPod(p), model.ReasonPodNotReady, c.Names.Text(p.Name, " not ready"), p.Created, now)
	}
}

// Instant records an event that has no duration.
func (c *World) Instant(level model.Level, loc model.Locator, reason model.Reason, msg string) {
	c.Interval(level, loc, reason, msg, c.Clock.Now(), c.Clock.Now())
}

// Sample records a request sample.
func (c *World) Sample(s *model.Sample) { c.Record(c.rec.Sample(s)) }

// CountsProbes says that the recorder takes the API prober's answered probes in runs
// (model.ProbeCounter, see ProbesAnswered).
func (c *World) CountsProbes() bool { return c.probes != nil }

// ProbesAnswered records n answered probes of the API prober sent from first to last, for a
// recorder that CountsProbes.
func (c *World) ProbesAnswered(first, last time.Duration, n int64) {
	c.Record(c.probes.ProbesAnswered(first, last, n))
}

// SnapshotEtcd records the snapshot the preflight takes (size from the number of objects) and
// marks it verified when etcd has quorum.
func (c *World) SnapshotEtcd() *model.EtcdSnapshot {
	objects := int64(len(c.Nodes) + c.PodsCreated + len(c.Workloads)*3 + len(c.PDBs))
	now := c.Clock.Now()
	snap := &model.EtcdSnapshot{
		Path: fmt.Sprintf("sim://%s/etcd-snapshot-%d.db", c.Name, now/time.Second),
		Size: 2<<20 + objects*2048,
		// Every object was written a few times: created, scheduled, updated as it became Ready.
		Revision: objects*3 + int64(c.PodsCreated),
		Verified: c.EtcdQuorum(),
		TakenAt:  now,
	}
	c.Instant(model.Info, model.Locator{Cluster: c.Name}, model.ReasonEtcdSnapshot,
		fmt.Sprintf("etcd snapshot %s (%d bytes, revision %d, verified %v)", snap.Path, snap.Size, snap.Revision, snap.Verified))
	return snap
}
