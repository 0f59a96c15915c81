// Package calibration is the simulator's timing model: every delay and latency zdt's simulator
// uses (Calibration), their base values (Base), and the checks a profile or a scenario's
// spec.calibration must pass. The scenario format (package scenarios) holds one per scenario;
// zdt calibrate fits one to real runs.
package calibration

import (
	"math"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Calibration is every timing the simulator uses. The base values ("Base" below,
// Base) are Kubernetes' and Cluster API's own defaults where those exist, and typical
// figures otherwise. The default profile (scenarios.DefaultCalibration) is the base with the profile zdt
// calibrate fitted on kind + CAPD over it (profiles/default.yaml); zdt run --calibration FILE
// puts another profile in its place, and a scenario overrides any field under spec.calibration.
type Calibration struct {
	// MachineProvision is from Machine creation to the infrastructure running (CAPD: a container
	// start; clouds: 1-3 min). Base 8s.
	MachineProvision metav1.Duration `json:"machineProvision"`
	// NodeJoin is from infrastructure running to a worker Node Ready (kubeadm join, kubelet
	// start, CNI ready). Base 10s: with MachineProvision, the 18s a worker took from Machine
	// creation to Node Ready on kind + CAPD (testdata/scenarios/kind-small.yaml).
	NodeJoin metav1.Duration `json:"nodeJoin"`
	// ControlPlaneJoin is from infrastructure running to a control plane node Ready with its
	// apiserver healthy (kubeadm join --control-plane, etcd member added). Base 33s: with
	// MachineProvision, the 41s a control plane machine took on kind + CAPD.
	ControlPlaneJoin metav1.Duration `json:"controlPlaneJoin"`
	// EtcdQuorumLoss is how long etcd has no quorum when a voting member joins a one-member
	// cluster (quorum becomes 2 before the new member runs). Base 0: since v1.29 kubeadm
	// joins new etcd members as learners (EtcdLearnerMode, on by default), which do not count
	// towards quorum; a single control plane node replaced on kind showed no API downtime.
	// Set it (e.g. 6s) to model kubeadm without learner mode.
	EtcdQuorumLoss metav1.Duration `json:"etcdQuorumLoss"`
	// MachineDelete is from the end of a drain to the infrastructure gone. Base 5s.
	MachineDelete metav1.Duration `json:"machineDelete"`
	// ImagePull is the time to pull a workload image on a new node. Base 3s.
	ImagePull metav1.Duration `json:"imagePull"`
	// ContainerStart is from pod bound to container running. Base 1s.
	ContainerStart metav1.Duration `json:"containerStart"`
	// SchedulerDelay is from pod creation to binding. Base 100ms.
	SchedulerDelay metav1.Duration `json:"schedulerDelay"`
	// KubeletSync is how long the kubelet takes to see a pod deletion and start preStop/SIGTERM
	// (watch latency). Base 200ms.
	KubeletSync metav1.Duration `json:"kubeletSync"`
	// EndpointSync is from a pod change to its EndpointSlice updated (endpointslice controller,
	// watch latency). Base 300ms.
	EndpointSync metav1.Duration `json:"endpointSync"`
	// ProxySyncMin and ProxySyncMax bound the delay before a node's kube-proxy programs an
	// EndpointSlice change (--iptables-min-sync-period default 1s). Each node draws its own delay
	// in this range. Defaults 500ms and 2s.
	ProxySyncMin metav1.Duration `json:"proxySyncMin"`
	ProxySyncMax metav1.Duration `json:"proxySyncMax"`
	// LBHealthInterval is the load balancers' health check period (haproxy inter). Base 2s.
	LBHealthInterval metav1.Duration `json:"lbHealthInterval"`
	// LBFall and LBRise are consecutive failed/passed checks to mark a backend down/up
	// (haproxy defaults fall 3, rise 2).
	LBFall int32 `json:"lbFall"`
	LBRise int32 `json:"lbRise"`
	// LBRetries is how many other backends the load balancers try when a connection fails
	// (haproxy retries with option redispatch). Base 3.
	LBRetries int32 `json:"lbRetries"`
	// EvictionRetry is how often Cluster API's drain passes over a node again (requeue, 20s in
	// Cluster API v1.9+): it retries evictions a PDB refused, and sees pods gone only then, so
	// even an unblocked drain lasts at least one retry (21s measured on kind + CAPD).
	EvictionRetry metav1.Duration `json:"evictionRetry"`
	// NodeMonitorGrace is the node-monitor-grace-period before a silent node is NotReady
	// (Kubernetes 1.32+ default 50s).
	NodeMonitorGrace metav1.Duration `json:"nodeMonitorGrace"`
	// PodEvictionToleration is how long pods stay bound to a NotReady node (default
	// not-ready/unreachable tolerations, 300s).
	PodEvictionToleration metav1.Duration `json:"podEvictionToleration"`
	// RequestLatency is the mean latency of a request answered by a healthy pod. Base 4ms.
	RequestLatency metav1.Duration `json:"requestLatency"`
	// ConnectTimeout is how long a client waits for a connection to an address nobody answers
	// for (a node or pod that is gone) before giving up. Base 1s.
	ConnectTimeout metav1.Duration `json:"connectTimeout"`
	// APIServerStart is how long an apiserver takes to become healthy after a restart. Base 15s.
	APIServerStart metav1.Duration `json:"apiServerStart"`
	// StateInterval is the period of state samples. Base 5s.
	StateInterval metav1.Duration `json:"stateInterval"`
	// ControlPlaneSettle is from a new control plane node Ready to the KubeadmControlPlane
	// deleting the next outdated machine: it waits for the new machine's etcd member and control
	// plane pods to report healthy, and requeues. Base 0.
	ControlPlaneSettle metav1.Duration `json:"controlPlaneSettle"`
	// WorkerSettle is from a new worker Ready to its MachineDeployment deleting an old machine
	// (the MachineSet sees the new machine available at its next reconcile). Base 0.
	WorkerSettle metav1.Duration `json:"workerSettle"`
	// DaemonSetStart is from a node Ready to its DaemonSet pods (kube-proxy and the CNI's agent)
	// Ready: a new worker takes traffic from the edge load balancer only then, as a NodePort
	// needs both. Base 2s.
	DaemonSetStart metav1.Duration `json:"daemonSetStart"`
	// Latency is the distribution of the latency of requests that a healthy pod answers, per
	// connection mode. Left at zero, every request takes requestLatency.
	Latency LatencyModel `json:"latency"`
}

// LatencyModel is a request latency distribution per connection mode.
type LatencyModel struct {
	// New is for requests on a new connection (TCP handshake through the load balancer).
	New LatencyQuantiles `json:"new"`
	// Reused is for requests on a kept-alive connection.
	Reused LatencyQuantiles `json:"reused"`
}

// LatencyQuantiles is a log-normal distribution given by two of its quantiles: what a fit to
// measured latencies reads like, and what a user can check against a dashboard.
type LatencyQuantiles struct {
	Median metav1.Duration `json:"median"`
	P99    metav1.Duration `json:"p99"`
}

// z99 is the standard normal distribution's 99th percentile.
const z99 = 2.3263478740408408

// LogNormal returns the distribution's parameters (of the latency in seconds): mu and sigma of
// its logarithm. ok is false when the median is not set.
func (q LatencyQuantiles) LogNormal() (mu, sigma float64, ok bool) {
	m, p := q.Median.Duration.Seconds(), q.P99.Duration.Seconds()
	if m <= 0 {
		return 0, 0, false
	}
	mu = math.Log(m)
	if p > m {
		sigma = math.Log(p/m) / z99
	}
	return mu, sigma, true
}

// Mean is the distribution's mean, exp(mu + sigma^2/2); 0 when the median is not set.
func (q LatencyQuantiles) Mean() time.Duration {
	mu, sigma, ok := q.LogNormal()
	if !ok {
		return 0
	}
	return time.Duration(math.Exp(mu+sigma*sigma/2) * float64(time.Second))
}

func d(v time.Duration) metav1.Duration { return metav1.Duration{Duration: v} }

// Base returns the timings as Kubernetes and Cluster API default them, and typical
// figures where they have none: what a fit starts from (zdt calibrate). The default profile is
// Base with a fitted profile over it (DefaultCalibration).
func Base() Calibration {
	return Calibration{
		MachineProvision:      d(8 * time.Second),
		NodeJoin:              d(10 * time.Second),
		ControlPlaneJoin:      d(33 * time.Second),
		EtcdQuorumLoss:        d(0),
		MachineDelete:         d(5 * time.Second),
		ImagePull:             d(3 * time.Second),
		ContainerStart:        d(time.Second),
		SchedulerDelay:        d(100 * time.Millisecond),
		KubeletSync:           d(200 * time.Millisecond),
		EndpointSync:          d(300 * time.Millisecond),
		ProxySyncMin:          d(500 * time.Millisecond),
		ProxySyncMax:          d(2 * time.Second),
		LBHealthInterval:      d(2 * time.Second),
		LBFall:                3,
		LBRise:                2,
		LBRetries:             3,
		EvictionRetry:         d(20 * time.Second),
		NodeMonitorGrace:      d(50 * time.Second),
		PodEvictionToleration: d(300 * time.Second),
		RequestLatency:        d(4 * time.Millisecond),
		ConnectTimeout:        d(time.Second),
		APIServerStart:        d(15 * time.Second),
		StateInterval:         d(5 * time.Second),
		DaemonSetStart:        d(2 * time.Second),
	}
}

// Validate checks c, every problem named by its path under p (spec.calibration.nodeJoin, ...).
func (c *Calibration) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	durations := []struct {
		name string
		v    metav1.Duration
	}{
		{"machineProvision", c.MachineProvision}, {"nodeJoin", c.NodeJoin}, {"controlPlaneJoin", c.ControlPlaneJoin},
		{"etcdQuorumLoss", c.EtcdQuorumLoss}, {"machineDelete", c.MachineDelete}, {"imagePull", c.ImagePull},
		{"containerStart", c.ContainerStart}, {"schedulerDelay", c.SchedulerDelay}, {"kubeletSync", c.KubeletSync},
		{"endpointSync", c.EndpointSync}, {"proxySyncMin", c.ProxySyncMin}, {"proxySyncMax", c.ProxySyncMax},
		{"lbHealthInterval", c.LBHealthInterval}, {"evictionRetry", c.EvictionRetry},
		{"nodeMonitorGrace", c.NodeMonitorGrace}, {"podEvictionToleration", c.PodEvictionToleration},
		{"requestLatency", c.RequestLatency}, {"connectTimeout", c.ConnectTimeout},
		{"apiServerStart", c.APIServerStart}, {"stateInterval", c.StateInterval},
		{"controlPlaneSettle", c.ControlPlaneSettle}, {"workerSettle", c.WorkerSettle}, {"daemonSetStart", c.DaemonSetStart},
		{"latency.new.median", c.Latency.New.Median}, {"latency.new.p99", c.Latency.New.P99},
		{"latency.reused.median", c.Latency.Reused.Median}, {"latency.reused.p99", c.Latency.Reused.P99},
	}
	for _, d := range durations {
		if d.v.Duration < 0 {
			errs = append(errs, field.Invalid(p.Child(d.name), d.v.Duration.String(), "must not be negative"))
		}
	}
	if c.ProxySyncMax.Duration < c.ProxySyncMin.Duration {
		errs = append(errs, field.Invalid(p.Child("proxySyncMax"), c.ProxySyncMax.Duration.String(), "must not be below proxySyncMin"))
	}
	for _, m := range []struct {
		name string
		q    LatencyQuantiles
	}{{"new", c.Latency.New}, {"reused", c.Latency.Reused}} {
		if m.q.P99.Duration > 0 && m.q.P99.Duration < m.q.Median.Duration {
			errs = append(errs, field.Invalid(p.Child("latency", m.name, "p99"), m.q.P99.Duration.String(), "must not be below the median"))
		}
		if m.q.P99.Duration > 0 && m.q.Median.Duration <= 0 {
			errs = append(errs, field.Required(p.Child("latency", m.name, "median"), "a p99 needs its median"))
		}
	}
	if c.LBFall < 1 {
		errs = append(errs, field.Invalid(p.Child("lbFall"), c.LBFall, "must be at least 1"))
	}
	if c.LBRise < 1 {
		errs = append(errs, field.Invalid(p.Child("lbRise"), c.LBRise, "must be at least 1"))
	}
	if c.LBRetries < 0 {
		errs = append(errs, field.Invalid(p.Child("lbRetries"), c.LBRetries, "must not be negative"))
	}
	if c.StateInterval.Duration < 100*time.Millisecond {
		errs = append(errs, field.Invalid(p.Child("stateInterval"), c.StateInterval.Duration.String(), "must be at least 100ms"))
	}
	return errs
}
