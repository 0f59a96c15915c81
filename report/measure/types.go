package measure

import (
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure/internal/latency"
)

// Requests are the HTTP requests sent at the workloads (the API prober's are in API).
type Requests struct {
	Total     int64 `json:"total"`
	Succeeded int64 `json:"succeeded"`
	Dropped   int64 `json:"dropped"`
	// DropRate is Dropped / Total.
	DropRate float64 `json:"dropRate"`
	// ByConn splits the requests by connection mode (new, reused).
	ByConn []ConnCount `json:"byConn"`
	// ByTarget splits them by workload.
	ByTarget []TargetRequests `json:"byTarget"`
	// Latency is over the requests that succeeded.
	Latency Latency `json:"latency"`
	// Errors counts the dropped requests by the error the client saw.
	Errors []ErrorCount `json:"errors"`
	// Windows are the stretches of time in which requests were dropped.
	Windows []DropWindow `json:"windows"`
}

// ConnCount counts the requests of one connection mode.
type ConnCount struct {
	Conn      string `json:"conn"`
	Total     int64  `json:"total"`
	Succeeded int64  `json:"succeeded"`
	Dropped   int64  `json:"dropped"`
}

// TargetRequests counts the requests sent at one workload.
type TargetRequests struct {
	Target    string      `json:"target"`
	Total     int64       `json:"total"`
	Succeeded int64       `json:"succeeded"`
	Dropped   int64       `json:"dropped"`
	DropRate  float64     `json:"dropRate"`
	ByConn    []ConnCount `json:"byConn"`
	Latency   Latency     `json:"latency"`
}

// Latency is a latency distribution's figures in milliseconds: P50, P90, P99, Max, Mean.
type Latency = latency.Latency

// ErrorCount counts dropped requests with one error (or status code).
type ErrorCount struct {
	Error string `json:"error"`
	Count int64  `json:"count"`
}

// DropWindow is a stretch of time in which requests to one target were dropped, with the
// timeline intervals that overlap it.
type DropWindow struct {
	Target      string  `json:"target"`
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
	// Phase is the upgrade phase the window began in.
	Phase   model.PhaseName `json:"phase,omitempty"`
	Dropped int64           `json:"dropped"`
	// New and Reused split Dropped by connection mode.
	New    int64 `json:"new"`
	Reused int64 `json:"reused"`
	// MinReady is the lowest ready replica count of the target seen during the window; -1 when
	// no state sample covers it.
	MinReady int `json:"minReady"`
	// Errors counts the window's dropped requests by the error the client saw.
	Errors []ErrorCount `json:"errors"`
	// During are the timeline intervals that overlap the window (or began just before it).
	During []TimelineRef `json:"during"`
}

// TimelineRef is a timeline interval as the report shows it.
type TimelineRef struct {
	Reason      string  `json:"reason"`
	Level       string  `json:"level"`
	Locator     string  `json:"locator"`
	Message     string  `json:"message,omitempty"`
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
}

// BackendDisruption is the disrupted time of one backend, in the manner of OpenShift's upgrade
// monitor: the union of the drop windows of that target and connection mode.
type BackendDisruption struct {
	Backend string  `json:"backend"`
	Target  string  `json:"target"`
	Conn    string  `json:"conn"`
	Seconds float64 `json:"seconds"`
	Dropped int64   `json:"dropped"`
	Total   int64   `json:"total"`
}

// PDBStalls are the drains blocked by PodDisruptionBudgets.
type PDBStalls struct {
	Count          int        `json:"count"`
	TotalSeconds   float64    `json:"totalSeconds"`
	LongestSeconds float64    `json:"longestSeconds"`
	Stalls         []PDBStall `json:"stalls"`
}

// PDBStall is one eviction blocked by a budget.
type PDBStall struct {
	PDB         string  `json:"pdb"`
	Pod         string  `json:"pod"`
	Node        string  `json:"node"`
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
	Seconds     float64 `json:"seconds"`
	Message     string  `json:"message,omitempty"`
}

// Capacity is the lowest capacity seen during the run.
type Capacity struct {
	Workloads []WorkloadCapacity `json:"workloads"`
	// MinSchedulableNodes is the lowest count of Ready, uncordoned workers, at AtSeconds.
	MinSchedulableNodes int     `json:"minSchedulableNodes"`
	MinSchedulableAt    float64 `json:"minSchedulableAtSeconds"`
	// MinFreeCPUMilli and MinFreeMemoryBytes are the lowest free requests on schedulable workers.
	MinFreeCPUMilli    int64 `json:"minFreeCPUMilli"`
	MinFreeMemoryBytes int64 `json:"minFreeMemoryBytes"`
	// Samples is the number of state samples these come from.
	Samples int `json:"samples"`
}

// WorkloadCapacity is the lowest ready replica count of one workload.
type WorkloadCapacity struct {
	Workload string `json:"workload"`
	// MinReady is the lowest ready count, first reached at MinReadyAtSeconds.
	MinReady          int     `json:"minReady"`
	MinReadyAtSeconds float64 `json:"minReadyAtSeconds"`
	// Desired is the desired replica count at that time.
	Desired int `json:"desired"`
	// MinReadyPercent is MinReady in percent of Desired.
	MinReadyPercent float64 `json:"minReadyPercent"`
	// PDBFloor is the lowest ready count the PDB allows; -1 without a PDB.
	PDBFloor int `json:"pdbFloor"`
	// BelowFloorSeconds is how long (between state samples) the workload spent below its floor.
	BelowFloorSeconds float64 `json:"belowFloorSeconds"`
	// MinEndpoints is the lowest count of ready endpoints.
	MinEndpoints int `json:"minEndpoints"`
}

// APIDowntime is how the Kubernetes API's unavailability was measured. See SCHEMA.md.
type APIDowntime struct {
	Seconds float64 `json:"seconds"`
	// Probes and FailedProbes count the API prober's requests.
	Probes       int64 `json:"probes"`
	FailedProbes int64 `json:"failedProbes"`
	// Windows are the merged stretches of unavailability.
	Windows []Window `json:"windows"`
}

// Coverage is how densely the load covered the run, preflight to postflight: a disruption
// shorter than a stream's largest gap between two requests could go unseen. See SCHEMA.md.
type Coverage struct {
	// ResolutionSeconds is the shortest disruption the scenario claims to see
	// (criteria.resolution).
	ResolutionSeconds float64 `json:"resolutionSeconds"`
	// FromSeconds and ToSeconds are the stretch that must be covered.
	FromSeconds float64          `json:"fromSeconds"`
	ToSeconds   float64          `json:"toSeconds"`
	Streams     []StreamCoverage `json:"streams"`
}

// StreamCoverage is one workload stream's largest gap between two requests (measured to within
// a tenth of the resolution) and where it began.
type StreamCoverage struct {
	Target            string  `json:"target"`
	Conn              string  `json:"conn"`
	LargestGapSeconds float64 `json:"largestGapSeconds"`
	GapFromSeconds    float64 `json:"gapFromSeconds"`
}

// Window is a stretch of API unavailability.
type Window struct {
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
	// Seen is what showed the outage: the messages of the APIUnavailable intervals in it (the
	// provider's view, e.g. "etcdserver: no leader (etcd lost quorum)"), then the errors of the
	// failed probes with their counts.
	Seen []string `json:"seen"`
}

// Phase is one upgrade phase.
type Phase struct {
	Name        model.PhaseName `json:"name"`
	Step        string          `json:"step,omitempty"`
	FromSeconds float64         `json:"fromSeconds"`
	ToSeconds   float64         `json:"toSeconds"`
	Seconds     float64         `json:"seconds"`
	Outcome     string          `json:"outcome"`
	Message     string          `json:"message,omitempty"`
}

// Check is one preflight or postflight check.
type Check struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// Measurement says whether the load generator measured reliably.
type Measurement struct {
	Reliable bool `json:"reliable"`
	// Problems lists what made it unreliable.
	Problems []string      `json:"problems,omitempty"`
	Streams  []StreamStats `json:"streams"`
}

// StreamStats is how one load stream kept up with its pacer.
type StreamStats struct {
	Target   string `json:"target"`
	Conn     string `json:"conn"`
	Planned  int64  `json:"planned"`
	Sent     int64  `json:"sent"`
	Recorded int64  `json:"recorded"`
	// ReadBack is how many requests the samples read back hold.
	ReadBack int64   `json:"readBack"`
	MaxLagMs float64 `json:"maxLagMs"`
}
