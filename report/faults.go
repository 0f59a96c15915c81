package report

import (
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
)

// FaultStatus says whether a fault of the scenario reached the cluster.
type FaultStatus string

// The statuses of a fault.
const (
	// FaultApplied means the fault was injected; the outcome has its interval.
	FaultApplied FaultStatus = "applied"
	// FaultNotApplied means the fault's time came but it could not be applied: its target
	// matched nothing, or the provider cannot inject it.
	FaultNotApplied FaultStatus = "not-applied"
	// FaultNotReached means the run ended before the fault's time came.
	FaultNotReached FaultStatus = "not-reached"
)

// FaultOutcome is what became of one fault of the scenario.
type FaultOutcome struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Planned is the fault as the scenario states it, e.g. "NodeCrash on draining at workers+30s for 2m0s".
	Planned string      `json:"planned"`
	Status  FaultStatus `json:"status"`
	// FromSeconds and ToSeconds are when an applied fault was active (equal for instant kinds),
	// or when an unapplied one was tried.
	FromSeconds float64 `json:"fromSeconds,omitempty"`
	ToSeconds   float64 `json:"toSeconds,omitempty"`
	// Detail is what the fault did, or why it was not applied.
	Detail string `json:"detail,omitempty"`
}

// faultOutcomes pairs each fault of the scenario with its records in the timeline.
func (e *evaluation) faultOutcomes() []FaultOutcome {
	out := []FaultOutcome{}
	for i := range e.sc.Spec.Faults {
		f := &e.sc.Spec.Faults[i]
		o := FaultOutcome{Name: f.Name, Kind: string(f.Kind), Status: FaultNotReached}
		if !e.judged {
			o.Planned = f.Describe()
		}
		for ivi := range e.m.Timeline {
			iv := &e.m.Timeline[ivi]
			if iv.Locator.Fault != f.Name {
				continue
			}
			switch iv.Reason {
			case model.ReasonFaultInjected:
				o.Status = FaultApplied
			case model.ReasonFaultNotApplied:
				o.Status = FaultNotApplied
			default:
				continue
			}
			o.FromSeconds, o.ToSeconds = measure.Secs(iv.From), measure.Secs(iv.To)
			o.Detail = strings.TrimPrefix(strings.TrimPrefix(iv.Message, f.Name+": "), "not applied: ")
			break
		}
		out = append(out, o)
	}
	return out
}

// faultsApplied judges whether the cluster went through the faults the scenario states: a run
// that missed one proves nothing about it, so it is inconclusive, never a pass. Scenarios without
// faults have no such criterion.
func (e *evaluation) faultsApplied() []Criterion {
	if len(e.r.Faults) == 0 {
		return nil
	}
	c := Criterion{Name: "faults-applied", Description: "every fault of the scenario was injected", Unit: "faults missed"}
	var missed, unreached []string
	applied := 0
	for i, f := range e.r.Faults {
		switch f.Status {
		case FaultApplied:
			applied++
		case FaultNotApplied:
			missed = append(missed, fmt.Sprintf("%s (%s) at %s: %s", f.Name, f.Kind, At(measure.Duration(f.FromSeconds)), f.Detail))
		case FaultNotReached:
			// The fault as the scenario states it (Planned, which a judged report leaves out).
			unreached = append(unreached, fmt.Sprintf("%s (%s)", f.Name, e.sc.Spec.Faults[i].Describe()))
		}
	}
	stopped := e.info.Aborted || e.info.Error != "" || model.Failed(e.info.Preflight)
	if stopped && len(missed) == 0 {
		return []Criterion{skip(c, fmt.Sprintf("the run stopped early; %d of %d fault(s) applied", applied, len(e.r.Faults)))}
	}
	c.Observed = float64(len(missed) + len(unreached))
	if !e.judged {
		c.Detail = fmt.Sprintf("%d of %d fault(s) applied", applied, len(e.r.Faults))
	}
	if c.Observed == 0 {
		c.Outcome = OutcomePass
		return []Criterion{c}
	}
	c.Outcome = OutcomeInconclusive
	var parts []string
	if len(missed) > 0 {
		parts = append(parts, "not applied: "+strings.Join(missed, "; "))
	}
	if len(unreached) > 0 {
		parts = append(parts, "the run ended before: "+strings.Join(unreached, "; "))
	}
	c.Cause = strings.Join(parts, "; ")
	c.Fix = "time the fault when its target exists (e.g. a node fault on \"draining\" inside a worker pool's rollout), or pick a target the provider can reach; the run says nothing about a fault that did not happen"
	return []Criterion{c}
}
