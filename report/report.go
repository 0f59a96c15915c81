package report

import (
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
)

// SchemaVersion identifies the layout of report.json; it changes only when a field is removed or
// changes meaning (fields may be added within one version). See SCHEMA.md.
const SchemaVersion = "zdt.dev/report/v1"

// Verdict is the outcome of a run.
type Verdict string

// The verdicts of a run.
const (
	// Pass means every criterion held and the measurement was reliable.
	Pass Verdict = "PASS"
	// Fail means at least one criterion (or a preflight or postflight check) failed.
	Fail Verdict = "FAIL"
	// Inconclusive means nothing failed but zdt could not measure reliably, or the run stopped
	// early: never reported as a pass.
	Inconclusive Verdict = "INCONCLUSIVE"
)

// ExitCode returns the exit code of zdt for the verdict: 0 PASS, 1 FAIL, 3 INCONCLUSIVE.
func (v Verdict) ExitCode() int {
	switch v {
	case Pass:
		return 0
	case Fail:
		return 1
	default:
		return 3
	}
}

// Outcome is how one criterion came out.
type Outcome string

// The outcomes of a criterion.
const (
	// OutcomePass means the observed value is within the limit.
	OutcomePass Outcome = "pass"
	// OutcomeFail means the observed value broke the limit.
	OutcomeFail Outcome = "fail"
	// OutcomeInconclusive means the value could not be measured reliably, or the run did not do
	// what the scenario says (a fault not applied).
	OutcomeInconclusive Outcome = "inconclusive"
	// OutcomeSkipped means the criterion does not apply because the run stopped before it could
	// be measured (e.g. a failed preflight); it does not change the verdict.
	OutcomeSkipped Outcome = "skipped"
)

// Report is everything zdt measured in one run and the verdict. It is report.json.
type Report struct {
	// SchemaVersion is SchemaVersion.
	SchemaVersion string `json:"schemaVersion"`
	// Scenario is the scenario's name, Provider the provider that ran it, Seed its seed.
	Scenario   string `json:"scenario"`
	Provider   string `json:"provider"`
	Seed       int64  `json:"seed"`
	ZDTVersion string `json:"zdtVersion,omitempty"`
	// From and To are the versions of the upgrade; Plan the versions it went through.
	From string   `json:"from,omitempty"`
	To   string   `json:"to,omitempty"`
	Plan []string `json:"plan,omitempty"`
	// DurationSeconds is how long the run measured.
	DurationSeconds float64 `json:"durationSeconds"`
	// Aborted, AbortReason and Error come from run.json.
	Aborted     bool   `json:"aborted,omitempty"`
	AbortReason string `json:"abortReason,omitempty"`
	Error       string `json:"error,omitempty"`

	// Verdict is PASS, FAIL or INCONCLUSIVE; VerdictReason says why in one sentence.
	Verdict       Verdict `json:"verdict"`
	VerdictReason string  `json:"verdictReason"`
	// Criteria are every criterion the run was judged by, in a fixed order.
	Criteria []Criterion `json:"criteria"`

	Requests Requests `json:"requests"`
	// Disruption is the disrupted time per backend (target and connection mode).
	Disruption []BackendDisruption `json:"disruption"`
	PDBStalls  PDBStalls           `json:"pdbStalls"`
	Capacity   Capacity            `json:"capacity"`
	// APIDowntimeSeconds is the total time the Kubernetes API was unavailable; API has the detail.
	APIDowntimeSeconds float64     `json:"apiDowntimeSeconds"`
	API                APIDowntime `json:"api"`
	Phases             []Phase     `json:"phases"`
	// UpgradeSeconds is the duration of the whole upgrade: first phase after preflight to the
	// end of the last phase before postflight.
	UpgradeSeconds float64 `json:"upgradeSeconds"`
	Preflight      []Check `json:"preflight"`
	Postflight     []Check `json:"postflight"`
	// Faults lists each fault of the scenario, applied or not, with its interval.
	Faults      []FaultOutcome `json:"faults"`
	Measurement Measurement    `json:"measurement"`
	// Coverage is how densely the load covered the run.
	Coverage Coverage `json:"coverage"`
	// Egress is what the run's containers tried to send off the machine (kind runs).
	Egress *model.Egress `json:"egress,omitempty"`

	// Series holds the per-second data of the plots; it is not part of report.json.
	Series *measure.Series `json:"-"`
}

// Criterion is one line of the verdict.
type Criterion struct {
	// Name identifies the criterion, e.g. "dropped-requests" or "pdb-floor/web".
	Name string `json:"name"`
	// Description says what is checked.
	Description string `json:"description"`
	// Observed and Limit are in Unit; Limit is the scenario's threshold.
	Observed float64 `json:"observed"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit"`
	// Passed is true only when Outcome is pass.
	Passed  bool    `json:"passed"`
	Outcome Outcome `json:"outcome"`
	// Detail says what was seen, in a sentence.
	Detail string `json:"detail,omitempty"`
	// Cause is the likely cause of a failure, derived from the run's data; Fix what to change.
	Cause string `json:"cause,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

// The measurements of report.json, as package measure computes them.
type (
	Requests          = measure.Requests
	ConnCount         = measure.ConnCount
	TargetRequests    = measure.TargetRequests
	Latency           = measure.Latency
	ErrorCount        = measure.ErrorCount
	DropWindow        = measure.DropWindow
	TimelineRef       = measure.TimelineRef
	BackendDisruption = measure.BackendDisruption
	PDBStalls         = measure.PDBStalls
	PDBStall          = measure.PDBStall
	Capacity          = measure.Capacity
	WorkloadCapacity  = measure.WorkloadCapacity
	APIDowntime       = measure.APIDowntime
	Window            = measure.Window
	Phase             = measure.Phase
	Check             = measure.Check
	Measurement       = measure.Measurement
	StreamStats       = measure.StreamStats
	Coverage          = measure.Coverage
	StreamCoverage    = measure.StreamCoverage
)
