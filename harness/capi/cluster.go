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

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/loadgen"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Defaults of Options.
const (
	DefaultAppNamespace  = "zdt"
	DefaultPollInterval  = 5 * time.Second
	DefaultStateInterval = 5 * time.Second
	// DefaultLoadDuration bounds a "whole-upgrade" load: the engine stops it earlier.
	DefaultLoadDuration = 6 * time.Hour
)

// Options connect a Cluster to the management and workload clusters.
type Options struct {
	// Namespace and Name identify the Cluster object in the management cluster.
	Namespace, Name string
	// Management reads and patches Cluster API objects in the management cluster.
	Management dynamic.Interface
	// Workload reads the workload cluster.
	Workload kubernetes.Interface
	// WorkloadConfig is the workload cluster's REST config, for the port-forward to etcd; nil
	// disables the etcd snapshot.
	WorkloadConfig *rest.Config
	// APIVersion is the Cluster API version to read (default DefaultAPIVersion).
	APIVersion string
	// AppNamespace holds the workloads under test (default DefaultAppNamespace).
	AppNamespace string
	// PollInterval is how often Await looks at the rollout (default DefaultPollInterval).
	PollInterval time.Duration
	// StateInterval is how often a state sample is taken (default DefaultStateInterval).
	StateInterval time.Duration
	// Targets maps each workload under load to its URL (the edge load balancer on 127.0.0.1).
	Targets map[string]string
	// APIServer is the workload cluster's API behind its load balancer, for the API prober;
	// empty disables the prober.
	APIServer string
	// APITLS is how the prober checks the apiserver's certificate.
	APITLS loadgen.ProbeTLS
	// Allow lists non-loopback addresses zdt may send load to (containers it created).
	Allow []netip.Addr
	// SnapshotDir receives the etcd snapshot (default the system's temporary directory).
	SnapshotDir string
	// Start is the instant offsets count from (default when New is called).
	Start time.Time
	// Clock returns the wall-clock time (default time.Now); tests inject one.
	Clock func() time.Time
	// Teardown, when set, is called by Close to remove what the provider created.
	Teardown func(ctx context.Context) error
}

// Cluster is a real Cluster API workload cluster under test. It implements harness.Cluster.
type Cluster struct {
	opts Options
	sc   *scenarios.Scenario
	rec  model.Recorder
	res  Resources

	// stop ends the timeline recorder and the state sampler; done is closed when they have.
	stop context.CancelFunc
	done chan struct{}
	tl   *Timeline

	mu        sync.Mutex
	loadStop  context.CancelFunc
	loadDone  chan struct{}
	loadStats []model.StreamStats
	loadErr   error
	closed    bool
}

var _ harness.Cluster = (*Cluster)(nil)

// New returns a Cluster for the scenario and starts recording its timeline and state into rec.
// The recorder runs until Close.
func New(ctx context.Context, sc *scenarios.Scenario, rec model.Recorder, opts Options) (*Cluster, error) {
	if opts.Management == nil || opts.Workload == nil {
		return nil, errors.New("capi cluster: management and workload clients are required")
	}
	if opts.Name == "" {
		return nil, errors.New("capi cluster: the Cluster's name is required")
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.AppNamespace == "" {
		opts.AppNamespace = DefaultAppNamespace
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.StateInterval <= 0 {
		opts.StateInterval = DefaultStateInterval
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Start.IsZero() {
		opts.Start = opts.Clock()
	}
	c := &Cluster{opts: opts, sc: sc, rec: rec, res: ResourcesAt(opts.APIVersion), done: make(chan struct{})}
	c.tl = NewTimeline(rec, c.Now)
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
	return c, nil
}

// Now implements harness.Cluster: wall-clock time since the start of the run.
func (c *Cluster) Now() time.Duration { return c.opts.Clock().Sub(c.opts.Start) }

// Pass implements harness.Cluster: it waits d, or less if ctx ends first.
func (c *Cluster) Pass(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StartPhase implements harness.Cluster. Faults are not injected into real clusters yet, so a
// phase only needs no arming.
func (c *Cluster) StartPhase(ctx context.Context, phase model.PhaseName) error { return ctx.Err() }

// StartLoad implements harness.Cluster: the scenario's load on the targets' URLs, and the API
// prober, in the background until StopLoad.
func (c *Cluster) StartLoad(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loadStop != nil {
		return errors.New("start load: the load is already running")
	}
	streams, err := loadgen.LoadStreams(&c.sc.Spec.Load, c.opts.Targets)
	if err != nil {
		return fmt.Errorf("start load: %w", err)
	}
	if c.opts.APIServer != "" {
		probe, err := loadgen.APIProbe(c.opts.APIServer, c.opts.APITLS)
		if err != nil {
			return fmt.Errorf("start load: %w", err)
		}
		streams = append(streams, probe)
	}
	d := DefaultLoadDuration
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
			Duration: d, Timeout: timeout, Allow: c.opts.Allow, Start: c.opts.Start,
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
	errs := []error{c.tl.Close()}
	if c.opts.Teardown != nil {
		errs = append(errs, c.opts.Teardown(ctx))
	}
	return errors.Join(errs...)
}
