package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// ErrDeadline is returned by Cluster.Await when the deadline passes before the milestone.
var ErrDeadline = errors.New("deadline passed")

// ErrUpgradeFailed is returned by Cluster.Await when the upgrade itself gave up, as a managed
// service's node pool upgrade does when a drain outlasts its limit (spec.upgradeStrategy).
var ErrUpgradeFailed = errors.New("the upgrade failed")

// Provider brings up clusters. The engine sees providers only through this interface.
type Provider interface {
	// Info describes the provider: its name, its clock, the fault kinds it injects.
	Info() *ProviderInfo
	// Create brings up a cluster at the scenario's "from" version with its workloads deployed.
	// Everything the cluster measures from then on goes to in.Recorder.
	Create(ctx context.Context, in CreateInput) (Cluster, error)
}

// CreateInput is what a provider creates a cluster for.
type CreateInput struct {
	Scenario *scenarios.Scenario
	Recorder model.Recorder
	// Start is the instant the run's offsets count from (Clock.Start of the provider).
	Start time.Time
}

// CheckSupport refuses a scenario the provider cannot carry out as written: faults it cannot
// inject (a run that injected nothing must not pass as if the cluster had survived them), and a
// starting state it cannot set up. Every such field is named with its path.
func CheckSupport(sc *scenarios.Scenario, p *ProviderInfo) error {
	var problems []string
	for i, pool := range sc.Spec.Cluster.WorkerPools {
		if pool.Start != nil && !p.StartingState {
			problems = append(problems, fmt.Sprintf("spec.cluster.workerPools[%d].start: the %s provider cannot set up a starting state (NotReady or cordoned nodes, an older pool version); run it with --provider sim, or remove it and prepare the cluster yourself",
				i, p.Name))
		}
	}
	if st := sc.Spec.UpgradeStrategy; st != nil && st.Preset != "" && st.Preset != scenarios.PresetClusterAPI && !p.ManagedStrategies {
		problems = append(problems, fmt.Sprintf("spec.upgradeStrategy.preset: %s: the %s provider upgrades through Cluster API and cannot follow a managed service's node pool upgrade; run it with --provider sim, or use preset ClusterAPI",
			st.Preset, p.Name))
	}
	for i, f := range sc.Spec.Faults {
		if p.CanInject(f.Kind) {
			continue
		}
		var can []string
		for _, q := range Providers() {
			if q.CanInject(f.Kind) {
				can = append(can, q.Name)
			}
		}
		fix := "remove the fault"
		if len(can) > 0 {
			fix = "run it with --provider " + strings.Join(can, " or --provider ") + ", or remove the fault"
		}
		problems = append(problems, fmt.Sprintf("spec.faults[%d].kind: %s: the %s provider cannot inject this kind of fault; %s (zdt faults lists what each provider injects)",
			i, f.Kind, p.Name, fix))
	}
	if len(problems) == 0 {
		return nil
	}
	return &scenarios.InvalidError{Source: sc.Metadata.Name, Problems: problems}
}

// WaitError is what Await returns when it is stopped (the context ends, or the provider fails)
// before the milestone: it says what the rollout was waiting for, e.g. "control plane: machine
// X provisioning, not yet Ready", so that an interrupted run shows where it was stuck.
type WaitError struct {
	Err     error
	Waiting string
}

func (e *WaitError) Error() string { return e.Err.Error() + ": waiting for " + e.Waiting }
func (e *WaitError) Unwrap() error { return e.Err }

// Milestone is a state the engine waits for: the control plane (Pool empty) or a worker pool
// entirely at Version, every machine Ready and no old machine left; or, with WorkloadsReady,
// every workload back to its desired count of Ready replicas.
type Milestone struct {
	Pool           string
	Version        string
	WorkloadsReady bool
}

// Cluster is a running cluster under test. Times are offsets from the start of the run: virtual
// in the simulator, wall-clock in the real providers.
type Cluster interface {
	// Now returns the current offset from the start of the run.
	Now() time.Duration
	// Inventory reads the cluster's objects for preflight and postflight checks. The
	// inventory may be reused once the cluster is closed: nothing keeps it past Close.
	Inventory(ctx context.Context) (*model.Inventory, error)
	// SnapshotEtcd takes an etcd snapshot and verifies it.
	SnapshotEtcd(ctx context.Context) (*model.EtcdSnapshot, error)
	// StartLoad starts the scenario's HTTP load and the API prober.
	StartLoad(ctx context.Context) error
	// StopLoad stops the load and reports how each stream kept up with its pacer.
	StopLoad(ctx context.Context) ([]model.StreamStats, error)
	// StartPhase tells the cluster a phase begins, so that faults timed to it can be armed.
	StartPhase(ctx context.Context, phase model.PhaseName) error
	// SetVersion starts the upgrade to version: one change of the Cluster's
	// spec.topology.version, after which Cluster API rolls the control plane, then the pools.
	SetVersion(ctx context.Context, version string) error
	// Await returns when the milestone is reached, or ErrDeadline once timeout has passed.
	Await(ctx context.Context, m Milestone, timeout time.Duration) error
	// Pass lets d go by with the load running (warm-up, cool-down).
	Pass(ctx context.Context, d time.Duration) error
	// Close tears the cluster down (unless the provider was asked to keep it).
	Close(ctx context.Context) error
}

// EgressCounter is implemented by a Cluster whose containers run on this machine: what they
// tried to send off it during the run, as the host's packet filter refused it. The engine asks
// once the load has stopped, before Close.
type EgressCounter interface {
	Egress(ctx context.Context) *model.Egress
}
