package model

import "time"

// Inventory is what preflight and postflight checks look at: the cluster's objects as a provider
// reads them, with no provider type in sight.
type Inventory struct {
	// At is when the inventory was taken.
	At time.Duration `json:"at"`
	// APIServerVersion is the version the API answers with (the lowest when several differ).
	APIServerVersion string `json:"apiServerVersion"`
	// APIAvailable is whether the API answered.
	APIAvailable bool       `json:"apiAvailable"`
	Nodes        []NodeInfo `json:"nodes"`
	// MachinesWithoutNode are the machines (Cluster API Machines) not matched to a Node yet:
	// the provider has not set the node's spec.providerID, or the machine is still booting.
	MachinesWithoutNode []string       `json:"machinesWithoutNode,omitempty"`
	Workloads           []WorkloadInfo `json:"workloads"`
	PDBs                []PDBInfo      `json:"pdbs"`
	Pods                []PodInfo      `json:"pods"`
	// SystemPods are the kube-system components (apiserver, controller-manager, scheduler,
	// kube-proxy, etcd, CoreDNS) with their versions.
	SystemPods []SystemPod `json:"systemPods"`
	// Addons are the CNI, CSI and ingress components with their health.
	Addons []Addon `json:"addons"`
	// Objects are the manifests deployed in the cluster, for the removed-API check, and the
	// deprecated APIs the API server saw requests for (Source says which).
	Objects []ObjectRef `json:"objects"`
	// APIUseUnread says why the API server's record of deprecated API use could not be read
	// (empty when it was, or the provider has none).
	APIUseUnread string `json:"apiUseUnread,omitempty"`
	// EtcdSnapshot is the last snapshot taken, if any.
	EtcdSnapshot *EtcdSnapshot `json:"etcdSnapshot,omitempty"`
	// Usage is the cluster's resource use at this time.
	Usage Usage `json:"usage"`
}

// NodeRole says whether a node is a control plane or a worker node.
type NodeRole string

// Node roles.
const (
	RoleControlPlane NodeRole = "control-plane"
	RoleWorker       NodeRole = "worker"
)

// NodeInfo is one Node.
type NodeInfo struct {
	Name string   `json:"name"`
	Role NodeRole `json:"role"`
	// Pool is the MachineDeployment of a worker.
	Pool    string `json:"pool,omitempty"`
	Zone    string `json:"zone,omitempty"`
	Version string `json:"version"`
	Ready   bool   `json:"ready"`
	// Unschedulable is set when the node is cordoned.
	Unschedulable bool `json:"unschedulable"`
	// Allocatable and Requested are CPU (milli) and memory (bytes) and pods.
	AllocatableCPUMilli int64 `json:"allocatableCPUMilli"`
	AllocatableMemory   int64 `json:"allocatableMemory"`
	AllocatablePods     int   `json:"allocatablePods"`
	RequestedCPUMilli   int64 `json:"requestedCPUMilli"`
	RequestedMemory     int64 `json:"requestedMemory"`
	Pods                int   `json:"pods"`
}

// WorkloadInfo is one Deployment with what matters for a disruption-free upgrade.
type WorkloadInfo struct {
	Name          string `json:"name"`
	Replicas      int    `json:"replicas"`
	ReadyReplicas int    `json:"readyReplicas"`
	// RequestsCPUMilli and RequestsMemory are per pod.
	RequestsCPUMilli  int64 `json:"requestsCPUMilli"`
	RequestsMemory    int64 `json:"requestsMemory"`
	HasReadinessProbe bool  `json:"hasReadinessProbe"`
	// PreStop is the preStop sleep; 0 without a hook.
	PreStop                time.Duration `json:"preStop"`
	TerminationGracePeriod time.Duration `json:"terminationGracePeriod"`
	// OnSigterm is what the application does at SIGTERM, when known: Drain, Graceful or Exit
	// (zdt's shutdown modes); empty when nothing says.
	OnSigterm string `json:"onSigterm,omitempty"`
	// SpreadKey is the topology spread constraint's key; empty without one.
	SpreadKey string `json:"spreadKey,omitempty"`
	// SpreadHard is set for whenUnsatisfiable: DoNotSchedule.
	SpreadHard bool `json:"spreadHard,omitempty"`
	// Service is the workload's Service; load targets it.
	Service string `json:"service"`
}

// PDBInfo is one PodDisruptionBudget and its status.
type PDBInfo struct {
	Name string `json:"name"`
	// MinAvailable and MaxUnavailable as written ("2", "50%"); one is empty.
	MinAvailable   string `json:"minAvailable,omitempty"`
	MaxUnavailable string `json:"maxUnavailable,omitempty"`
	// Workloads are those whose pods the selector matches.
	Workloads          []string `json:"workloads"`
	ExpectedPods       int      `json:"expectedPods"`
	CurrentHealthy     int      `json:"currentHealthy"`
	DesiredHealthy     int      `json:"desiredHealthy"`
	DisruptionsAllowed int      `json:"disruptionsAllowed"`
	UnhealthyPolicy    string   `json:"unhealthyPodEvictionPolicy"`
}

// StopsAcceptingAtSigterm reports whether the application refuses new connections from SIGTERM
// on (Graceful or Exit): without a preStop sleep, nodes whose kube-proxy has not yet seen the
// pod leave its endpoints send it connections that are refused.
func (w *WorkloadInfo) StopsAcceptingAtSigterm() bool {
	return w.OnSigterm == "Graceful" || w.OnSigterm == "Exit"
}

// PodInfo is one pod of a workload.
type PodInfo struct {
	Name     string `json:"name"`
	Workload string `json:"workload"`
	Node     string `json:"node,omitempty"`
	Ready    bool   `json:"ready"`
	// Terminating is set once the pod has a deletion timestamp.
	Terminating bool `json:"terminating"`
}

// SystemPod is a kube-system component on one node.
type SystemPod struct {
	Name      string `json:"name"`
	Component string `json:"component"`
	Node      string `json:"node"`
	Version   string `json:"version"`
	Ready     bool   `json:"ready"`
}

// Addon is a cluster add-on whose health postflight checks.
type Addon struct {
	Name string `json:"name"`
	// Kind is cni, csi or ingress.
	Kind    string `json:"kind"`
	Healthy bool   `json:"healthy"`
	Message string `json:"message,omitempty"`
}

// ObjectRef is one object of a manifest or of the live cluster.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// Source is the file it came from, or "live".
	Source string `json:"source,omitempty"`
}

// EtcdSnapshot is the recovery anchor taken before the upgrade.
type EtcdSnapshot struct {
	Path     string        `json:"path"`
	Size     int64         `json:"size"`
	Revision int64         `json:"revision"`
	Verified bool          `json:"verified"`
	TakenAt  time.Duration `json:"takenAt"`
}

// Usage is the cluster's resource use.
type Usage struct {
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
	Pods        int   `json:"pods"`
}
