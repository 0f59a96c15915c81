package report

import "slices"

// MetricKind says what a run's figure measures, and so which threshold judges its increase.
type MetricKind string

// The kinds of figures zdt compares between runs and keeps a history of.
const (
	KindDropped    MetricKind = "dropped"
	KindDisruption MetricKind = "disruption"
	KindStalls     MetricKind = "stalls"
	KindStall      MetricKind = "stall"
	KindAPI        MetricKind = "api-downtime"
	KindDuration   MetricKind = "duration"
)

// Metric is one figure of a run, as zdt compare, zdt baseline and the OpenMetrics file see it.
type Metric struct {
	// Name is dropped-requests, disruption/BACKEND, pdb-stalls, pdb-stall-longest,
	// pdb-stall-total, api-downtime, upgrade-duration or phase/PHASE.
	Name string
	Unit string
	Kind MetricKind
	// Key names the figure across runs: Name, or STEP/PHASE for a phase of a step of the plan.
	Key   string
	Value float64
	// Phase and Step are set for a phase's duration; Backend for a disruption.
	Phase, Step, Backend string
}

// Metrics returns the run's figures in a fixed order: dropped requests, each backend's
// disruption (by name), PDB stalls (count, longest, total), API downtime, the upgrade's
// duration, then each phase's duration in the order the phases ran (a phase that ran several
// times in a step summed).
func (r *Report) Metrics() []Metric {
	ms := []Metric{{Name: "dropped-requests", Unit: "requests", Kind: KindDropped, Value: float64(r.Requests.Dropped)}}
	var backends []Metric
	for _, d := range r.Disruption {
		backends = append(backends, Metric{Name: "disruption/" + d.Backend, Unit: "seconds", Kind: KindDisruption, Value: d.Seconds, Backend: d.Backend})
	}
	slices.SortStableFunc(backends, func(a, b Metric) int { return compareStrings(a.Name, b.Name) })
	ms = append(ms, backends...)
	ms = append(ms,
		Metric{Name: "pdb-stalls", Unit: "stalls", Kind: KindStalls, Value: float64(r.PDBStalls.Count)},
		Metric{Name: "pdb-stall-longest", Unit: "seconds", Kind: KindStall, Value: r.PDBStalls.LongestSeconds},
		Metric{Name: "pdb-stall-total", Unit: "seconds", Kind: KindStall, Value: r.PDBStalls.TotalSeconds},
		Metric{Name: "api-downtime", Unit: "seconds", Kind: KindAPI, Value: r.APIDowntimeSeconds},
		Metric{Name: "upgrade-duration", Unit: "seconds", Kind: KindDuration, Value: r.UpgradeSeconds},
	)
	at := map[string]int{}
	for _, p := range r.Phases {
		key := p.Step + "/" + string(p.Name)
		if i, ok := at[key]; ok {
			ms[i].Value += p.Seconds
			continue
		}
		at[key] = len(ms)
		ms = append(ms, Metric{Name: "phase/" + string(p.Name), Unit: "seconds", Kind: KindDuration, Key: key, Value: p.Seconds, Phase: string(p.Name), Step: p.Step})
	}
	for i := range ms {
		if ms[i].Key == "" {
			ms[i].Key = ms[i].Name
		}
	}
	return ms
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
