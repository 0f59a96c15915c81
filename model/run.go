package model

import "time"

// PhaseOutcome says how an upgrade phase ended.
type PhaseOutcome string

const (
	// PhaseSucceeded means the phase reached its goal before its deadline.
	PhaseSucceeded PhaseOutcome = "succeeded"
	// PhaseTimedOut means the deadline passed first.
	PhaseTimedOut PhaseOutcome = "timedOut"
	// PhaseFailed means the phase could not go on (preflight failed, harness error).
	PhaseFailed PhaseOutcome = "failed"
	// PhaseSkipped means the phase did not run because an earlier one stopped the run.
	PhaseSkipped PhaseOutcome = "skipped"
	// PhaseInterrupted means the run was stopped (Ctrl-C, killed) while the phase ran; it ends
	// where the run stopped, and its message says what it was waiting for.
	PhaseInterrupted PhaseOutcome = "interrupted"
)

// Phase is one step of the upgrade: preflight, control-plane, a worker pool, postflight.
type Phase struct {
	// Name is e.g. "preflight", "control-plane", "pool/md-0", "postflight".
	Name PhaseName `json:"name"`
	// Step is the target version of the plan step this phase belongs to.
	Step    string        `json:"step,omitempty"`
	From    time.Duration `json:"from"`
	To      time.Duration `json:"to"`
	Outcome PhaseOutcome  `json:"outcome"`
	Message string        `json:"message,omitempty"`
}

// StreamStats describes how well one load stream kept up with its pacer.
type StreamStats struct {
	Target string   `json:"target"`
	Conn   ConnMode `json:"conn"`
	// Planned is how many requests the pacer asked for; Sent how many were sent.
	Planned int64 `json:"planned"`
	Sent    int64 `json:"sent"`
	// Recorded is how many samples reached the sample file.
	Recorded int64 `json:"recorded"`
	// MaxLag is the largest delay between a request's planned and actual send time.
	MaxLag time.Duration `json:"maxLag"`
}

// RunState says whether a run directory is still being written.
type RunState string

// The states of a run directory.
const (
	// RunRunning means the run was measuring when run.json was last written (at least once a
	// second and at every phase change): if it says so when nothing runs, zdt stopped (was
	// killed) and the files hold what was measured up to then.
	RunRunning RunState = "running"
	// RunComplete means every file was closed and Files holds their final sizes and checksums.
	RunComplete RunState = "complete"
)

// FileStat is what the run wrote into one file of its directory: a reader checks that the file
// still holds exactly that (records, bytes, SHA-256 of those bytes).
type FileStat struct {
	Records int64  `json:"records"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"`
}

// RunInfo is run.json: everything about a run that is not a sample, an interval or a state, and
// the manifest of the files the run owns.
type RunInfo struct {
	// ID identifies the run; State says whether it is still being written; Files are the files
	// the run owns (scenario.yaml and the streams), with what it wrote into each so far.
	ID    string              `json:"id,omitempty"`
	State RunState            `json:"state,omitempty"`
	Files map[string]FileStat `json:"files,omitempty"`

	// Scenario is the scenario's metadata.name.
	Scenario string `json:"scenario"`
	// Provider is sim, kind or kubeconfig.
	Provider string `json:"provider"`
	Seed     int64  `json:"seed"`
	// Start is the wall-clock (real providers) or fixed epoch (simulator) the offsets count from.
	Start time.Time `json:"start"`
	// End is the offset at which the run stopped measuring.
	End time.Duration `json:"end"`
	// Plan lists the versions the cluster was upgraded through, in order, starting with "from".
	Plan   []string `json:"plan"`
	Phases []Phase  `json:"phases"`
	// Current is the phase in progress when run.json was written (From set, To not yet), so
	// that a run killed in it still shows where it was.
	Current    *Phase        `json:"current,omitempty"`
	Preflight  []CheckResult `json:"preflight"`
	Postflight []CheckResult `json:"postflight"`
	Streams    []StreamStats `json:"streams"`
	// Aborted is set when the run was interrupted; the data up to then is kept.
	Aborted     bool   `json:"aborted,omitempty"`
	AbortReason string `json:"abortReason,omitempty"`
	// Error is a harness error that stopped the run, if any.
	Error string `json:"error,omitempty"`
	// Version is the zdt version that made the run.
	Version string `json:"zdtVersion"`
	// Egress is what the run's containers tried to send off the machine (real providers that
	// create containers; nil otherwise).
	Egress *Egress `json:"egress,omitempty"`
}

// Egress is what the containers of a run tried to send off the machine, as the host's packet
// filter refused it (make docker-setup installs the rule): 0 is expected, as nothing a run
// does needs another machine.
type Egress struct {
	// Measured is false where the counters could not be read; Reason says why.
	Measured bool   `json:"measured"`
	Reason   string `json:"reason,omitempty"`
	// Refused and Bytes are the packets the rule refused during the run.
	Refused int64 `json:"refused"`
	Bytes   int64 `json:"bytes"`
	// Destinations are the refused packets' destinations from the kernel log, most packets
	// first (a sample: the log takes at most 20 packets a second).
	Destinations []EgressDestination `json:"destinations,omitempty"`
}

// EgressDestination is one destination of refused packets.
type EgressDestination struct {
	Proto   string `json:"proto"`
	Address string `json:"address"`
	Port    int    `json:"port,omitempty"`
	Source  string `json:"source,omitempty"`
	Packets int64  `json:"packets"`
}
