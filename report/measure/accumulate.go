package measure

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure/internal/coverage"
	"github.com/zdt-dev/zdt/report/measure/internal/latency"
)

// Tunables of the measurements, documented in SCHEMA.md.
const (
	// mergeGap joins two failed requests of one target into one drop window when they are at
	// most this far apart (or two request intervals, if the stream is slower).
	mergeGap = time.Second
	// AttributionLead lets a drop window be attributed to an interval that began this long
	// before it: endpoint changes take a moment to reach every node.
	AttributionLead = 5 * time.Second
	// binWidth is the resolution of the plots.
	binWidth = time.Second
)

type backendKey struct {
	target string
	conn   model.ConnMode
}

// failSpan is a run of failed requests of one backend.
type failSpan struct {
	backendKey
	from, to time.Duration // send time of the first and last failed request
	n        int64
	errs     map[string]int64 // by the error the client saw
}

// backendAcc counts the requests of one backend (one load stream, or the API prober).
type backendAcc struct {
	total, ok   int64
	first, last time.Duration
	seen        bool
	lat         latency.Hist
	spans       []failSpan
	open        int // index of the span still growing, -1 if none
	errors      map[string]int64
}

// fail records failed requests sent over [from, to]: the span still growing takes them when
// they follow it closely, otherwise they start a new span.
func (b *backendAcc) fail(k backendKey, from, to time.Duration, n int64, errKey string) {
	if b.open >= 0 {
		sp := &b.spans[b.open]
		if from >= sp.from && from-sp.to <= mergeGap {
			sp.to = max(sp.to, to)
			sp.n += n
			sp.errs[errKey] += n
			return
		}
	}
	// Past the spans are those of the run before Reset, with their maps emptied (stream).
	var errs map[string]int64
	if i := len(b.spans); i < cap(b.spans) {
		errs = b.spans[:i+1][i].errs
	}
	if errs == nil {
		errs = make(map[string]int64, 1)
	}
	errs[errKey] = n
	b.spans = append(b.spans, failSpan{backendKey: k, from: from, to: to, n: n, errs: errs})
	b.open = len(b.spans) - 1
}

// Bin is one second of one target's requests, for the plots.
type Bin struct {
	Total, OK int64
	// LatSum is the latency of the successful requests in milliseconds, summed.
	LatSum float64
}

// Series is the per-second data behind the HTML report's plots and timeline.
type Series struct {
	// End is how long the run measured.
	End time.Duration
	// Targets are the workloads load was sent to, in report order.
	Targets []string
	// Bins holds, per target, the requests of each second: Bins[target][sec] for the second
	// sec since the start (seconds without requests hold zeros).
	Bins     map[string][]Bin
	States   []model.StateSample
	Timeline []model.Interval
}

// Accumulator aggregates samples as they stream by.
type Accumulator struct {
	// names are the backends' names (backendName).
	names      map[backendKey]string
	backends   map[backendKey]*backendAcc
	bins       map[string][]Bin
	cov        map[backendKey]*coverage.Coverage
	resolution time.Duration
	maxAt      time.Duration
	// noSeries skips the per-second bins of the plots (WithoutSeries).
	noSeries bool
	// noLatency leaves the latencies out (WithoutLatency); noRefs the timeline intervals of
	// each drop window (WithoutTimelineRefs).
	noLatency bool
	noRefs    bool
	// streams are the backends in the order they were met, for Add: a run has a handful of
	// streams whose samples interleave, and a short scan comparing the keys' strings (mostly the
	// same strings, so equal at their first word) costs less than hashing them for the maps.
	streams []stream
	// hint is the index of the stream Add found last; sorted are the backends' keys in
	// report order (sortedKeys), nil until asked for and when a backend came.
	hint   int
	sorted []backendKey
	// spare are the streams of the run before Reset, whose allocations the next streams reuse.
	spare []stream
	// scratch holds a backend's spans while finish merges them for its disruption seconds.
	scratch []failSpan
	windows []Span
	// timelineKeys are measure's sort keys of the timeline (sortedTimeline), targetWindows
	// finish's list of every target's drop windows.
	timelineKeys  []timelineKey
	targetWindows []targetWindow
}

// targetWindow is a drop window of one target.
type targetWindow struct {
	target string
	w      Span
}

// stream is one backend as Add finds it.
type stream struct {
	key backendKey
	b   *backendAcc
	// cov is nil for the API prober: load coverage is measured for workload streams only.
	cov *coverage.Coverage
	api bool
	// next is the stream whose sample came after this one's the last time.
	next int
}

// WithoutSeries makes the accumulator skip the per-second bins behind the plots, for a caller
// that only judges the run (zdt sweep): every measurement but Result.Series is the same.
func (a *Accumulator) WithoutSeries() *Accumulator {
	a.noSeries = true
	return a
}

// WithoutLatency makes the accumulator leave the requests' latencies out (every Latency is
// zero), for a caller that only judges the run: no criterion or cause reads them, and
// spreading every latency distribution over its quantiles is most of what measuring a
// simulated run costs.
func (a *Accumulator) WithoutLatency() *Accumulator {
	a.noLatency = true
	return a
}

// WithoutTimelineRefs makes the accumulator leave out, from each drop window, the timeline
// intervals that overlap it (DropWindow.During, which only the rendered report shows), for a
// caller that only judges the run: no criterion or cause reads them.
func (a *Accumulator) WithoutTimelineRefs() *Accumulator {
	a.noRefs = true
	return a
}

// NewAccumulator returns an empty accumulator that measures load coverage at resolution (the
// shortest disruption the run must see; DefaultResolution when 0).
func NewAccumulator(resolution time.Duration) *Accumulator {
	if resolution <= 0 {
		resolution = DefaultResolution
	}
	return &Accumulator{backends: map[backendKey]*backendAcc{}, bins: map[string][]Bin{},
		cov: map[backendKey]*coverage.Coverage{}, resolution: resolution}
}

// Reset empties the accumulator for another run measured at resolution, keeping its options
// and what it allocated.
func (a *Accumulator) Reset(resolution time.Duration) {
	if resolution <= 0 {
		resolution = DefaultResolution
	}
	a.resolution, a.maxAt, a.sorted = resolution, 0, nil
	clear(a.backends)
	clear(a.bins)
	clear(a.cov)
	a.spare = append(a.spare, a.streams...)
	clear(a.streams)
	a.streams = a.streams[:0]
}

// MaxAt is the send time of the last request seen.
func (a *Accumulator) MaxAt() time.Duration { return a.maxAt }

// add counts one sample (which may stand for many requests).
func (a *Accumulator) Add(s *model.Sample) {
	st := a.stream(s.Target, s.Conn)
	b := st.b
	n := s.N()
	end := s.At // send time of the last request the sample stands for
	if n > 1 {
		end += s.Span * time.Duration(n-1) / time.Duration(n)
	}
	if !b.seen || s.At < b.first {
		b.first = s.At
	}
	b.last = max(b.last, end)
	b.seen = true
	b.total += n
	a.maxAt = max(a.maxAt, end)
	if st.cov != nil {
		st.cov.MarkSpan(s.At, s.Span, n)
	}
	ok := s.OK()
	if ok {
		b.ok += n
		// Nothing reads the prober's latencies: the API is judged by its failures.
		if !st.api && !a.noLatency {
			b.lat.AddDist(s.Latency, s.LatencySigma, n)
		}
	} else {
		ek := errorKey(s)
		b.errors[ek] += n
		b.fail(st.key, s.At, end, n, ek)
	}
	if st.api || a.noSeries {
		return
	}
	tb := a.bins[s.Target]
	if last := int(end / binWidth); last >= len(tb) {
		tb = slices.Grow(tb, last+1-len(tb))[:last+1]
		a.bins[s.Target] = tb
	}
	spread(s.At, s.Span, n, func(sec, cnt int64) {
		bn := &tb[sec]
		bn.Total += cnt
		if ok {
			bn.OK += cnt
			bn.LatSum += ms(s.Latency) * float64(cnt)
		}
	})
}

// AddProbes is Add for n answered probes of the API prober (samples of one request to
// model.APITarget over new connections, that succeeded) sent from first to last: what Add
// makes of them is their number and the first and last send times, whatever their order.
func (a *Accumulator) AddProbes(first, last time.Duration, n int64) {
	if n <= 0 {
		return
	}
	st := a.stream(model.APITarget, model.ConnNew)
	b := st.b
	if !b.seen || first < b.first {
		b.first = first
	}
	b.last = max(b.last, last)
	b.seen = true
	b.total += n
	b.ok += n
	a.maxAt = max(a.maxAt, last)
}

// stream returns the stream of a target and connection mode, made on first use.
func (a *Accumulator) stream(target string, conn model.ConnMode) *stream {
	// Samples come in the same order second after second: the stream found last, then the
	// one that came after it the last time, are looked at first.
	if i := a.hint; i < len(a.streams) {
		last := &a.streams[i]
		if last.key.target == target && last.key.conn == conn {
			return last
		}
		if j := last.next; j < len(a.streams) {
			if st := &a.streams[j]; st.key.target == target && st.key.conn == conn {
				a.hint = j
				return st
			}
		}
	}
	for j := range a.streams {
		if st := &a.streams[j]; st.key.target == target && st.key.conn == conn {
			if a.hint < len(a.streams) {
				a.streams[a.hint].next = j
			}
			a.hint = j
			return st
		}
	}
	k := backendKey{target, conn}
	st := stream{key: k, api: target == model.APITarget}
	a.sorted = nil
	// A stream of the run before Reset lends its maps and coverage bits.
	var old stream
	if n := len(a.spare); n > 0 {
		// A workload stream takes one with coverage bits, the prober's one without, when there
		// is one: no coverage is then dropped by one stream and made anew for another.
		i := n - 1
		for j := n - 1; j >= 0; j-- {
			if (a.spare[j].cov != nil) != st.api {
				i = j
				break
			}
		}
		old = a.spare[i]
		a.spare[i], a.spare[n-1] = a.spare[n-1], stream{}
		a.spare = a.spare[:n-1]
	}
	if old.b != nil {
		clear(old.b.errors)
		// The spans' maps are kept, emptied, for the spans of this run (backendAcc.fail).
		for i := range old.b.spans {
			sp := &old.b.spans[i]
			clear(sp.errs)
			*sp = failSpan{errs: sp.errs}
		}
		*old.b = backendAcc{open: -1, errors: old.b.errors, spans: old.b.spans[:0],
			lat: old.b.lat.Reset()}
		st.b = old.b
	} else {
		st.b = &backendAcc{open: -1, errors: map[string]int64{}}
	}
	a.backends[k] = st.b
	if !st.api {
		w := a.resolution / coverage.Slices
		if old.cov != nil {
			old.cov.Reset(w)
			st.cov = old.cov
		} else {
			// Room for a 20-minute run at the default resolution (32 KiB at most), so that a
			// usual run's coverage never grows.
			st.cov = coverage.New(w, int(min(20*time.Minute/max(w, 1)/64+1, 4096)))
		}
		a.cov[k] = st.cov
	}
	if a.hint < len(a.streams) {
		a.streams[a.hint].next = len(a.streams)
	}
	a.streams = append(a.streams, st)
	a.hint = len(a.streams) - 1
	return &a.streams[a.hint]
}

// spread splits n requests sent evenly over [at, at+span) into per-second bins.
func spread(at, span time.Duration, n int64, fn func(sec, cnt int64)) {
	if n <= 1 || span <= 0 {
		fn(int64(at/binWidth), n)
		return
	}
	// Request i is sent at at + i*span/n.
	idx := func(t time.Duration) int64 { // first request sent at or after t
		v := math.Ceil(float64(t-at) * float64(n) / float64(span))
		return int64(min(max(v, 0), float64(n)))
	}
	for sec := int64(at / binWidth); ; sec++ {
		lo := idx(time.Duration(sec) * binWidth)
		hi := idx(time.Duration(sec+1) * binWidth)
		if hi > lo {
			fn(sec, hi-lo)
		}
		if hi >= n {
			return
		}
	}
}

func errorKey(s *model.Sample) string {
	if s.Error != "" {
		return s.Error
	}
	return fmt.Sprintf("HTTP %d", s.Code)
}

// interval is the mean time between two requests of a backend.
func (b *backendAcc) interval() time.Duration {
	if b.total <= 1 {
		return 0
	}
	return (b.last - b.first) / time.Duration(b.total-1)
}

// windows merges the failure spans of one backend (or several) into windows. A window ends
// when the next request was due after its last failure.
func mergeSpans(spans []failSpan, gap func(backendKey) time.Duration) []Span {
	return mergeSpansInto(nil, spans, gap, true)
}

// mergeSpansInto is mergeSpans appending to out; without counts, the windows have only their
// bounds (From, To).
func mergeSpansInto(out []Span, spans []failSpan, gap func(backendKey) time.Duration, counts bool) []Span {
	slices.SortFunc(spans, func(x, y failSpan) int {
		return cmp.Or(cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to),
			cmp.Compare(x.conn, y.conn), cmp.Compare(x.n, y.n))
	})
	first := len(out)
	for _, sp := range spans {
		g := gap(sp.backendKey)
		end := sp.to + g
		if len(out) > first {
			w := &out[len(out)-1]
			if sp.from <= w.To+max(mergeGap, g) {
				w.To = max(w.To, end)
				if counts {
					w.add(sp)
				}
				continue
			}
		}
		w := Span{From: sp.from, To: end}
		if counts {
			w.add(sp)
		}
		out = append(out, w)
	}
	return out
}

// Span is a stretch of time with its failed requests: a drop window, or API unavailability
// (no counts then).
type Span struct {
	From, To    time.Duration
	N           int64
	New, Reused int64
	// Errors counts the failed requests by the error the client saw.
	Errors map[string]int64
}

func (w *Span) add(sp failSpan) {
	if w.Errors == nil {
		w.Errors = map[string]int64{}
	}
	for e, n := range sp.errs {
		w.Errors[e] += n
	}
	w.N += sp.n
	switch sp.conn {
	case model.ConnNew:
		w.New += sp.n
	case model.ConnReused:
		w.Reused += sp.n
	}
}

// sortedKeys returns the keys of the Accumulator's backends in a fixed order.
func (a *Accumulator) sortedKeys() []backendKey {
	if a.sorted != nil {
		return a.sorted
	}
	keys := make([]backendKey, 0, len(a.backends))
	for k := range a.backends {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y backendKey) int {
		if x.target != y.target {
			return strings.Compare(x.target, y.target)
		}
		return strings.Compare(string(x.conn), string(y.conn))
	})
	a.sorted = keys
	return keys
}

// measurements is what the Accumulator yields, with the timeline and states applied.
type measurements struct {
	requests   Requests
	disruption []BackendDisruption
	api        APIDowntime
	apiWindows []Span
	windows    []Span // per target, in the same order as requests.Windows
}

func (a *Accumulator) finish(phases []model.Phase, timeline []model.Interval, states []model.StateSample) measurements {
	var m measurements
	if len(a.backends) > 0 {
		m.disruption = make([]BackendDisruption, 0, len(a.backends))
	}
	byTarget := map[string][]backendKey{}
	var targets []string
	all := latency.Hist{}
	errs := map[string]int64{}
	conns := map[model.ConnMode]*ConnCount{}
	gap := func(k backendKey) time.Duration { return a.backends[k].interval() }
	for _, k := range a.sortedKeys() {
		b := a.backends[k]
		if k.target == model.APITarget {
			continue
		}
		if len(byTarget[k.target]) == 0 {
			targets = append(targets, k.target)
		}
		byTarget[k.target] = append(byTarget[k.target], k)
		if !a.noLatency {
			all.Merge(&b.lat)
		}
		for e, n := range b.errors {
			errs[e] += n
		}
		c := conns[k.conn]
		if c == nil {
			c = &ConnCount{Conn: string(k.conn)}
			conns[k.conn] = c
		}
		c.Total += b.total
		c.Succeeded += b.ok
		c.Dropped += b.total - b.ok
		m.requests.Total += b.total
		m.requests.Succeeded += b.ok

		d := BackendDisruption{Backend: a.backendName(k), Target: k.target,
			Conn: string(k.conn), Dropped: b.total - b.ok, Total: b.total}
		a.scratch = append(a.scratch[:0], b.spans...)
		a.windows = mergeSpansInto(a.windows[:0], a.scratch, gap, false)
		for _, w := range a.windows {
			d.Seconds += seconds(w.To - w.From)
		}
		d.Seconds = Round(d.Seconds, 3)
		m.disruption = append(m.disruption, d)
	}
	clear(a.scratch) // its spans' error maps belong to the backends
	if len(m.disruption) == 0 {
		m.disruption = nil // as a run without workload streams always had it
	}
	m.requests.Dropped = m.requests.Total - m.requests.Succeeded
	m.requests.DropRate = ratio(m.requests.Dropped, m.requests.Total)
	if !a.noLatency {
		m.requests.Latency = all.Percentiles()
	}
	if len(conns) > 0 {
		m.requests.ByConn = make([]ConnCount, 0, len(conns))
	}
	for _, c := range sortedMapKeys(conns) {
		m.requests.ByConn = append(m.requests.ByConn, *conns[c])
	}
	if len(errs) > 0 {
		m.requests.Errors = make([]ErrorCount, 0, len(errs))
	}
	for _, e := range sortedMapKeys(errs) {
		m.requests.Errors = append(m.requests.Errors, ErrorCount{Error: e, Count: errs[e]})
	}
	slices.SortStableFunc(m.requests.Errors, func(x, y ErrorCount) int { return cmp.Compare(y.Count, x.Count) })

	tws := a.targetWindows[:0]
	if len(targets) > 0 {
		m.requests.ByTarget = make([]TargetRequests, 0, len(targets))
	}
	for _, t := range targets {
		tr := TargetRequests{Target: t, ByConn: make([]ConnCount, 0, len(byTarget[t]))}
		lat := latency.Hist{}
		spans := a.scratch[:0]
		for _, k := range byTarget[t] {
			b := a.backends[k]
			tr.Total += b.total
			tr.Succeeded += b.ok
			tr.ByConn = append(tr.ByConn, ConnCount{Conn: string(k.conn), Total: b.total, Succeeded: b.ok, Dropped: b.total - b.ok})
			if !a.noLatency {
				lat.Merge(&b.lat)
			}
			spans = append(spans, b.spans...)
		}
		tr.Dropped = tr.Total - tr.Succeeded
		tr.DropRate = ratio(tr.Dropped, tr.Total)
		if !a.noLatency {
			tr.Latency = lat.Percentiles()
		}
		m.requests.ByTarget = append(m.requests.ByTarget, tr)
		for _, w := range mergeSpans(spans, gap) {
			tws = append(tws, targetWindow{t, w})
		}
		a.scratch = spans
	}
	clear(a.scratch)
	slices.SortStableFunc(tws, func(x, y targetWindow) int {
		return cmp.Or(cmp.Compare(x.w.From, y.w.From), strings.Compare(x.target, y.target))
	})
	if len(tws) > 0 {
		m.requests.Windows, m.windows = make([]DropWindow, 0, len(tws)), make([]Span, 0, len(tws))
	}
	for _, tw := range tws {
		w := DropWindow{Target: tw.target, FromSeconds: Secs(tw.w.From), ToSeconds: Secs(tw.w.To),
			Phase: phaseAt(phases, tw.w.From), Dropped: tw.w.N, New: tw.w.New, Reused: tw.w.Reused,
			MinReady: minReady(states, tw.target, tw.w.From, tw.w.To), During: []TimelineRef{}, Errors: errorCounts(tw.w.Errors)}
		for i := range timeline {
			if a.noRefs {
				break
			}
			if Relevant(&timeline[i], tw.target, tw.w.From, tw.w.To) {
				w.During = append(w.During, ref(&timeline[i]))
			}
		}
		m.requests.Windows = append(m.requests.Windows, w)
		m.windows = append(m.windows, tw.w)
	}
	clear(tws)
	a.targetWindows = tws[:0]

	// The API: failed probes and APIUnavailable intervals, merged.
	var apiSpans []failSpan
	for _, k := range a.sortedKeys() {
		if k.target != model.APITarget {
			continue
		}
		b := a.backends[k]
		m.api.Probes += b.total
		m.api.FailedProbes += b.total - b.ok
		apiSpans = append(apiSpans, b.spans...)
	}
	m.apiWindows = mergeSpans(apiSpans, gap)
	for ivi := range timeline {
		iv := &timeline[ivi]
		if iv.Reason == model.ReasonAPIUnavailable {
			m.apiWindows = append(m.apiWindows, Span{From: iv.From, To: iv.To})
		}
	}
	m.apiWindows = UnionSpans(m.apiWindows)
	m.api.Windows = []Window{}
	for _, w := range m.apiWindows {
		win := Window{FromSeconds: Secs(w.From), ToSeconds: Secs(w.To), Seen: []string{}}
		for ivi := range timeline {
			iv := &timeline[ivi]
			msg := strings.TrimPrefix(iv.Message, "Kubernetes API unavailable: ")
			if iv.Reason == model.ReasonAPIUnavailable && iv.Overlaps(w.From, w.To) && !slices.Contains(win.Seen, msg) {
				win.Seen = append(win.Seen, msg)
			}
		}
		probeErrs := map[string]int64{}
		for _, sp := range apiSpans {
			if sp.from <= w.To && w.From <= sp.to {
				for e, n := range sp.errs {
					probeErrs[e] += n
				}
			}
		}
		for _, ec := range errorCounts(probeErrs) {
			win.Seen = append(win.Seen, fmt.Sprintf("%d probe(s): %s", ec.Count, ec.Error))
		}
		m.api.Windows = append(m.api.Windows, win)
		m.api.Seconds += seconds(w.To - w.From)
	}
	m.api.Seconds = Round(m.api.Seconds, 3)
	return m
}

// errorCounts lists errors by count, most first, then by name.
func errorCounts(m map[string]int64) []ErrorCount {
	out := make([]ErrorCount, 0, len(m))
	for _, e := range sortedMapKeys(m) {
		out = append(out, ErrorCount{Error: e, Count: m[e]})
	}
	slices.SortStableFunc(out, func(x, y ErrorCount) int { return cmp.Compare(y.Count, x.Count) })
	return out
}

// UnionSpans merges overlapping windows; counts are dropped.
func UnionSpans(ws []Span) []Span {
	slices.SortFunc(ws, func(x, y Span) int { return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To)) })
	var out []Span
	for _, w := range ws {
		if len(out) > 0 && w.From <= out[len(out)-1].To {
			out[len(out)-1].To = max(out[len(out)-1].To, w.To)
			continue
		}
		out = append(out, Span{From: w.From, To: w.To})
	}
	return out
}

// relevant reports whether an interval may explain drops of target in [from, to].
func Relevant(iv *model.Interval, target string, from, to time.Duration) bool {
	if !iv.Overlaps(from-AttributionLead, to) {
		return false
	}
	switch iv.Reason {
	case model.ReasonNodeDrain, model.ReasonNodeNotReady, model.ReasonDrainTimeout, model.ReasonMachineDeleted,
		model.ReasonFaultInjected:
		return iv.Locator.Workload == "" || iv.Locator.Workload == target
	case model.ReasonPodTerminating, model.ReasonEndpointRemoved, model.ReasonPodNotReady, model.ReasonWorkloadDegraded:
		return iv.Locator.Workload == target
	}
	return false
}

// minReady is the lowest ready count of a workload in the state samples that cover [from, to]:
// the last sample at or before from and every one up to to. -1 when none does.
func minReady(states []model.StateSample, workload string, from, to time.Duration) int {
	lowest := -1
	start := 0
	for i := range states {
		if states[i].At <= from {
			start = i
		}
	}
	for i := start; i < len(states) && states[i].At <= to; i++ {
		for _, w := range states[i].Workloads {
			if w.Name == workload && (lowest < 0 || w.Ready < lowest) {
				lowest = w.Ready
			}
		}
	}
	return lowest
}

// phaseAt names the phase running at t; the last one that began, when several overlap.
func phaseAt(phases []model.Phase, t time.Duration) model.PhaseName {
	var name model.PhaseName
	for _, p := range phases {
		if p.From <= t && t <= p.To {
			name = p.Name
		}
	}
	return name
}

func ref(iv *model.Interval) TimelineRef {
	return TimelineRef{Reason: string(iv.Reason), Level: string(iv.Level), Locator: LocatorString(iv.Locator),
		Message: iv.Message, FromSeconds: Secs(iv.From), ToSeconds: Secs(iv.To)}
}

// locatorString renders a locator as "node/md-0-a pod/web-1", fields in a fixed order.
func LocatorString(l model.Locator) string {
	kvs := [...][2]string{{"cluster", l.Cluster}, {"phase", string(l.Phase)}, {"pool", l.Pool}, {"machine", l.Machine},
		{"node", l.Node}, {"workload", l.Workload}, {"pod", l.Pod}, {"pdb", l.PDB}, {"fault", l.Fault}}
	size := 0
	for _, kv := range kvs {
		if kv[1] != "" {
			size += len(kv[0]) + 1 + len(kv[1]) + 1
		}
	}
	if size == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(size - 1)
	for _, kv := range kvs {
		if kv[1] != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(kv[0])
			b.WriteByte('/')
			b.WriteString(kv[1])
		}
	}
	return b.String()
}

// CompareLocators compares two locators as strings.Compare compares their LocatorStrings,
// without making them: the rendered strings are walked piece by piece.
func CompareLocators(a, b *model.Locator) int {
	var pa, pb locatorPieces
	pa.init(a)
	pb.init(b)
	x, y := pa.next(), pb.next()
	for {
		switch {
		case x == "" && y == "":
			return 0
		case x == "":
			return -1
		case y == "":
			return 1
		}
		n := min(len(x), len(y))
		if c := strings.Compare(x[:n], y[:n]); c != 0 {
			return c
		}
		if x = x[n:]; x == "" {
			x = pa.next()
		}
		if y = y[n:]; y == "" {
			y = pb.next()
		}
	}
}

// locatorPieces yields the pieces LocatorString joins ("node", "/", "md-0-a", " ", "pod", ...),
// none of them empty, then "".
type locatorPieces struct {
	kvs  [9][2]string
	i, j int // the field, and the piece within it (separator, key, "/", value)
	any  bool
}

func (p *locatorPieces) init(l *model.Locator) {
	p.kvs = [...][2]string{{"cluster", l.Cluster}, {"phase", string(l.Phase)}, {"pool", l.Pool}, {"machine", l.Machine},
		{"node", l.Node}, {"workload", l.Workload}, {"pod", l.Pod}, {"pdb", l.PDB}, {"fault", l.Fault}}
}

func (p *locatorPieces) next() string {
	for p.i < len(p.kvs) {
		kv := p.kvs[p.i]
		if kv[1] == "" {
			p.i++
			continue
		}
		p.j++
		switch p.j {
		case 1:
			if p.any {
				return " "
			}
			p.j++
			fallthrough
		case 2:
			return kv[0]
		case 3:
			return "/"
		default:
			p.i, p.j, p.any = p.i+1, 0, true
			return kv[1]
		}
	}
	return ""
}

func sortedMapKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func seconds(d time.Duration) float64 { return d.Seconds() }

// secs renders an offset in seconds with millisecond precision.
func Secs(d time.Duration) float64 { return Round(d.Seconds(), 3) }

// Round rounds v to digits decimals, as every figure of a report is.
func Round(v float64, digits int) float64 { return latency.Round(v, digits) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return Round(float64(a)/float64(b), 6)
}

// backendName names a backend in the report's disruption list. The names are kept from run to
// run (Reset): a sweep's runs have the same backends.
func (a *Accumulator) backendName(k backendKey) string {
	if s, ok := a.names[k]; ok {
		return s
	}
	if a.names == nil || len(a.names) >= 1024 {
		a.names = map[backendKey]string{}
	}
	s := k.target + "-" + string(k.conn) + "-connections"
	a.names[k] = s
	return s
}
