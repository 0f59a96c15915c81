package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Evaluate computes measurements and the verdict from data in memory (used by sweeps, fast: no
// files, no HTML). sc may be nil when the scenario is unknown; its criteria's defaults apply.
func Evaluate(sc *scenarios.Scenario, info *model.RunInfo, samples []model.Sample, timeline []model.Interval, states []model.StateSample) *Report {
	acc := newAccumulator()
	for i := range samples {
		acc.add(&samples[i])
	}
	return evaluate(sc, info, acc, timeline, states)
}

// evaluation holds what the criteria look at while a report is built.
type evaluation struct {
	sc       *scenarios.Scenario
	info     *model.RunInfo
	timeline []model.Interval
	states   []model.StateSample
	m        measurements
	r        *Report
	floors   map[string]floorLow // lowest margin above the PDB floor, per workload
}

// floorLow is the state sample where a workload came closest to (or went furthest below) its
// PDB floor.
type floorLow struct {
	ready, floor, desired int
	at                    time.Duration
}

func evaluate(sc *scenarios.Scenario, info *model.RunInfo, acc *accumulator, timeline []model.Interval, states []model.StateSample) *Report {
	if sc == nil {
		sc = &scenarios.Scenario{}
		scenarios.SetDefaults(sc)
	}
	if info == nil {
		info = &model.RunInfo{}
	}
	timeline = sortedTimeline(timeline)
	states = slices.Clone(states)
	slices.SortStableFunc(states, func(x, y model.StateSample) int { return cmp.Compare(x.At, y.At) })
	phases := slices.Clone(info.Phases)
	slices.SortStableFunc(phases, func(x, y model.Phase) int { return cmp.Compare(x.From, y.From) })

	end := info.End
	if end == 0 {
		end = acc.maxAt
		for _, iv := range timeline {
			end = max(end, iv.To)
		}
	}
	r := &Report{
		SchemaVersion:   SchemaVersion,
		Scenario:        cmp.Or(info.Scenario, sc.Metadata.Name),
		Provider:        info.Provider,
		Seed:            info.Seed,
		ZDTVersion:      info.Version,
		From:            sc.Spec.Versions.From,
		To:              sc.Spec.Versions.To,
		Plan:            info.Plan,
		DurationSeconds: secs(end),
		Aborted:         info.Aborted,
		AbortReason:     info.AbortReason,
		Error:           info.Error,
	}
	e := &evaluation{sc: sc, info: info, timeline: timeline, states: states, r: r, floors: map[string]floorLow{}}
	e.m = acc.finish(phases, timeline, states)
	r.Requests = e.m.requests
	r.Disruption = e.m.disruption
	r.API = e.m.api
	r.APIDowntimeSeconds = e.m.api.Seconds
	r.PDBStalls = pdbStalls(timeline)
	r.Capacity = e.capacity()
	r.Phases, r.UpgradeSeconds = phaseDurations(phases)
	r.Preflight = checks(info.Preflight)
	r.Postflight = checks(info.Postflight)
	r.Measurement = measurement(info.Streams)
	nilToEmpty(r)
	r.Criteria = e.criteria()
	r.Verdict, r.VerdictReason = verdict(r.Criteria)
	r.series = &series{end: end, bins: acc.bins, states: states, timeline: timeline}
	for _, t := range r.Requests.ByTarget {
		r.series.targets = append(r.series.targets, t.Target)
	}
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

// sortedTimeline returns the intervals in a fixed order: by start, end, reason and locator.
func sortedTimeline(in []model.Interval) []model.Interval {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(x, y model.Interval) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To), cmp.Compare(x.Reason, y.Reason),
			strings.Compare(locatorString(x.Locator), locatorString(y.Locator)), strings.Compare(x.Message, y.Message))
	})
	return out
}

// pdbStalls lists the evictions that budgets refused (EvictionBlocked intervals).
func pdbStalls(timeline []model.Interval) PDBStalls {
	s := PDBStalls{Stalls: []PDBStall{}}
	var longest time.Duration
	var total time.Duration
	for _, iv := range timeline {
		if iv.Reason != model.ReasonEvictionBlocked {
			continue
		}
		d := iv.Duration()
		s.Stalls = append(s.Stalls, PDBStall{PDB: iv.Locator.PDB, Pod: iv.Locator.Pod, Node: iv.Locator.Node,
			FromSeconds: secs(iv.From), ToSeconds: secs(iv.To), Seconds: secs(d), Message: iv.Message})
		total += d
		longest = max(longest, d)
	}
	s.Count = len(s.Stalls)
	s.TotalSeconds = secs(total)
	s.LongestSeconds = secs(longest)
	return s
}

// longestStall returns the longest stall, the first one on a tie.
func (s PDBStalls) longestStall() (PDBStall, bool) {
	var best PDBStall
	found := false
	for _, st := range s.Stalls {
		if !found || st.Seconds > best.Seconds {
			best, found = st, true
		}
	}
	return best, found
}

// capacity finds the lowest ready replicas of each workload and the lowest schedulable capacity.
func (e *evaluation) capacity() Capacity {
	c := Capacity{Workloads: []WorkloadCapacity{}, Samples: len(e.states)}
	byName := map[string]*WorkloadCapacity{}
	var names []string
	for i, s := range e.states {
		next := s.At
		if i+1 < len(e.states) {
			next = e.states[i+1].At
		}
		if i == 0 || s.SchedulableNodes < c.MinSchedulableNodes {
			c.MinSchedulableNodes = s.SchedulableNodes
			c.MinSchedulableAt = secs(s.At)
		}
		if i == 0 || s.FreeCPUMilli < c.MinFreeCPUMilli {
			c.MinFreeCPUMilli = s.FreeCPUMilli
		}
		if i == 0 || s.FreeMemoryBytes < c.MinFreeMemoryBytes {
			c.MinFreeMemoryBytes = s.FreeMemoryBytes
		}
		for _, w := range s.Workloads {
			wc := byName[w.Name]
			pct := percent(w.Ready, w.Desired)
			if wc == nil {
				wc = &WorkloadCapacity{Workload: w.Name, MinReady: w.Ready, MinReadyAtSeconds: secs(s.At), Desired: w.Desired,
					MinReadyPercent: pct, PDBFloor: w.PDBFloor, MinEndpoints: w.Endpoints}
				byName[w.Name] = wc
				names = append(names, w.Name)
			}
			if w.Ready < wc.MinReady {
				wc.MinReady, wc.MinReadyAtSeconds, wc.Desired = w.Ready, secs(s.At), w.Desired
			}
			wc.MinReadyPercent = min(wc.MinReadyPercent, pct)
			wc.MinEndpoints = min(wc.MinEndpoints, w.Endpoints)
			if w.PDBFloor >= 0 {
				wc.PDBFloor = max(wc.PDBFloor, w.PDBFloor)
				low, ok := e.floors[w.Name]
				if !ok || w.Ready-w.PDBFloor < low.ready-low.floor {
					e.floors[w.Name] = floorLow{ready: w.Ready, floor: w.PDBFloor, desired: w.Desired, at: s.At}
				}
				if w.Ready < w.PDBFloor {
					wc.BelowFloorSeconds += seconds(next - s.At)
				}
			}
		}
	}
	slices.Sort(names)
	for _, n := range names {
		wc := byName[n]
		wc.BelowFloorSeconds = round(wc.BelowFloorSeconds, 3)
		c.Workloads = append(c.Workloads, *wc)
	}
	return c
}

func percent(a, b int) float64 {
	if b <= 0 {
		return 100
	}
	return round(100*float64(a)/float64(b), 2)
}

// phaseDurations lists the phases and the duration of the upgrade proper: from the start of
// the first phase that is not a preflight to the end of the last that is not a postflight.
func phaseDurations(phases []model.Phase) ([]Phase, float64) {
	var out []Phase
	var from, to time.Duration
	seen := false
	for _, p := range phases {
		out = append(out, Phase{Name: p.Name, Step: p.Step, FromSeconds: secs(p.From), ToSeconds: secs(p.To),
			Seconds: secs(p.To - p.From), Outcome: string(p.Outcome), Message: p.Message})
		if isUpgradePhase(p) {
			if !seen || p.From < from {
				from = p.From
			}
			to = max(to, p.To)
			seen = true
		}
	}
	if !seen {
		return out, 0
	}
	return out, secs(to - from)
}

func isUpgradePhase(p model.Phase) bool {
	return p.Name.IsUpgrade() && p.Outcome != model.PhaseSkipped
}

func checks(in []model.CheckResult) []Check {
	out := []Check{}
	for _, c := range in {
		out = append(out, Check{Name: c.Name, Status: string(c.Status), Message: c.Message, Fix: c.Fix})
	}
	return out
}

// Thresholds of measurement reliability: a stream that sent less than its plan by more than
// maxShortfallPercent, lost samples, or fell behind by more than maxLag makes the run
// inconclusive.
const (
	maxShortfallPercent = 1.0
	maxLag              = time.Second
)

func measurement(streams []model.StreamStats) Measurement {
	m := Measurement{Reliable: true, Streams: []StreamStats{}}
	sorted := slices.Clone(streams)
	slices.SortStableFunc(sorted, func(x, y model.StreamStats) int {
		return cmp.Or(strings.Compare(x.Target, y.Target), cmp.Compare(x.Conn, y.Conn))
	})
	for _, s := range sorted {
		name := s.Target + "/" + string(s.Conn)
		m.Streams = append(m.Streams, StreamStats{Target: s.Target, Conn: string(s.Conn), Planned: s.Planned, Sent: s.Sent,
			Recorded: s.Recorded, MaxLagMs: round(ms(s.MaxLag), 3)})
		if sf := shortfall(s); sf > maxShortfallPercent {
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s sent %d of %d planned requests (%.1f%% short): the load generator fell behind", name, s.Sent, s.Planned, sf))
		}
		if s.Recorded < s.Sent {
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s recorded %d of %d sent requests: %d samples lost", name, s.Recorded, s.Sent, s.Sent-s.Recorded))
		}
		if s.MaxLag > maxLag {
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s sent requests up to %s late (more than %s)", name, s.MaxLag, maxLag))
		}
	}
	if len(streams) == 0 {
		m.Problems = append(m.Problems, "run.json lists no load stream: zdt cannot tell whether the load generator kept up")
	}
	m.Reliable = len(m.Problems) == 0
	return m
}

// shortfall is how far a stream fell short of its plan, in percent.
func shortfall(s model.StreamStats) float64 {
	if s.Planned <= 0 || s.Sent >= s.Planned {
		return 0
	}
	return 100 * float64(s.Planned-s.Sent) / float64(s.Planned)
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
		return Inconclusive, fmt.Sprintf("nothing failed, but %d of %d criteria could not be measured reliably: %s", len(inconclusive), evaluated, strings.Join(inconclusive, ", "))
	default:
		return Pass, fmt.Sprintf("all %d criteria passed", evaluated)
	}
}
