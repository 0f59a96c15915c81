package measure

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// Result is every measurement of one run, from its samples, timeline, states and run.json.
type Result struct {
	// End is how long the run measured.
	End time.Duration
	// Timeline, States and Phases are the run's records in a fixed order.
	Timeline []model.Interval
	States   []model.StateSample
	Phases   []model.Phase

	Requests   Requests
	Disruption []BackendDisruption
	API        APIDowntime
	// Windows are the drop windows at full precision, in the order of Requests.Windows;
	// APIWindows the stretches of API unavailability.
	Windows, APIWindows []Span
	PDBStalls           PDBStalls
	Capacity            Capacity
	// Floors is, per workload with a PDB, the sample closest to (or furthest below) its floor.
	Floors map[string]Floor
	// PhaseList is the phases as reported; UpgradeSeconds the upgrade proper.
	PhaseList      []Phase
	UpgradeSeconds float64
	Preflight      []Check
	Postflight     []Check
	Coverage       Coverage
	Measurement    Measurement
	// Series is the per-second data of the plots.
	Series *Series
}

// Measure measures a run: the samples the accumulator holds, the timeline and the states (in
// any order), and run.json.
func Measure(acc *Accumulator, info *model.RunInfo, timeline []model.Interval, states []model.StateSample) *Result {
	return measure(acc, info, timeline, states, false)
}

// MeasureInPlace is Measure for a caller that hands over its timeline and states: they are
// put in order where they are, not copied (report.Judging's, which are the run's own).
func MeasureInPlace(acc *Accumulator, info *model.RunInfo, timeline []model.Interval, states []model.StateSample) *Result {
	return measure(acc, info, timeline, states, true)
}

func measure(acc *Accumulator, info *model.RunInfo, timeline []model.Interval, states []model.StateSample, inPlace bool) *Result {
	if info == nil {
		info = &model.RunInfo{}
	}
	timeline = sortedTimeline(timeline, inPlace, &acc.timelineKeys)
	if !inPlace {
		states = slices.Clone(states)
	}
	// Recorders see the state samples in time order: most often they need no sorting.
	byAt := func(x, y model.StateSample) int { return cmp.Compare(x.At, y.At) }
	if !slices.IsSortedFunc(states, byAt) {
		slices.SortStableFunc(states, byAt)
	}
	phases := slices.Clone(info.Phases)
	slices.SortStableFunc(phases, func(x, y model.Phase) int { return cmp.Compare(x.From, y.From) })
	end := info.End
	if end == 0 {
		end = acc.maxAt
		for ivi := range timeline {
			iv := &timeline[ivi]
			end = max(end, iv.To)
		}
	}
	r := &Result{End: end, Timeline: timeline, States: states, Phases: phases}
	m := acc.finish(phases, timeline, states)
	r.Requests, r.Disruption, r.API, r.Windows, r.APIWindows = m.requests, m.disruption, m.api, m.windows, m.apiWindows
	r.PDBStalls = pdbStalls(timeline)
	r.Capacity, r.Floors = capacity(states)
	r.PhaseList, r.UpgradeSeconds = phaseDurations(phases)
	r.Preflight = checks(info.Preflight)
	r.Postflight = checks(info.Postflight)
	r.Measurement = measurement(info.Streams, acc)
	r.Coverage = loadCoverage(acc, phases, end)
	r.Series = &Series{End: end, Bins: acc.bins, States: states, Timeline: timeline}
	for _, t := range r.Requests.ByTarget {
		r.Series.Targets = append(r.Series.Targets, t.Target)
	}
	return r
}

// DefaultResolution is the shortest disruption a run must be able to see when the scenario
// states none (criteria.resolution).
const DefaultResolution = time.Second

// Duration turns seconds as report.json writes them back into a duration.
func Duration(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// Floor is the state sample where a workload came closest to (or went furthest below) its PDB
// floor.
type Floor struct {
	Ready, Floor, Desired int
	At                    time.Duration
}

// timelineKey is an interval's place in the timeline and the first fields sortedTimeline
// compares, so that most comparisons read no interval.
type timelineKey struct {
	from, to time.Duration
	reason   model.Reason
	i        int
}

// sortedTimeline returns the intervals in a fixed order: by start, end, reason and locator.
// The sort keys go in *scratch, kept for the next call.
func sortedTimeline(in []model.Interval, inPlace bool, scratch *[]timelineKey) []model.Interval {
	keys := slices.Grow((*scratch)[:0], len(in))[:len(in)]
	defer func() { clear(keys); *scratch = keys[:0] }()
	for i := range in {
		keys[i] = timelineKey{in[i].From, in[i].To, in[i].Reason, i}
	}
	compare := func(a, b *timelineKey) int {
		// Compared one by one: cmp.Or would compare the reasons every time. Locators are
		// compared as their strings would be, without making them.
		switch {
		case a.from != b.from:
			return cmp.Compare(a.from, b.from)
		case a.to != b.to:
			return cmp.Compare(a.to, b.to)
		case a.reason != b.reason:
			return strings.Compare(string(a.reason), string(b.reason))
		}
		x, y := &in[a.i], &in[b.i]
		if x.Locator != y.Locator {
			if c := CompareLocators(&x.Locator, &y.Locator); c != 0 {
				return c
			}
		}
		return cmp.Or(strings.Compare(x.Message, y.Message), cmp.Compare(a.i, b.i))
	}
	// A run's intervals are recorded as they end, so they come mostly in order of their start:
	// an insertion sort makes one comparison for an interval already in its place, and finds
	// the place of one that is not (a long interval, recorded late) by binary search. Equal
	// intervals keep their order (the position breaks ties, so the order is total and any
	// sort gives it). A long timeline far from sorted goes to pdqsort.
	moves := 0
	for j := 1; j < len(keys); j++ {
		if compare(&keys[j-1], &keys[j]) <= 0 {
			continue
		}
		k := keys[j]
		i := sort.Search(j-1, func(m int) bool { return compare(&keys[m], &k) > 0 })
		copy(keys[i+1:j+1], keys[i:j])
		keys[i] = k
		if moves += j - i; moves > 64*len(keys)+4096 {
			slices.SortFunc(keys, func(a, b timelineKey) int { return compare(&a, &b) })
			break
		}
	}
	if inPlace {
		// Each interval moves to its place following the cycles of the permutation: the
		// interval at place i goes to the place of key i, which then points at its own place.
		for start := range keys {
			if keys[start].i == start {
				continue
			}
			tmp := in[start]
			i := start
			for {
				from := keys[i].i
				keys[i].i = i
				if from == start {
					in[i] = tmp
					break
				}
				in[i] = in[from]
				i = from
			}
		}
		return in
	}
	out := make([]model.Interval, len(in))
	for i, k := range keys {
		out[i] = in[k.i]
	}
	return out
}

// pdbStalls lists the evictions that budgets refused (EvictionBlocked intervals).
func pdbStalls(timeline []model.Interval) PDBStalls {
	s := PDBStalls{Stalls: []PDBStall{}}
	var longest time.Duration
	var total time.Duration
	for ivi := range timeline {
		iv := &timeline[ivi]
		if iv.Reason != model.ReasonEvictionBlocked {
			continue
		}
		d := iv.Duration()
		s.Stalls = append(s.Stalls, PDBStall{PDB: iv.Locator.PDB, Pod: iv.Locator.Pod, Node: iv.Locator.Node,
			FromSeconds: Secs(iv.From), ToSeconds: Secs(iv.To), Seconds: Secs(d), Message: iv.Message})
		total += d
		longest = max(longest, d)
	}
	s.Count = len(s.Stalls)
	s.TotalSeconds = Secs(total)
	s.LongestSeconds = Secs(longest)
	return s
}

// LongestStall returns the longest stall, the first one on a tie.
func (s PDBStalls) LongestStall() (PDBStall, bool) {
	var best PDBStall
	found := false
	for _, st := range s.Stalls {
		if !found || st.Seconds > best.Seconds {
			best, found = st, true
		}
	}
	return best, found
}

// capacity finds the lowest ready replicas of each workload and the lowest schedulable
// capacity, and each workload's closest approach to its PDB floor.
func capacity(states []model.StateSample) (Capacity, map[string]Floor) {
	floors := map[string]Floor{}
	c := Capacity{Workloads: []WorkloadCapacity{}, Samples: len(states)}
	byName := map[string]*workloadCapacity{}
	var byPos []*workloadCapacity // by place in the last sample's list
	var names []string
	for i, s := range states {
		next := s.At
		if i+1 < len(states) {
			next = states[i+1].At
		}
		if i == 0 || s.SchedulableNodes < c.MinSchedulableNodes {
			c.MinSchedulableNodes = s.SchedulableNodes
			c.MinSchedulableAt = Secs(s.At)
		}
		if i == 0 || s.FreeCPUMilli < c.MinFreeCPUMilli {
			c.MinFreeCPUMilli = s.FreeCPUMilli
		}
		if i == 0 || s.FreeMemoryBytes < c.MinFreeMemoryBytes {
			c.MinFreeMemoryBytes = s.FreeMemoryBytes
		}
		for j, w := range s.Workloads {
			// The samples list the workloads in the same order, mostly.
			var wc *workloadCapacity
			if j < len(byPos) && byPos[j].Workload == w.Name {
				wc = byPos[j]
			} else {
				wc = byName[w.Name]
			}
			// A workload's counts mostly stay as they were in the sample before.
			var pct float64
			if wc != nil && w.Ready == wc.lastReady && w.Desired == wc.lastDesired {
				pct = wc.lastPct
			} else {
				pct = percent(w.Ready, w.Desired)
			}
			if wc == nil {
				wc = &workloadCapacity{WorkloadCapacity: WorkloadCapacity{Workload: w.Name, MinReady: w.Ready, MinReadyAtSeconds: Secs(s.At), Desired: w.Desired,
					MinReadyPercent: pct, PDBFloor: w.PDBFloor, MinEndpoints: w.Endpoints}}
				byName[w.Name] = wc
				names = append(names, w.Name)
			}
			wc.lastReady, wc.lastDesired, wc.lastPct = w.Ready, w.Desired, pct
			if j < len(byPos) {
				byPos[j] = wc
			} else if j == len(byPos) {
				byPos = append(byPos, wc)
			}
			if w.Ready < wc.MinReady {
				wc.MinReady, wc.MinReadyAtSeconds, wc.Desired = w.Ready, Secs(s.At), w.Desired
			}
			wc.MinReadyPercent = min(wc.MinReadyPercent, pct)
			wc.MinEndpoints = min(wc.MinEndpoints, w.Endpoints)
			if w.PDBFloor >= 0 {
				wc.PDBFloor = max(wc.PDBFloor, w.PDBFloor)
				if low := &wc.floor; !wc.hasFloor || w.Ready-w.PDBFloor < low.Ready-low.Floor {
					wc.floor, wc.hasFloor = Floor{Ready: w.Ready, Floor: w.PDBFloor, Desired: w.Desired, At: s.At}, true
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
		if wc.hasFloor {
			floors[n] = wc.floor
		}
		wc.BelowFloorSeconds = Round(wc.BelowFloorSeconds, 3)
		c.Workloads = append(c.Workloads, wc.WorkloadCapacity)
	}
	return c, floors
}

// workloadCapacity is a WorkloadCapacity being measured, with the last sample's counts and
// their percentage.
type workloadCapacity struct {
	WorkloadCapacity
	lastReady, lastDesired int
	lastPct                float64
	// floor is the sample closest to (or furthest below) the PDB floor so far.
	floor    Floor
	hasFloor bool
}

func percent(a, b int) float64 {
	if b <= 0 {
		return 100
	}
	return Round(100*float64(a)/float64(b), 2)
}

// phaseDurations lists the phases and the duration of the upgrade proper: from the start of
// the first phase that is not a preflight to the end of the last that is not a postflight.
func phaseDurations(phases []model.Phase) ([]Phase, float64) {
	var out []Phase
	var from, to time.Duration
	seen := false
	for _, p := range phases {
		out = append(out, Phase{Name: p.Name, Step: p.Step, FromSeconds: Secs(p.From), ToSeconds: Secs(p.To),
			Seconds: Secs(p.To - p.From), Outcome: string(p.Outcome), Message: p.Message})
		if IsUpgradePhase(p) {
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
	return out, Secs(to - from)
}

// IsUpgradePhase reports whether a phase is part of the upgrade proper and ran.
func IsUpgradePhase(p model.Phase) bool {
	return p.Name.IsUpgrade() && p.Outcome != model.PhaseSkipped
}

// checks copies check results into the report's form.
func checks(in []model.CheckResult) []Check {
	out := make([]Check, 0, len(in))
	for _, c := range in {
		out = append(out, Check{Name: c.Name, Status: string(c.Status), Message: c.Message, Fix: c.Fix})
	}
	return out
}

// Thresholds of measurement reliability: a stream that sent less than its plan by more than
// MaxShortfallPercent, or lost samples, makes the run inconclusive. How late a stream sent its
// requests (StreamStats.MaxLag) is reported, not judged here: what lateness can cost is a gap in
// the schedule long enough to hide a disruption, and the load-coverage criterion judges exactly
// that gap, per stream, against criteria.resolution.
const MaxShortfallPercent = 1.0

func measurement(streams []model.StreamStats, acc *Accumulator) Measurement {
	m := Measurement{Reliable: true, Streams: make([]StreamStats, 0, len(streams))}
	sorted := slices.Clone(streams)
	slices.SortStableFunc(sorted, func(x, y model.StreamStats) int {
		return cmp.Or(strings.Compare(x.Target, y.Target), cmp.Compare(x.Conn, y.Conn))
	})
	for _, s := range sorted {
		var readBack int64
		if b := acc.backends[backendKey{s.Target, s.Conn}]; b != nil {
			readBack = b.total
		}
		m.Streams = append(m.Streams, StreamStats{Target: s.Target, Conn: string(s.Conn), Planned: s.Planned, Sent: s.Sent,
			Recorded: s.Recorded, ReadBack: readBack, MaxLagMs: Round(ms(s.MaxLag), 3)})
		// What counts is what was read back, not what the load generator says it wrote.
		switch {
		case readBack < s.Recorded:
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s/%s recorded %d requests, but the samples read back hold %d: %d lost or cut from the samples",
				s.Target, s.Conn, s.Recorded, readBack, s.Recorded-readBack))
		case readBack > s.Recorded:
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s/%s recorded %d requests, but the samples read back hold %d: samples of another run?",
				s.Target, s.Conn, s.Recorded, readBack))
		}
		if sf := Shortfall(s); sf > MaxShortfallPercent {
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s/%s sent %d of %d planned requests (%.1f%% short): the load generator fell behind", s.Target, s.Conn, s.Sent, s.Planned, sf))
		}
		if s.Recorded < s.Sent {
			m.Problems = append(m.Problems, fmt.Sprintf("stream %s/%s recorded %d of %d sent requests: %d samples lost", s.Target, s.Conn, s.Recorded, s.Sent, s.Sent-s.Recorded))
		}
	}
	if len(streams) == 0 {
		m.Problems = append(m.Problems, "run.json lists no load stream: zdt cannot tell whether the load generator kept up")
	}
	m.Reliable = len(m.Problems) == 0
	return m
}

// loadCoverage measures, for each workload stream, the largest gap between two requests from the
// start of preflight to the end of postflight (the whole run when there are no phases).
func loadCoverage(acc *Accumulator, phases []model.Phase, end time.Duration) Coverage {
	from, to := time.Duration(0), end
	var sawPre, sawPost bool
	for _, p := range phases {
		switch p.Name {
		case model.PhasePreflight:
			from, sawPre = p.From, true
		case model.PhasePostflight:
			to, sawPost = p.To, true
		}
	}
	if !sawPre && len(phases) > 0 {
		from = phases[0].From
	}
	if !sawPost && len(phases) > 0 {
		to = phases[len(phases)-1].To
	}
	c := Coverage{ResolutionSeconds: Secs(acc.resolution), FromSeconds: Secs(from), ToSeconds: Secs(to), Streams: []StreamCoverage{}}
	for _, k := range acc.sortedKeys() {
		if k.target == model.APITarget {
			continue
		}
		gap, at := acc.cov[k].LargestGap(from, to)
		c.Streams = append(c.Streams, StreamCoverage{Target: k.target, Conn: string(k.conn), LargestGapSeconds: Secs(gap), GapFromSeconds: Secs(at)})
	}
	return c
}

// Shortfall is how far a stream fell short of its plan, in percent.
func Shortfall(s model.StreamStats) float64 {
	if s.Planned <= 0 || s.Sent >= s.Planned {
		return 0
	}
	return 100 * float64(s.Planned-s.Sent) / float64(s.Planned)
}
