package sim

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sim/internal/capi"
	"github.com/zdt-dev/zdt/harness/sim/internal/traffic"
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
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
	// StartingState: startingState sets up NotReady and cordoned nodes and older pools.
	StartingState: true,
	// ManagedStrategies: capi follows the EKS, AKS and GKE presets' numbers.
	ManagedStrategies: true,
	Flags: []harness.Flag{{Name: FlagSpeed,
		Usage: "run the virtual clock at most this many times faster than real time (10: a 5-minute upgrade takes 30 s), to watch a run or stop it in a given phase; the report is the same (default: as fast as possible)"}},
	New: func(s harness.Settings) (harness.Provider, error) {
		p := NewProvider()
		if v := s.String(FlagSpeed); v != "" {
			speed, err := strconv.ParseFloat(v, 64)
			if err != nil || speed <= 0 || math.IsInf(speed, 0) {
				return nil, fmt.Errorf("--%s %q: a factor greater than 0, e.g. 10", FlagSpeed, v)
			}
			p.Speed = speed
		}
		return p, nil
	},
})

// FlagSpeed is the simulator's pacing flag.
const FlagSpeed = "speed"

// Provider is the simulator provider.
type Provider struct {
	// Speed, when above 0, paces the virtual clock to at most Speed times real time.
	Speed float64
}

// NewProvider returns the simulator provider, as fast as it goes.
func NewProvider() *Provider { return &Provider{} }

// Info implements harness.Provider.
func (*Provider) Info() *harness.ProviderInfo { return info }

// Create implements harness.Provider: it builds the cluster at the scenario's "from" version with
// every workload running and Ready, as if it had been up for a while.
func (p *Provider) Create(ctx context.Context, in harness.CreateInput) (harness.Cluster, error) {
	c, err := New(in.Scenario, in.Recorder)
	if c != nil && p.Speed > 0 {
		c.speed, c.wallStart, c.virtStart = p.Speed, time.Now(), c.w.Clock.Now()
	}
	return c, err
}

// Cluster is a simulated cluster: the world of nodes and pods, the Cluster API controllers
// acting on it, the load and the injected faults. It implements harness.Cluster; it is single
// threaded and deterministic: the same scenario and seed give the same records.
type Cluster struct {
	sc     *scenarios.Scenario
	w      *world.World
	ctl    *capi.Controllers
	load   *traffic.Load
	faults []*activeFault
	// awaiting are the faults timed to an event that has not come yet.
	awaiting []*awaitedFault
	hit      []string // the nodes the fault being injected hit (onNodes)
	// speed paces the virtual clock against the wall clock from wallStart, virtStart (0: not).
	speed     float64
	wallStart time.Time
	virtStart time.Duration
	// inventories are the ones Inventory handed out, which Close puts back for other
	// clusters to reuse.
	inventories []*model.Inventory
}

// New builds a simulated cluster for a scenario.
func New(sc *scenarios.Scenario, rec model.Recorder) (*Cluster, error) {
	w := world.New(sc, rec)
	c := &Cluster{sc: sc, w: w}
	w.Hooks = world.Hooks{
		Flush: func() {
			if c.load != nil {
				c.load.Flush()
			}
		},
		PodStopped: func(p *world.Pod, graceful bool) {
			if c.load == nil {
				return
			}
			if graceful {
				c.load.DropConns(p)
			} else {
				c.load.BreakConns(p)
			}
		},
		PodGone: func(p *world.Pod) {
			c.ctl.PodGone(p)
			if c.load != nil {
				c.load.DropConns(p)
			}
		},
		Reconcile: func() { c.ctl.Reconcile() },
		CtlEvent:  func(e world.CtlEvent) { c.ctl.Event(e) },
	}
	ctl, err := capi.New(w)
	if err != nil {
		return nil, err
	}
	c.ctl = ctl
	ctl.OnEvent = c.onEvent
	w.AddWorkloads()
	w.AddSystemWorkloads()
	w.Settle()
	c.startingState()
	w.ArmStates()
	w.ArmInvariants()
	c.armFaults(model.PhaseRunStart) // faults timed from the start of the run
	return c, w.Err()
}

// startingState applies each pool's spec.cluster.workerPools[].start to the settled cluster: the
// pool's last nodes NotReady, the ones before them cordoned.
func (c *Cluster) startingState() {
	for _, ps := range c.sc.Spec.Cluster.WorkerPools {
		if ps.Start == nil {
			continue
		}
		var nodes []*world.Node
		for _, n := range c.w.Workers {
			if n.Pool == ps.Name {
				nodes = append(nodes, n)
			}
		}
		notReady, cordoned := int(ps.Start.NotReady), int(ps.Start.Cordoned)
		for i := len(nodes) - 1; i >= 0; i-- {
			switch {
			case notReady > 0:
				c.w.StartNotReady(nodes[i])
				notReady--
			case cordoned > 0:
				c.w.StartCordoned(nodes[i])
				cordoned--
			}
		}
	}
}

// pace waits until the wall clock has caught up with virtual instant t at the run's speed.
func (c *Cluster) pace(ctx context.Context, t time.Duration) error {
	// Sleep in steps of at most a tenth of a second, so that the load's samples and a Ctrl-C
	// come in as they would in real time.
	for now := c.w.Clock.Now(); t-now > time.Duration(0.1*float64(time.Second)*c.speed); {
		now += time.Duration(0.1 * float64(time.Second) * c.speed)
		if err := c.sleepUntil(ctx, now); err != nil {
			return err
		}
	}
	return c.sleepUntil(ctx, t)
}

// sleepUntil waits until the wall clock reaches virtual instant t at the run's speed.
func (c *Cluster) sleepUntil(ctx context.Context, t time.Duration) error {
	d := time.Until(c.wallStart.Add(time.Duration(float64(t-c.virtStart) / c.speed)))
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Now implements harness.Cluster.
func (c *Cluster) Now() time.Duration { return c.w.Clock.Now() }

// advance runs events until done reports true or until passes. It reports whether done held.
func (c *Cluster) advance(ctx context.Context, until time.Duration, done func() bool) (bool, error) {
	// ctx is looked at every 256 events and at least once a simulated second, so that a stop
	// lands within a second of where it was asked for.
	checked := c.w.Clock.Now()
	for i := 0; ; i++ {
		if done != nil && done() {
			c.w.Flush()
			if c.speed > 0 {
				if err := c.pace(ctx, c.w.Clock.Now()); err != nil {
					return false, err
				}
			}
			return true, c.w.Err()
		}
		if now := c.w.Clock.Now(); i%256 == 0 || now-checked >= time.Second {
			checked = now
			if ctx.Err() != nil {
				c.w.Flush()
				return false, ctx.Err()
			}
		}
		if !c.w.Clock.Step(until) {
			break
		}
		if c.speed > 0 {
			if err := c.pace(ctx, c.w.Clock.Now()); err != nil {
				c.w.Flush()
				return false, err
			}
		}
	}
	if c.speed > 0 {
		if err := c.pace(ctx, until); err != nil {
			c.w.Flush()
			return false, err
		}
	}
	c.w.Clock.AdvanceTo(until)
	c.w.Flush()
	return done != nil && done(), c.w.Err()
}

// Pass implements harness.Cluster.
func (c *Cluster) Pass(ctx context.Context, d time.Duration) error {
	_, err := c.advance(ctx, c.w.Clock.Now()+d, nil)
	return err
}

// SetVersion implements harness.Cluster: the topology controller rolls the control plane first,
// then each MachineDeployment in turn.
func (c *Cluster) SetVersion(ctx context.Context, version string) error {
	c.ctl.SetVersion(version)
	return nil
}

// Await implements harness.Cluster.
func (c *Cluster) Await(ctx context.Context, m harness.Milestone, timeout time.Duration) error {
	done, err := c.ctl.At(m.Pool, m.Version)
	if err != nil {
		return err
	}
	if m.WorkloadsReady {
		done = c.w.WorkloadsReady
	}
	if timeout < 0 {
		timeout = 0
	}
	ok, err := c.advance(ctx, c.w.Clock.Now()+timeout, done)
	if err != nil {
		if ctx.Err() != nil {
			return &harness.WaitError{Err: err, Waiting: c.waitingFor(m)}
		}
		return err
	}
	if msg := c.ctl.Failed(); msg != "" && !m.WorkloadsReady {
		return fmt.Errorf("%w: %s", harness.ErrUpgradeFailed, msg)
	}
	if ok {
		return nil
	}
	if m.WorkloadsReady {
		return harness.ErrDeadline
	}
	return c.stalled(m.Pool)
}

// waitingFor says what a milestone waits for now: the rollout's machines and what blocks it.
func (c *Cluster) waitingFor(m harness.Milestone) string {
	if m.WorkloadsReady {
		return "workloads back to their desired ready replicas"
	}
	w := c.ctl.Waiting(m.Pool)
	if b := c.ctl.Blockers(); len(b) > 0 {
		w += "; blocked: " + strings.Join(b, "; ")
	}
	return w
}

// stuckAfter is how long a rollout may go without moving before, with nothing blocking it, the
// simulator counts it as stuck: several times the longest step of a healthy rollout (a machine
// joining, a drain's requeue).
const stuckAfter = 10 * time.Minute

// stalled explains a rollout that missed its deadline: what blocks it, or that it was still
// moving. A rollout that stopped moving with nothing blocking it breaks the simulator's
// progress invariant: a harness error, never a verdict.
func (c *Cluster) stalled(pool string) error {
	blockers := c.ctl.Blockers()
	for _, a := range c.faults {
		if !a.ended {
			blockers = append(blockers, fmt.Sprintf("fault %s is still active (%s)", a.f.Name, a.msg))
		}
	}
	waiting := c.ctl.Waiting(pool)
	idle := c.w.Clock.Now() - c.ctl.ProgressAt()
	switch {
	case len(blockers) > 0:
		return fmt.Errorf("%w: %s; blocked: %s", harness.ErrDeadline, waiting, strings.Join(blockers, "; "))
	case idle < stuckAfter:
		return fmt.Errorf("%w: %s; still progressing (last change %s ago)", harness.ErrDeadline, waiting, idle.Round(time.Second))
	}
	return fmt.Errorf("simulator invariant broken at t+%s: the rollout made no progress for %s with nothing blocking it (%s)",
		c.w.Clock.Now(), idle.Round(time.Second), waiting)
}

// StartPhase implements harness.Cluster: faults timed to the phase are armed.
func (c *Cluster) StartPhase(ctx context.Context, phase model.PhaseName) error {
	c.armFaults(phase)
	return nil
}

// StartLoad implements harness.Cluster.
func (c *Cluster) StartLoad(ctx context.Context) error {
	load, err := traffic.Start(c.w)
	if err != nil {
		return err
	}
	c.load = load
	return nil
}

// StopLoad implements harness.Cluster.
func (c *Cluster) StopLoad(ctx context.Context) ([]model.StreamStats, error) {
	if c.load == nil {
		return nil, c.w.Err()
	}
	stats := c.load.Stop()
	return stats, c.w.Err()
}

// Close implements harness.Cluster: intervals still open (machines being created or deleted,
// drains, a stall at the deadline, the API down, a fault, pods terminating or not yet ready)
// are closed at the current instant and marked cut short.
func (c *Cluster) Close(ctx context.Context) error {
	if c.w == nil {
		return nil // closed already: the world went back to the pool
	}
	c.w.Flush()
	c.w.CuttingShort = true
	c.ctl.Close()
	c.w.CloseAPIUnavailable()
	c.closeAwaited()
	c.closeFaults()
	c.w.CloseOpenPods()
	if c.load != nil {
		c.load.Release()
		c.load = nil
	}
	for _, inv := range c.inventories {
		inventories.Put(inv)
	}
	c.inventories = nil
	err := c.w.Err()
	// The world goes back to a pool for the next cluster's (world.Release): nothing that
	// Close's caller keeps (the records handed to the recorder, RunInfo) shares it.
	c.w.Release()
	c.w = nil
	return err
}

// SnapshotEtcd implements harness.Cluster.
func (c *Cluster) SnapshotEtcd(ctx context.Context) (*model.EtcdSnapshot, error) {
	return c.w.SnapshotEtcd(), c.w.Err()
}

// Inventory implements harness.Cluster.
func (c *Cluster) Inventory(ctx context.Context) (*model.Inventory, error) {
	inv := inventory(c.w, inventories.Get().(*model.Inventory))
	c.inventories = append(c.inventories, inv)
	return inv, c.w.Err()
}

func ptr[T any](v T) *T { return &v }
