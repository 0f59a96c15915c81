package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Epoch is the instant every simulated run starts at, so that reports do not depend on when
// they were made.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// info is the simulator's entry in the provider registry: the default provider, on a virtual
// clock, injecting every fault kind that has an injector here.
var info = harness.Register(harness.ProviderInfo{
	Name:    "sim",
	Default: true,
	Summary: "the deterministic simulator: no Docker, a virtual clock, the same report for the same scenario and seed",
	Clock:   harness.Clock{Virtual: true, Epoch: Epoch},
	Injects: func(k faults.Kind) bool { return injectors[k] != nil },
	New:     func(harness.Settings) (harness.Provider, error) { return NewProvider(), nil },
})

// Provider is the simulator provider.
type Provider struct{}

// NewProvider returns the simulator provider.
func NewProvider() *Provider { return &Provider{} }

// Info implements harness.Provider.
func (*Provider) Info() *harness.ProviderInfo { return info }

// Create implements harness.Provider: it builds the cluster at the scenario's "from" version with
// every workload running and Ready, as if it had been up for a while.
func (*Provider) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	return New(in.Scenario, in.Recorder)
}

// Cluster is a simulated cluster. It implements harness.Cluster; it is single threaded and
// deterministic: the same scenario and seed give the same records.
type Cluster struct {
	sc    *scenarios.Scenario
	cal   scenarios.Calibration
	rec   model.Recorder
	rng   *rand.Rand
	src   *rand.PCG
	clock clock
	name  string
	lags  [buckets]time.Duration
	err   error // the first recorder error

	nodes     []*node
	cpNodes   []*node
	workers   []*node
	pools     []*pool
	workloads []*workload
	pdbs      []*pdb
	pending   []*pod
	cpSeq     int

	edge, apiLB lbSet
	lbDirty     bool
	apiUp       bool
	apiDownAt   time.Duration
	apiDownMsg  string

	cpVersion  string
	poolTurn   int // index of the pool being rolled; len(pools) when none
	stepTarget string
	woken      bool
	settling   bool // building the initial state: nothing is recorded

	traffic     traffic
	podsCreated int
	faults      faultState
}

// New builds a simulated cluster for a scenario.
func New(sc *scenarios.Scenario, rec model.Recorder) (*Cluster, error) {
	seed := uint64(*sc.Spec.Seed)
	src := rand.NewPCG(seed, seed^0x5a17_c0de)
	c := &Cluster{
		sc: sc, cal: *sc.Spec.Calibration, rec: rec, src: src, rng: rand.New(src),
		name: sc.Metadata.Name, cpVersion: sc.Spec.Versions.From,
		apiLB: lbSet{api: true}, apiUp: true, settling: true,
	}
	spread := c.cal.ProxySyncMax.Duration - c.cal.ProxySyncMin.Duration
	for b := range c.lags {
		c.lags[b] = c.cal.ProxySyncMin.Duration + time.Duration((float64(b)+0.5)/buckets*float64(spread))
	}
	from := sc.Spec.Versions.From
	for i := 0; i < int(*sc.Spec.Cluster.ControlPlane.Replicas); i++ {
		c.createMachine(nil, c.zoneFor(nil, i), from, true)
	}
	for i := range sc.Spec.Cluster.WorkerPools {
		ps := &sc.Spec.Cluster.WorkerPools[i]
		replicas := int(*ps.Replicas)
		surge, err := intstr.GetScaledValueFromIntOrPercent(ps.MaxSurge, replicas, true)
		if err != nil {
			return nil, fmt.Errorf("spec.cluster.workerPools[%d].maxSurge: %w", i, err)
		}
		unavailable, err := intstr.GetScaledValueFromIntOrPercent(ps.MaxUnavailable, replicas, false)
		if err != nil {
			return nil, fmt.Errorf("spec.cluster.workerPools[%d].maxUnavailable: %w", i, err)
		}
		p := &pool{idx: i, name: ps.Name, spec: ps, replicas: replicas, maxSurge: surge,
			maxUnavailable: unavailable, drainTimeout: ps.NodeDrainTimeout.Duration, version: from}
		c.pools = append(c.pools, p)
		for j := 0; j < replicas; j++ {
			c.createMachine(p, c.zoneFor(p, j), from, true)
		}
	}
	c.poolTurn = len(c.pools)
	targets := map[string]bool{}
	for _, t := range sc.Spec.Load.Targets {
		targets[t] = true
	}
	for i := range sc.Spec.Workloads {
		ws := &sc.Spec.Workloads[i]
		w := &workload{
			idx: i, name: ws.Name, spec: ws, replicas: int(*ws.Replicas),
			cpu: ws.Requests.CPU.MilliValue(), mem: ws.Requests.Memory.Value(),
			target: targets[ws.Name], perZone: map[string]int{},
		}
		c.workloads = append(c.workloads, w)
	}
	byName := map[string]*workload{}
	for _, w := range c.workloads {
		byName[w.name] = w
	}
	for _, w := range c.workloads {
		ps := w.spec.PDB
		if ps == nil {
			continue
		}
		b := &pdb{name: ps.Name, spec: ps}
		if !ps.SelectsNothing {
			b.workloads = append(b.workloads, w)
			for _, other := range ps.ExtraSelects {
				b.workloads = append(b.workloads, byName[other])
			}
		}
		c.pdbs = append(c.pdbs, b)
		for _, sel := range b.workloads {
			sel.pdbs = append(sel.pdbs, b)
		}
	}
	c.startWorkloads()
	c.lbDirty = true
	c.arm()
	c.armFaults("") // faults timed from the start of the run
	return c, c.err
}

// startWorkloads places every workload's pods at once, Ready and serving, and settles the
// cluster: the upgrade starts from a steady state.
func (c *Cluster) startWorkloads() {
	for _, w := range c.workloads {
		c.reconcileReplicas(w)
	}
	// Run the cluster until everything settled (bounded: pods, endpoints and health checks all
	// settle within a few minutes of virtual time).
	settle := 10 * time.Minute
	for c.clock.step(settle) {
	}
	c.clock.now = 0
	for _, e := range c.clock.queue {
		e.at = 0
	}
	c.clock.queue = c.clock.queue[:0]
	for _, n := range c.nodes {
		n.created = 0
	}
	for _, w := range c.workloads {
		for _, p := range w.active {
			p.created, p.readyAt = 0, 0
		}
	}
	c.settling = false
}

// arm starts the periodic state samples.
func (c *Cluster) arm() {
	var tick func()
	tick = func() {
		c.stateSample()
		c.clock.after(c.cal.StateInterval.Duration, tick)
	}
	c.clock.at(0, tick)
}

func (c *Cluster) record(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

// wake asks the controllers to reconcile once the current instant's events are done.
func (c *Cluster) wake() {
	if c.woken {
		return
	}
	c.woken = true
	c.clock.after(0, func() {
		c.woken = false
		c.reconcile()
	})
}

// reconcile runs the Cluster API controllers and the ReplicaSet controller.
func (c *Cluster) reconcile() {
	c.reconcileControlPlane()
	if c.poolTurn < len(c.pools) {
		p := c.pools[c.poolTurn]
		c.reconcilePool(p)
		if c.machinesAt(p, p.version) {
			// The topology controller moves to the next MachineDeployment.
			c.poolTurn++
			c.startPoolTurn()
		}
	} else if c.stepTarget != "" && c.poolTurn == len(c.pools) && c.machinesAt(nil, c.stepTarget) && c.pools != nil && c.pools[0].version != c.stepTarget {
		c.poolTurn = 0
		c.startPoolTurn()
	}
	for _, w := range c.workloads {
		c.reconcileReplicas(w)
	}
}

func (c *Cluster) startPoolTurn() {
	if c.poolTurn < len(c.pools) {
		p := c.pools[c.poolTurn]
		p.version = c.stepTarget
		c.reconcilePool(p)
	}
}

// apiChanged records API availability changes in the timeline.
func (c *Cluster) apiChanged() {
	c.flush()
	c.lbDirty = true
	fail, msg := c.apiFail()
	up := fail < 1
	if up == c.apiUp {
		return
	}
	c.apiUp = up
	if !up {
		c.apiDownAt = c.clock.now
		c.apiDownMsg = msg
		return
	}
	c.interval(model.Error, model.Locator{Cluster: c.name}, model.ReasonAPIUnavailable,
		"Kubernetes API unavailable: "+c.apiDownMsg, c.apiDownAt, c.clock.now)
}

// Now implements harness.Cluster.
func (c *Cluster) Now() time.Duration { return c.clock.now }

// advance runs events until done reports true or until passes. It reports whether done held.
func (c *Cluster) advance(ctx context.Context, until time.Duration, done func() bool) (bool, error) {
	for i := 0; ; i++ {
		if done != nil && done() {
			c.flush()
			return true, c.err
		}
		if i%4096 == 0 && ctx.Err() != nil {
			c.flush()
			return false, ctx.Err()
		}
		if !c.clock.step(until) {
			break
		}
	}
	if c.clock.now < until {
		c.clock.now = until
	}
	c.flush()
	return done != nil && done(), c.err
}

// Pass implements harness.Cluster.
func (c *Cluster) Pass(ctx context.Context, d time.Duration) error {
	_, err := c.advance(ctx, c.clock.now+d, nil)
	return err
}

// SetVersion implements harness.Cluster: the topology controller rolls the control plane first,
// then each MachineDeployment in turn.
func (c *Cluster) SetVersion(ctx context.Context, version string) error {
	c.stepTarget = version
	c.cpVersion = version
	c.poolTurn = len(c.pools)
	c.wake()
	return nil
}

// Await implements harness.Cluster.
func (c *Cluster) Await(ctx context.Context, m harness.Milestone, timeout time.Duration) error {
	var p *pool
	if m.Pool != "" {
		for _, q := range c.pools {
			if q.name == m.Pool {
				p = q
			}
		}
		if p == nil {
			return fmt.Errorf("no worker pool %q", m.Pool)
		}
	}
	if timeout < 0 {
		timeout = 0
	}
	done := func() bool { return c.machinesAt(p, m.Version) }
	if m.WorkloadsReady {
		done = c.workloadsReady
	}
	ok, err := c.advance(ctx, c.clock.now+timeout, done)
	if err != nil {
		return err
	}
	if !ok {
		return harness.ErrDeadline
	}
	return nil
}

// StartPhase implements harness.Cluster: faults timed to the phase are armed.
func (c *Cluster) StartPhase(ctx context.Context, phase model.PhaseName) error {
	c.armFaults(phase)
	return nil
}

// StartLoad implements harness.Cluster.
func (c *Cluster) StartLoad(ctx context.Context) error {
	l := &c.sc.Spec.Load
	pacer, err := loadgen.NewPacer(l)
	if err != nil {
		return fmt.Errorf("spec.load: %w", err)
	}
	t := &c.traffic
	*t = traffic{on: true, start: c.clock.now, last: c.clock.now, end: math.MaxInt64, pacer: pacer,
		timeout: l.Timeout.Duration, bin: bin{start: c.clock.now}}
	t.probe, err = loadgen.NewPacer(&scenarios.Load{Rate: ptr(1.0)})
	if err != nil {
		return err
	}
	if l.Duration != scenarios.UntilUpgradeDone {
		d, _ := time.ParseDuration(l.Duration)
		t.end = c.clock.now + d
	}
	byName := map[string]*workload{}
	for _, w := range c.workloads {
		byName[w.name] = w
	}
	for _, name := range l.Targets {
		for _, mode := range l.Connections {
			s := &stream{w: byName[name], mode: model.ConnMode(mode)}
			if s.mode == model.ConnReused {
				s.conns = make([]conn, reusedConns)
			}
			t.streams = append(t.streams, s)
		}
	}
	t.api = &stream{mode: model.ConnNew}
	return nil
}

func ptr[T any](v T) *T { return &v }

// StopLoad implements harness.Cluster.
func (c *Cluster) StopLoad(ctx context.Context) ([]model.StreamStats, error) {
	c.flush()
	t := &c.traffic
	if t.on {
		c.closeBin(c.clock.now)
	}
	t.on = false
	var out []model.StreamStats
	for _, s := range append(append([]*stream(nil), t.streams...), t.api) {
		if s == nil {
			continue
		}
		target := model.APITarget
		if s.w != nil {
			target = s.w.name
		}
		// The simulator never falls behind its pacer and loses no sample.
		out = append(out, model.StreamStats{Target: target, Conn: s.mode, Planned: s.sent, Sent: s.sent, Recorded: s.sent})
	}
	return out, c.err
}

// Close implements harness.Cluster: intervals still open (a stall at the deadline, the API
// down) are closed at the current instant.
func (c *Cluster) Close(ctx context.Context) error {
	var open []*pod
	for _, n := range c.nodes {
		for p := range n.drainBlocked {
			open = append(open, p)
		}
	}
	sort.Slice(open, func(i, j int) bool { return open[i].name < open[j].name })
	for _, p := range open {
		c.closeStalls(p)
	}
	if !c.apiUp {
		c.interval(model.Error, model.Locator{Cluster: c.name}, model.ReasonAPIUnavailable,
			"Kubernetes API unavailable: "+c.apiDownMsg, c.apiDownAt, c.clock.now)
	}
	c.closeFaults()
	return c.err
}

// SnapshotEtcd implements harness.Cluster. The simulator records the snapshot (size from the
// number of objects) and marks it verified when etcd has quorum.
func (c *Cluster) SnapshotEtcd(ctx context.Context) (*model.EtcdSnapshot, error) {
	objects := int64(len(c.nodes) + c.podsCreated + len(c.workloads)*3 + len(c.pdbs))
	snap := &model.EtcdSnapshot{
		Path:     fmt.Sprintf("sim://%s/etcd-snapshot-%d.db", c.name, c.clock.now/time.Second),
		Size:     2<<20 + objects*2048,
		Revision: int64(c.clock.events) + objects,
		Verified: c.etcdQuorum(),
		TakenAt:  c.clock.now,
	}
	c.instant(model.Info, model.Locator{Cluster: c.name}, model.ReasonEtcdSnapshot,
		fmt.Sprintf("etcd snapshot %s (%d bytes, revision %d, verified %v)", snap.Path, snap.Size, snap.Revision, snap.Verified))
	return snap, c.err
}

// Inventory implements harness.Cluster.
func (c *Cluster) Inventory(ctx context.Context) (*model.Inventory, error) {
	return c.inventory(), c.err
}

// workloadsReady reports whether every workload has its desired count of Ready pods.
func (c *Cluster) workloadsReady() bool {
	for _, w := range c.workloads {
		if w.readyCount < w.replicas {
			return false
		}
	}
	return true
}
