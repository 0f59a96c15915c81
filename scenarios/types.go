package scenarios

import (
	"fmt"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/calibration"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// APIVersion and Kind identify a scenario file.
const (
	APIVersion = "zdt.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is one certification scenario: a cluster, the versions to upgrade between, workloads,
// load, faults and the criteria the run is judged by.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`

	// Objects are the objects of Spec.Manifests, read by Open or ReadManifests (not by Parse,
	// which reads no other file); the removed-APIs preflight check looks at them.
	Objects []model.ObjectRef `json:"-"`

	// strategyProblems are what SetDefaults found wrong in pool fields the upgrade strategy
	// decides itself (reported by validation).
	strategyProblems field.ErrorList
}

// Metadata names and describes a scenario.
type Metadata struct {
	// Name identifies the scenario in reports; lowercase letters, digits and '-'.
	Name string `json:"name"`
	// Description says what the scenario shows, in a sentence or two.
	Description string `json:"description,omitempty"`
}

// Spec is the body of a scenario.
type Spec struct {
	// Seed drives every random choice of the simulator and of random fault schedules.
	Seed *int64 `json:"seed,omitempty"`
	// Cluster describes the management-side topology: control plane and worker pools.
	Cluster Cluster `json:"cluster"`
	// Versions are the Kubernetes versions upgraded from and to.
	Versions Versions `json:"versions"`
	// Workloads are the sample applications deployed before the upgrade.
	Workloads []Workload `json:"workloads"`
	// Manifests are the user's own manifests the upgrade must keep working: files or folders
	// (*.yaml, *.yml, *.json; multi-document YAML and v1 Lists), relative to the scenario file.
	// The removed-APIs preflight check fails for any object whose API the target version no
	// longer serves. Open makes them absolute (or "builtin:" for the library's own).
	Manifests []string `json:"manifests,omitempty"`
	// UpgradeStrategy is how worker pools are replaced: Cluster API (default) or a managed
	// service's node pool upgrade (EKS, AKS, GKE), as the simulator follows it.
	UpgradeStrategy *UpgradeStrategy `json:"upgradeStrategy,omitempty"`
	// Load is the HTTP load sent through the upgrade.
	Load Load `json:"load"`
	// Faults are injected during the upgrade; may be empty. See package faults for the kinds.
	Faults []faults.Fault `json:"faults,omitempty"`
	// Criteria are the pass/fail thresholds.
	Criteria Criteria `json:"criteria"`
	// Preflight tunes the preflight checks.
	Preflight *PreflightSpec `json:"preflight,omitempty"`
	// Calibration holds the simulator's timings; fields left out keep their defaults.
	Calibration *calibration.Calibration `json:"calibration,omitempty"`
	// Expect is the outcome the scenario must have, for scenarios that certify zdt itself (the
	// built-in library, zdt certify): a reference that must pass, or one precondition broken that
	// must fail for the right reason.
	Expect *Expectation `json:"expect,omitempty"`
}

// String renders the expectation, e.g. "FAIL dropped-requests (cause: preStop)".
func (x *Expectation) String() string {
	if x == nil {
		return "-"
	}
	s := x.Verdict
	if x.Criterion != "" {
		s += " " + x.Criterion
	}
	if x.Cause != "" {
		s += fmt.Sprintf(" (cause: %s)", x.Cause)
	}
	return s
}

// Expectation is what a scenario must come out as on every seed (zdt certify).
type Expectation struct {
	// Verdict is PASS, FAIL or INCONCLUSIVE.
	Verdict string `json:"verdict"`
	// Criterion must fail (or, for INCONCLUSIVE, be inconclusive), e.g. dropped-requests.
	Criterion string `json:"criterion,omitempty"`
	// Cause is a word or phrase the criterion's cause must contain (case does not matter), e.g.
	// "preStop": the report must name the right reason, not only fail.
	Cause string `json:"cause,omitempty"`
}

// Cluster is the cluster to upgrade.
type Cluster struct {
	// ControlPlane is the KubeadmControlPlane.
	ControlPlane ControlPlane `json:"controlPlane"`
	// WorkerPools are the MachineDeployments, upgraded one after another in this order.
	WorkerPools []WorkerPool `json:"workerPools"`
	// Zones are the failure domains machines are spread over (default: one zone "zone-a").
	Zones []string `json:"zones,omitempty"`
}

// ControlPlane is the KubeadmControlPlane of the cluster.
type ControlPlane struct {
	// Replicas is the number of control plane machines: 1, 3 or 5 (default 3).
	Replicas *int32 `json:"replicas,omitempty"`
	// Capacity is each control plane node's allocatable resources.
	Capacity *Capacity `json:"capacity,omitempty"`
}

// WorkerPool is one MachineDeployment.
type WorkerPool struct {
	Name string `json:"name"`
	// Replicas is the number of machines (default 1).
	Replicas *int32 `json:"replicas,omitempty"`
	// MaxSurge is the rolling update surge (Cluster API default 1).
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`
	// MaxUnavailable is the rolling update unavailability (Cluster API default 0).
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// NodeDrainTimeout bounds a drain; 0 (the default) waits for ever.
	NodeDrainTimeout *metav1.Duration `json:"nodeDrainTimeout,omitempty"`
	// Capacity is each node's allocatable resources.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Zones restricts the pool to some of the cluster's zones (default: all, round-robin).
	Zones []string `json:"zones,omitempty"`
	// Start is the pool's state when the run begins, when it is not healthy and current: nodes
	// NotReady or cordoned before the upgrade, kubelets left behind by earlier upgrades.
	Start *PoolStart `json:"start,omitempty"`
}

// PoolStart is a worker pool's state before the upgrade. The preflight checks judge it: a
// certification starts from a healthy cluster, and these say how far from one it is.
type PoolStart struct {
	// NotReady is how many of the pool's nodes are NotReady when the run begins (their kubelet
	// stopped reporting before it).
	NotReady int32 `json:"notReady,omitempty"`
	// Cordoned is how many other nodes of the pool are cordoned (unschedulable) when it begins.
	Cordoned int32 `json:"cordoned,omitempty"`
	// Version is the kubelet version of the pool's nodes (default spec.versions.from), e.g. a
	// pool that earlier upgrades of the control plane left behind.
	Version string `json:"version,omitempty"`
}

// Capacity is a node's allocatable resources.
type Capacity struct {
	CPU    *resource.Quantity `json:"cpu,omitempty"`
	Memory *resource.Quantity `json:"memory,omitempty"`
	// Pods is the kubelet's maxPods (default 110).
	Pods *int32 `json:"pods,omitempty"`
}

// Versions are the Kubernetes versions of the upgrade.
type Versions struct {
	// From is the version the cluster is created at, e.g. v1.35.2.
	From string `json:"from"`
	// To is the target version. Several minors ahead become a stepwise plan, one minor at a time.
	To string `json:"to"`
	// Via names the patch version of each intermediate minor of a stepwise plan (default vX.Y.0).
	Via []string `json:"via,omitempty"`
}

// ShutdownMode is what the application does when it receives SIGTERM.
type ShutdownMode string

const (
	// ShutdownDrain keeps serving, new connections included, for DrainTime after SIGTERM while
	// its readiness probe fails, then shuts down gracefully: an application with a "lame duck"
	// period, or one that sleeps before shutting down (the Kubernetes apiserver's
	// --shutdown-delay-duration, Envoy's drain).
	ShutdownDrain ShutdownMode = "Drain"
	// ShutdownGraceful stops accepting new connections at SIGTERM, finishes the requests in
	// flight and closes its idle kept-alive connections, then exits: the most common real
	// behaviour and the default. Go's http.Server.Shutdown, nginx's graceful quit (SIGQUIT, the
	// official image's stop signal), Spring Boot from 3.4 (graceful shutdown on by default;
	// Tomcat, Jetty and Netty stop accepting at the network layer), gunicorn's SIGTERM.
	ShutdownGraceful ShutdownMode = "Graceful"
	// ShutdownExit exits at once on SIGTERM, resetting the requests in flight: a process with no
	// SIGTERM handler (a Node.js server by default, most scripts), nginx's fast shutdown (its
	// SIGTERM when the stop signal is not SIGQUIT).
	ShutdownExit ShutdownMode = "Exit"
)

// ShutdownModes lists every shutdown mode.
var ShutdownModes = []ShutdownMode{ShutdownDrain, ShutdownGraceful, ShutdownExit}

// Workload is one sample application: a Deployment, its Service, and optionally a PDB.
type Workload struct {
	Name string `json:"name"`
	// Replicas of the Deployment (Kubernetes default 1).
	Replicas *int32 `json:"replicas,omitempty"`
	// Requests are each pod's resource requests.
	Requests *Resources `json:"requests,omitempty"`
	// Strategy is the Deployment's rolling update (Kubernetes defaults 25%/25%).
	Strategy *Strategy `json:"strategy,omitempty"`
	// StartupTime is how long the application takes to serve after its container starts.
	StartupTime *metav1.Duration `json:"startupTime,omitempty"`
	// ReadinessProbe; without one a pod is Ready as soon as its container starts.
	ReadinessProbe *Probe `json:"readinessProbe,omitempty"`
	// PreStop is the preStop hook; without one SIGTERM is sent at deletion.
	PreStop *PreStop `json:"preStop,omitempty"`
	// TerminationGracePeriod is the time from deletion to SIGKILL (Kubernetes default 30s).
	TerminationGracePeriod *metav1.Duration `json:"terminationGracePeriod,omitempty"`
	// Shutdown is the application's behaviour at SIGTERM.
	Shutdown *Shutdown `json:"shutdown,omitempty"`
	// PDB is the workload's PodDisruptionBudget, if any.
	PDB *PDB `json:"pdb,omitempty"`
	// TopologySpread is the pod topology spread constraint, if any.
	TopologySpread *TopologySpread `json:"topologySpread,omitempty"`
}

// Resources are CPU and memory requests.
type Resources struct {
	CPU    *resource.Quantity `json:"cpu,omitempty"`
	Memory *resource.Quantity `json:"memory,omitempty"`
}

// Strategy is a Deployment's rolling update.
type Strategy struct {
	MaxSurge       *intstr.IntOrString `json:"maxSurge,omitempty"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// Probe is a readiness probe.
type Probe struct {
	InitialDelay     *metav1.Duration `json:"initialDelay,omitempty"`
	Period           *metav1.Duration `json:"period,omitempty"`
	FailureThreshold *int32           `json:"failureThreshold,omitempty"`
	SuccessThreshold *int32           `json:"successThreshold,omitempty"`
}

// PreStop is a preStop hook that sleeps.
type PreStop struct {
	Sleep metav1.Duration `json:"sleep"`
}

// Shutdown is the application's behaviour at SIGTERM.
type Shutdown struct {
	// OnSigterm is Graceful (default), Drain or Exit.
	OnSigterm ShutdownMode `json:"onSigterm,omitempty"`
	// DrainTime is how long a draining application keeps serving before it exits (default 5s).
	DrainTime *metav1.Duration `json:"drainTime,omitempty"`
}

// UnhealthyPodEvictionPolicy is the PDB field of the same name.
type UnhealthyPodEvictionPolicy string

// The policies Kubernetes knows.
const (
	IfHealthyBudget UnhealthyPodEvictionPolicy = "IfHealthyBudget"
	AlwaysAllow     UnhealthyPodEvictionPolicy = "AlwaysAllow"
)

// PDB is a PodDisruptionBudget. Exactly one of MinAvailable and MaxUnavailable is set.
type PDB struct {
	// Name defaults to the workload's name.
	Name           string              `json:"name,omitempty"`
	MinAvailable   *intstr.IntOrString `json:"minAvailable,omitempty"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	// UnhealthyPodEvictionPolicy defaults to IfHealthyBudget.
	UnhealthyPodEvictionPolicy UnhealthyPodEvictionPolicy `json:"unhealthyPodEvictionPolicy,omitempty"`
	// ExtraSelects names other workloads this PDB also selects (a PDB selecting several
	// workloads, or several PDBs on one pod).
	ExtraSelects []string `json:"extraSelects,omitempty"`
	// SelectsNothing makes the PDB's selector match no pod (a common mistake).
	SelectsNothing bool `json:"selectsNothing,omitempty"`
}

// Topology keys zdt knows.
const (
	TopologyHostname = "kubernetes.io/hostname"
	TopologyZone     = "topology.kubernetes.io/zone"
)

// WhenUnsatisfiable is the topology spread field of the same name.
type WhenUnsatisfiable string

// The values Kubernetes knows.
const (
	DoNotSchedule  WhenUnsatisfiable = "DoNotSchedule"
	ScheduleAnyway WhenUnsatisfiable = "ScheduleAnyway"
)

// TopologySpread is a pod topology spread constraint.
type TopologySpread struct {
	// TopologyKey is kubernetes.io/hostname (default) or topology.kubernetes.io/zone.
	TopologyKey string `json:"topologyKey,omitempty"`
	// MaxSkew defaults to 1.
	MaxSkew *int32 `json:"maxSkew,omitempty"`
	// WhenUnsatisfiable defaults to DoNotSchedule.
	WhenUnsatisfiable WhenUnsatisfiable `json:"whenUnsatisfiable,omitempty"`
}

// UntilUpgradeDone is the Load.Duration that keeps load on from before the upgrade until
// postflight ends.
const UntilUpgradeDone = "whole-upgrade"

// Load is the HTTP load sent at the workloads.
type Load struct {
	// Rate is requests per second per stream (default 50).
	Rate *float64 `json:"rate,omitempty"`
	// Pacer shapes the rate over time (default constant).
	Pacer *Pacer `json:"pacer,omitempty"`
	// Duration is "whole-upgrade" (default) or a duration like "20m".
	Duration string `json:"duration,omitempty"`
	// Targets are workload names (default: every workload).
	Targets []string `json:"targets,omitempty"`
	// Connections lists the streams per target: new, reused (default both).
	Connections []string `json:"connections,omitempty"`
	// Timeout is the client's request timeout (default 5s).
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// Warmup is how long load runs before the upgrade starts (default 30s).
	Warmup *metav1.Duration `json:"warmup,omitempty"`
}

// PacerType names one of vegeta's pacers.
type PacerType string

// The pacers zdt knows.
const (
	PacerConstant PacerType = "constant"
	PacerLinear   PacerType = "linear"
	PacerSine     PacerType = "sine"
)

// Pacer shapes the load's rate over time, as vegeta's pacers do.
type Pacer struct {
	Type PacerType `json:"type"`
	// Slope is the linear pacer's change of rate, in requests per second per second.
	Slope *float64 `json:"slope,omitempty"`
	// Period and Amplitude shape the sine pacer around Rate.
	Period    *metav1.Duration `json:"period,omitempty"`
	Amplitude *float64         `json:"amplitude,omitempty"`
}

// Criteria are the thresholds a run is judged by.
type Criteria struct {
	// MaxDroppedRequests is the number of failed requests tolerated (default 0).
	MaxDroppedRequests *int64 `json:"maxDroppedRequests,omitempty"`
	// MaxAPIDowntime is the Kubernetes API unavailability tolerated (default 0s).
	MaxAPIDowntime *metav1.Duration `json:"maxAPIDowntime,omitempty"`
	// MaxPDBStall is the longest a drain may be blocked by a PodDisruptionBudget (default 5m).
	MaxPDBStall *metav1.Duration `json:"maxPDBStall,omitempty"`
	// MinReadyPercent is the lowest ready replicas of any workload, in percent of its desired
	// replicas (default 0: only the PDB floor counts). Every workload with a PDB must also stay
	// at or above its PDB floor.
	MinReadyPercent *int32 `json:"minReadyPercent,omitempty"`
	// MinReadyReplicas is the fewest ready replicas every workload keeps at all times (default
	// 1: no workload is ever unavailable, PDB or not); a workload that wants fewer replicas than
	// this must keep all of them. 0 turns the floor off.
	MinReadyReplicas *int32 `json:"minReadyReplicas,omitempty"`
	// Resolution is the shortest disruption the run must be able to see (default 1s): every load
	// stream must send requests closer together than this from preflight to postflight, or the
	// run is inconclusive.
	Resolution *metav1.Duration `json:"resolution,omitempty"`
	// UpgradeDeadline bounds the whole upgrade, all steps included (default 2h).
	UpgradeDeadline *metav1.Duration `json:"upgradeDeadline,omitempty"`
}

// PreflightSpec tunes the preflight checks.
type PreflightSpec struct {
	// Ignore names checks whose failure is turned into a warning, so that a run can measure what
	// the failure does (e.g. a PDB that blocks drains). The report lists them as ignored.
	Ignore []string `json:"ignore,omitempty"`
}
