package capi

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/harness/capi/internal/timeline"
	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Defaults of Tuning.
const (
	DefaultAppNamespace  = "zdt"
	DefaultPollInterval  = 5 * time.Second
	DefaultStateInterval = 5 * time.Second
	// defaultLoadDuration bounds a "whole-upgrade" load: the engine stops it earlier.
	defaultLoadDuration = 6 * time.Hour
)

// Tuning are the adapter's knobs; zero values take the defaults.
type Tuning struct {
	// AppNamespace holds the workloads under test (default DefaultAppNamespace).
	AppNamespace string
	// PollInterval is how often Await looks at the rollout (default DefaultPollInterval).
	PollInterval time.Duration
	// StateInterval is how often a state sample is taken (default DefaultStateInterval).
	StateInterval time.Duration
	// SnapshotDir receives the etcd snapshot (default the system's temporary directory).
	SnapshotDir string
}

func (t Tuning) withDefaults() Tuning {
	if t.AppNamespace == "" {
		t.AppNamespace = DefaultAppNamespace
	}
	if t.PollInterval <= 0 {
		t.PollInterval = DefaultPollInterval
	}
	if t.StateInterval <= 0 {
		t.StateInterval = DefaultStateInterval
	}
	return t
}

// wiring is what a Cluster is connected to: the clients of both clusters, the Cluster object,
// where load and probes go, and how it is torn down. Connect fills it.
type wiring struct {
	// namespace and name identify the Cluster object in the management cluster.
	namespace, name string
	// apiVersion is the Cluster API version the management cluster serves.
	apiVersion string
	mgmt       dynamic.Interface
	// mgmtConfig is the management cluster's REST config (nil in tests), for dumps.
	mgmtConfig *rest.Config
	workload   kubernetes.Interface
	// workloadConfig is the workload cluster's REST config, for the port-forward to etcd; nil
	// disables the etcd snapshot.
	workloadConfig *rest.Config
	// targets maps each workload under load to its URL, as loadgen.ResolveTarget gives it.
	targets map[string]string
	// apiServer is the workload cluster's API for the prober (empty: no prober), apiTLS how its
	// certificate is checked.
	apiServer string
	apiTLS    loadgen.ProbeTLS
	// allow lists non-loopback addresses zdt may send load to (containers it created).
	allow []netip.Addr
	// start is the instant offsets count from; clock is the wall clock (a fake in tests).
	start time.Time
	clock clock.WithTicker
	// teardown, when set, is called by Close to remove what the provider created.
	teardown func(ctx context.Context) error
	// artifacts, when set, is where Close dumps the clusters first (Dump).
	artifacts string
	// injectors inject the scenario's faults; log hears what they did.
	injectors chaos.Injectors
	log       func(format string, args ...any)
}

// Cluster is a real Cluster API workload cluster under test. It implements harness.Cluster.
type Cluster struct {
	w    wiring
	opts Tuning
	sc   *scenarios.Scenario
	rec  model.Recorder
	res  objects.Resources

	// stop ends the timeline recorder and the state sampler; done is closed when they have.
	stop context.CancelFunc
	done chan struct{}
	tl   *timeline.Timeline
	// chaos injects the scenario's faults.
	chaos *chaos.Scheduler

	mu        sync.Mutex
	loadStop  context.CancelFunc
	loadDone  chan struct{}
	loadStats []model.StreamStats
	loadErr   error
	closed    bool
}

var _ harness.Cluster = (*Cluster)(nil)

// newCluster returns a Cluster for the scenario and starts recording its timeline and state
// into rec. The recorder runs until Close.
func newCluster(ctx context.Context, sc *scenarios.Scenario, rec model.Recorder, w wiring, t Tuning) (*Cluster, error) {
	if w.mgmt == nil || w.workload == nil {
		return nil, errors.New("capi cluster: management and workload clients are required")
	}
	if w.name == "" {
		return nil, errors.New("capi cluster: the Cluster's name is required")
	}
	if w.namespace == "" {
		w.namespace = "default"
	}
	opts := t.withDefaults()
	if w.clock == nil {
		w.clock = clock.RealClock{}
	}
	if w.start.IsZero() {
		w.start = w.clock.Now()
	}
	c := &Cluster{w: w, opts: opts, sc: sc, rec: rec, res: objects.ResourcesAt(w.apiVersion), done: make(chan struct{})}
	c.tl = timeline.New(rec, c.Now)
	var faultList []faults.Fault
	var seed int64
	if sc != nil {
		faultList = sc.Spec.Faults
		if sc.Spec.Seed != nil {
			seed = *sc.Spec.Seed
		}
	}
	c.chaos = chaos.NewScheduler(chaos.SchedulerInput{
		Faults: faultList, Injectors: w.injectors, Recorder: c.tl, Clock: w.clock, Now: c.Now, Seed: seed,
		Env: &chaos.Env{Client: w.workload, AppNamespace: opts.AppNamespace, Nodes: c.chaosNodes, Log: w.log,
			Management: w.mgmt, Machines: objects.ResourcesAt(w.apiVersion).Machines, ClusterNamespace: w.namespace},
	})
	c.tl.OnEvent = c.chaos.Event
	// The recorder outlives the ctx of New (the engine cancels nothing until Close), but stops
	// with it if ctx is cancelled.
	watchCtx, stop := context.WithCancel(ctx)
	c.stop = stop
	ready := make(chan error, 1)
	go func() {
		defer close(c.done)
		c.watch(watchCtx, ready)
	}()
	select {
	case err := <-ready:
		if err != nil {
			stop()
			<-c.done
			return nil, err
		}
	case <-ctx.Done():
		stop()
		<-c.done
		return nil, fmt.Errorf("capi cluster: %w", ctx.Err())
	}
	c.chaos.StartPhase(model.PhaseRunStart) // faults timed from the start of the run
	return c, nil
}

// Now implements harness.Cluster: wall-clock time since the start of the run.
func (c *Cluster) Now() time.Duration { return c.w.clock.Since(c.w.start) }

// Pass implements harness.Cluster: it waits d, or less if ctx ends first.
func (c *Cluster) Pass(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.w.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StartPhase implements harness.Cluster: faults timed to the phase are armed.
func (c *Cluster) StartPhase(ctx context.Context, phase model.PhaseName) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.chaos.StartPhase(phase)
	return nil
}

// chaosNodes lists the workload cluster's nodes for the fault injectors, as the timeline sees
// them.
func (c *Cluster) chaosNodes() []chaos.Node {
	views := c.tl.Nodes()
	out := make([]chaos.Node, len(views))
	for i, v := range views {
		out[i] = chaos.Node{Name: v.Name, Pool: v.Pool, ControlPlane: v.ControlPlane, Ready: v.Ready, Deleting: v.Deleting, Draining: v.Draining}
	}
	return out
}

// StartLoad implements harness.Cluster: the scenario's load on the targets' URLs, and the API
// prober, in the background until StopLoad.
func (c *Cluster) StartLoad(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loadStop != nil {
		return errors.New("start load: the load is already running")
	}
	streams, err := loadgen.LoadStreams(&c.sc.Spec.Load, c.w.targets)
	if err != nil {
		return fmt.Errorf("start load: %w", err)
	}
	if c.w.apiServer != "" {
		probe, err := loadgen.APIProbe(c.w.apiServer, c.w.apiTLS)
		if err != nil {
			return fmt.Errorf("start load: %w", err)
		}
		streams = append(streams, probe)
	}
	d := defaultLoadDuration
	if l := c.sc.Spec.Load.Duration; l != "" && l != scenarios.UntilUpgradeDone {
		if v, err := time.ParseDuration(l); err == nil && v > 0 {
			d = v
		}
	}
	var timeout time.Duration
	if c.sc.Spec.Load.Timeout != nil {
		timeout = c.sc.Spec.Load.Timeout.Duration
	}
	// The attack must outlive the ctx of StartLoad: StopLoad ends it.
	loadCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.loadStop, c.loadDone = stop, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		stats, err := loadgen.Attack(loadCtx, c.rec, streams, loadgen.Options{
			Duration: d, Timeout: timeout, Allow: c.w.allow, Start: c.w.start,
		})
		c.mu.Lock()
		c.loadStats, c.loadErr = stats, err
		c.mu.Unlock()
	}(c.loadDone)
	return nil
}

// StopLoad implements harness.Cluster: it stops the load and waits for the attacker to record
// its last samples (at most the request timeout), or for ctx.
func (c *Cluster) StopLoad(ctx context.Context) ([]model.StreamStats, error) {
	c.mu.Lock()
	stop, done := c.loadStop, c.loadDone
	c.mu.Unlock()
	if stop == nil {
		return nil, nil
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("stop load: %w", ctx.Err())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loadStop = nil
	// The attack ends because stop cancelled it: that is how a load stops, not an error.
	if c.loadErr != nil && !errors.Is(c.loadErr, context.Canceled) {
		return c.loadStats, fmt.Errorf("stop load: %w", c.loadErr)
	}
	return c.loadStats, nil
}

// Close implements harness.Cluster: it stops the recorder, closes intervals still open at this
// instant, and calls the provider's teardown.
func (c *Cluster) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()
	select {
	case <-c.done:
	case <-ctx.Done():
		return fmt.Errorf("close: %w", ctx.Err())
	}
	// Faults still active are undone, and recorded cut short, before the cluster goes.
	c.chaos.Close()
	errs := []error{c.tl.Close()}
	if c.w.artifacts != "" {
		// Written while the clusters still run; what cannot be read is said, not fatal.
		start := time.Now()
		dctx, cancel := context.WithTimeout(ctx, dumpTimeout)
		if err := c.Dump(dctx, c.w.artifacts); err != nil && c.w.log != nil {
			c.w.log("artifacts: %v", err)
		}
		cancel()
		if c.w.log != nil {
			c.w.log("artifacts: the clusters' objects and pod logs written to %s in %s", c.w.artifacts, time.Since(start).Round(time.Second))
		}
	}
	if c.w.teardown != nil {
		errs = append(errs, c.w.teardown(ctx))
	}
	return errors.Join(errs...)
}
