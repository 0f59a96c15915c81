package report

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
	"github.com/zdt-dev/zdt/scenarios"
)

// Evaluate computes measurements and the verdict from data in memory (fast: no
// files, no HTML). sc may be nil when the scenario is unknown; its criteria's defaults apply.
func Evaluate(sc *scenarios.Scenario, info *model.RunInfo, samples []model.Sample, timeline []model.Interval, states []model.StateSample) *Report {
	return evaluate(sc, info, accumulate(sc, samples), timeline, states, nil, false, false)
}

// accumulate feeds samples to an accumulator at the scenario's resolution.
func accumulate(sc *scenarios.Scenario, samples []model.Sample) *measure.Accumulator {
	acc := measure.NewAccumulator(resolution(sc))
	for i := range samples {
		acc.Add(&samples[i])
	}
	return acc
}

// resolution is the scenario's criteria.resolution, 0 when it sets none.
func resolution(sc *scenarios.Scenario) time.Duration {
	if sc != nil && sc.Spec.Criteria.Resolution != nil {
		return sc.Spec.Criteria.Resolution.Duration
	}
	return 0
}

// evaluation holds what the criteria look at while a report is built.
type evaluation struct {
	sc   *scenarios.Scenario
	info *model.RunInfo
	m    *measure.Result
	r    *Report
	// integrity lists what does not hold up in the run directory's files; nil when the run was
	// evaluated in memory.
	integrity *[]string
	// judged says the report is report.Judging's: the criteria get no formatted Detail and
	// the faults no Planned, which no criterion, cause or judge reads.
	judged bool
	// faultDrops are the explanations of drop windows made so far by an injected fault, by
	// fault, node and target: a fault often explains many windows.
	faultDrops map[faultDropKey]faultDrop
}

type faultDropKey struct{ fault, node, target string }

type faultDrop struct {
	key, what string
	fix       func(*finding) string
}

// evaluate makes the report; inPlace says that timeline and states are handed over (the
// caller's own records, read from files or recorded for this report), to be put in order
// where they are.
func evaluate(sc *scenarios.Scenario, info *model.RunInfo, acc *measure.Accumulator, timeline []model.Interval, states []model.StateSample, integrity *[]string, inPlace, judged bool) *Report {
	if sc == nil {
		sc = &scenarios.Scenario{}
		scenarios.SetDefaults(sc)
	}
	if info == nil {
		info = &model.RunInfo{}
	}
	measureRun := measure.Measure
	if inPlace {
		measureRun = measure.MeasureInPlace
	}
	m := measureRun(acc, info, timeline, states)
	r := &Report{
		SchemaVersion:   SchemaVersion,
		Scenario:        cmp.Or(info.Scenario, sc.Metadata.Name),
		Provider:        info.Provider,
		Seed:            info.Seed,
		ZDTVersion:      info.Version,
		From:            sc.Spec.Versions.From,
		To:              sc.Spec.Versions.To,
		Plan:            info.Plan,
		DurationSeconds: measure.Secs(m.End),
		Aborted:         info.Aborted,
		AbortReason:     info.AbortReason,
		Error:           info.Error,

		Requests:           m.Requests,
		Disruption:         m.Disruption,
		API:                m.API,
		APIDowntimeSeconds: m.API.Seconds,
		PDBStalls:          m.PDBStalls,
		Capacity:           m.Capacity,
		Phases:             m.PhaseList,
		UpgradeSeconds:     m.UpgradeSeconds,
		Preflight:          m.Preflight,
		Postflight:         m.Postflight,
		Measurement:        m.Measurement,
		Coverage:           m.Coverage,
		Egress:             info.Egress,
		Series:             m.Series,
	}
	e := &evaluation{sc: sc, info: info, m: m, r: r, integrity: integrity, judged: judged}
	r.Faults = e.faultOutcomes()
	nilToEmpty(r)
	r.Criteria = e.criteria()
	r.Verdict, r.VerdictReason = verdict(r.Criteria)
	return r
}

// nilToEmpty makes empty lists render as [] rather than null, so that report.json is the same
// shape for every run.
func nilToEmpty(r *Report) {
	if r.Plan == nil {
		r.Plan = []string{}
	}
	if r.Requests.ByConn == nil {
		r.Requests.ByConn = []ConnCount{}
	}
	if r.Requests.ByTarget == nil {
		r.Requests.ByTarget = []TargetRequests{}
	}
	if r.Requests.Errors == nil {
		r.Requests.Errors = []ErrorCount{}
	}
	if r.Requests.Windows == nil {
		r.Requests.Windows = []DropWindow{}
	}
	if r.Disruption == nil {
		r.Disruption = []BackendDisruption{}
	}
	if r.Capacity.Workloads == nil {
		r.Capacity.Workloads = []WorkloadCapacity{}
	}
	if r.Phases == nil {
		r.Phases = []Phase{}
	}
}

// verdict derives the run's verdict from its criteria: any failure fails the run; otherwise any
// inconclusive criterion makes it inconclusive.
func verdict(cs []Criterion) (Verdict, string) {
	var failed, inconclusive []string
	evaluated := 0
	for _, c := range cs {
		switch c.Outcome {
		case OutcomeFail:
			failed = append(failed, c.Name)
		case OutcomeInconclusive:
			inconclusive = append(inconclusive, c.Name)
		}
		if c.Outcome != OutcomeSkipped {
			evaluated++
		}
	}
	switch {
	case len(failed) > 0:
		return Fail, fmt.Sprintf("%d of %d criteria failed: %s", len(failed), evaluated, strings.Join(failed, ", "))
	case len(inconclusive) > 0:
		return Inconclusive, fmt.Sprintf("nothing failed, but %d of %d criteria are inconclusive (not measured reliably, or the run did not do what the scenario says): %s", len(inconclusive), evaluated, strings.Join(inconclusive, ", "))
	default:
		return Pass, fmt.Sprintf("all %d criteria passed", evaluated)
	}
}
