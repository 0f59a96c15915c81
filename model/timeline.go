package model

import "time"

// Level is the severity of a timeline interval.
type Level string

const (
	// Info marks expected activity: phases, machines created, nodes cordoned.
	Info Level = "Info"
	// Warning marks something that may hurt availability: a drain blocked by a PDB, a pod not ready.
	Warning Level = "Warning"
	// Error marks a disruption: requests failing, the API unavailable, a fault injected.
	Error Level = "Error"
)

// Reason says what an interval is about. The set is closed so that reports can rely on it.
type Reason string

// Reasons written to the timeline by every provider.
const (
	ReasonPhase            Reason = "Phase"            // an upgrade phase (preflight, control-plane, pool, postflight)
	ReasonUpgradeStep      Reason = "UpgradeStep"      // one step of a stepwise plan (v1.35 → v1.36)
	ReasonMachineCreated   Reason = "MachineCreated"   // a machine from creation request to node Ready
	ReasonMachineDeleted   Reason = "MachineDeleted"   // a machine from deletion request to gone
	ReasonNodeCordoned     Reason = "NodeCordoned"     // a node marked unschedulable
	ReasonNodeDrain        Reason = "NodeDrain"        // a drain from start to last pod gone (or timeout)
	ReasonNodeNotReady     Reason = "NodeNotReady"     // a node reported NotReady
	ReasonEvictionBlocked  Reason = "EvictionBlocked"  // a PDB stall: evictions refused (429) by a budget
	ReasonEvictionFailed   Reason = "EvictionFailed"   // evictions refused by an API error (5xx), not by a budget
	ReasonDrainTimeout     Reason = "DrainTimeout"     // nodeDrainTimeout passed; the machine was deleted with pods on it
	ReasonPodNotReady      Reason = "PodNotReady"      // a pod existing but not ready
	ReasonPodTerminating   Reason = "PodTerminating"   // a pod from deletion to gone
	ReasonEndpointRemoved  Reason = "EndpointRemoved"  // a pod taken out of its service's endpoints
	ReasonAPIUnavailable   Reason = "APIUnavailable"   // no healthy apiserver behind the API load balancer
	ReasonFaultInjected    Reason = "FaultInjected"    // an injected fault from start to end
	ReasonFaultNotApplied  Reason = "FaultNotApplied"  // a fault that could not be applied (its target matched nothing)
	ReasonRequestsFailing  Reason = "RequestsFailing"  // a window in which requests to a target failed
	ReasonEtcdSnapshot     Reason = "EtcdSnapshot"     // the etcd snapshot taken as recovery anchor
	ReasonWorkloadDegraded Reason = "WorkloadDegraded" // a workload below its desired ready replicas
)

// Locator says what an interval is about, in the manner of OpenShift's monitor locators.
// Only the fields that apply are set.
type Locator struct {
	Cluster  string    `json:"cluster,omitempty"`
	Phase    PhaseName `json:"phase,omitempty"`
	Pool     string    `json:"pool,omitempty"`
	Machine  string    `json:"machine,omitempty"`
	Node     string    `json:"node,omitempty"`
	Workload string    `json:"workload,omitempty"`
	Pod      string    `json:"pod,omitempty"`
	PDB      string    `json:"pdb,omitempty"`
	Fault    string    `json:"fault,omitempty"`
}

// Interval is one entry of the run's timeline: something that held from From to To, offsets from
// the start of the run. To equals From for instantaneous events.
type Interval struct {
	Level   Level         `json:"level"`
	Locator Locator       `json:"locator"`
	Reason  Reason        `json:"reason"`
	Message string        `json:"message"`
	From    time.Duration `json:"from"`
	To      time.Duration `json:"to"`
	// CutShort marks an interval that had not ended when the run stopped (interrupted, or at its
	// end): To is when the run stopped, not when the thing ended.
	CutShort bool `json:"cutShort,omitempty"`
}

// Duration returns how long the interval lasted.
func (iv *Interval) Duration() time.Duration { return iv.To - iv.From }

// Overlaps reports whether the interval shares any time with [from, to].
func (iv *Interval) Overlaps(from, to time.Duration) bool {
	return iv.From <= to && from <= iv.To
}
