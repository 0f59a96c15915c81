package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// Thresholds say how much worse a new run may be than its base before zdt compare calls it a
// regression. An increase up to the threshold is tolerated; zero tolerates none.
type Thresholds struct {
	// DroppedRequests is the tolerated increase of dropped requests.
	DroppedRequests int64
	// Disruption is the tolerated increase of disrupted time of any backend.
	Disruption time.Duration
	// Stalls is the tolerated increase of the number of PDB stalls.
	Stalls int
	// Stall is the tolerated increase of the longest and of the total PDB stall.
	Stall time.Duration
	// APIDowntime is the tolerated increase of API downtime.
	APIDowntime time.Duration
	// DurationPercent is the tolerated increase, in percent, of the upgrade's and each phase's
	// duration; an increase below MinDuration is never a regression (short phases are noisy).
	DurationPercent float64
	MinDuration     time.Duration
}

// DefaultThresholds are zdt compare's defaults: no new dropped request or stall, a second of
// disruption or API downtime, half a minute of stall, and 20% (and at least 30s) of duration.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Disruption:      time.Second,
		Stall:           30 * time.Second,
		APIDowntime:     time.Second,
		DurationPercent: 20,
		MinDuration:     30 * time.Second,
	}
}

// Change is one metric compared between two runs.
type Change struct {
	Metric string  `json:"metric"`
	Unit   string  `json:"unit"`
	Base   float64 `json:"base"`
	New    float64 `json:"new"`
	// Tolerance is the increase allowed, in Unit.
	Tolerance float64 `json:"tolerance"`
	Regressed bool    `json:"regressed"`
}

// Comparison is what zdt compare prints.
type Comparison struct {
	Base, New               string
	BaseVerdict, NewVerdict Verdict
	Changes                 []Change
}

// Regressed reports whether any metric (or the verdict) regressed.
func (c *Comparison) Regressed() bool {
	return c.verdictRegressed() || slices.ContainsFunc(c.Changes, func(ch Change) bool { return ch.Regressed })
}

func (c *Comparison) verdictRegressed() bool {
	return c.BaseVerdict == Pass && c.NewVerdict != Pass
}

// Compare compares a new run with its base, metric by metric (Report.Metrics): a backend's
// disruption that one run lacks counts as 0 there; a phase is compared only when both ran it.
func Compare(base, next *Report, th Thresholds) *Comparison {
	c := &Comparison{Base: base.Scenario, New: next.Scenario, BaseVerdict: base.Verdict, NewVerdict: next.Verdict}
	bm, nm := base.Metrics(), next.Metrics()
	index := func(ms []Metric) map[string]Metric {
		m := map[string]Metric{}
		for _, x := range ms {
			m[x.Key] = x
		}
		return m
	}
	bi, ni := index(bm), index(nm)
	// The backends' disruptions of either run, by name, after dropped requests (Metrics' order).
	var disruptions []Metric
	for _, ms := range [][]Metric{nm, bm} {
		for _, m := range ms {
			if m.Kind == KindDisruption && !slices.ContainsFunc(disruptions, func(x Metric) bool { return x.Key == m.Key }) {
				disruptions = append(disruptions, m)
			}
		}
	}
	slices.SortFunc(disruptions, func(a, b Metric) int { return compareStrings(a.Name, b.Name) })
	all := []Metric{nm[0]}
	all = append(all, disruptions...)
	for _, m := range nm[1:] {
		if _, inBase := bi[m.Key]; m.Kind != KindDisruption && (m.Phase == "" || inBase) {
			all = append(all, m)
		}
	}
	for _, m := range all {
		b, n := bi[m.Key].Value, ni[m.Key].Value
		tol := th.Tolerance(m.Kind, b)
		c.Changes = append(c.Changes, Change{Metric: m.Name, Unit: m.Unit, Base: b, New: n, Tolerance: tol, Regressed: n-b > tol+1e-9})
	}
	return c
}

// Tolerance is the increase of a figure of kind k, base b, that th tolerates.
func (th Thresholds) Tolerance(k MetricKind, b float64) float64 {
	switch k {
	case KindDropped:
		return float64(th.DroppedRequests)
	case KindDisruption:
		return th.Disruption.Seconds()
	case KindStalls:
		return float64(th.Stalls)
	case KindStall:
		return th.Stall.Seconds()
	case KindAPI:
		return th.APIDowntime.Seconds()
	case KindDuration:
		return max(b*th.DurationPercent/100, th.MinDuration.Seconds())
	}
	return 0
}

// Write prints the comparison: the verdicts, then every metric with its change, regressions
// marked.
func (c *Comparison) Write(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "base %s: %s; new %s: %s\n", c.Base, c.BaseVerdict, c.New, c.NewVerdict)
	if c.verdictRegressed() {
		fmt.Fprintf(b, "REGRESSED  verdict  %s -> %s\n", c.BaseVerdict, c.NewVerdict)
	}
	width := 0
	for _, ch := range c.Changes {
		width = max(width, len(ch.Metric))
	}
	for _, ch := range c.Changes {
		mark := "ok"
		switch {
		case ch.Regressed:
			mark = "REGRESSED"
		case ch.New < ch.Base:
			mark = "improved"
		}
		fmt.Fprintf(b, "%-10s %-*s  %s -> %s (%s, tolerated +%s)\n", mark, width, ch.Metric, value(ch.Base, ch.Unit), value(ch.New, ch.Unit),
			signed(ch.New-ch.Base, ch.Unit), value(ch.Tolerance, ch.Unit))
	}
	n := 0
	for _, ch := range c.Changes {
		if ch.Regressed {
			n++
		}
	}
	if c.verdictRegressed() {
		n++
	}
	if n > 0 {
		fmt.Fprintf(b, "%d regression(s)\n", n)
	} else {
		fmt.Fprintln(b, "no regression")
	}
	return b.Flush()
}

// Value formats a figure in its unit: a duration for seconds, the number otherwise.
func Value(v float64, unit string) string { return value(v, unit) }

func value(v float64, unit string) string {
	if unit == "seconds" {
		return Dur(v)
	}
	return fmt.Sprintf("%g", v)
}

func signed(v float64, unit string) string {
	if v >= 0 {
		return "+" + value(v, unit)
	}
	return "-" + value(-v, unit)
}

// Load reads a report for comparison: a report.json file, a run directory's report.json, or,
// when the directory has none, the run directory's data evaluated afresh.
func Load(path string) (*Report, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	file := path
	if st.IsDir() {
		file = filepath.Join(path, model.ReportJSON)
		if _, err := os.Stat(file); err != nil {
			return FromDir(path)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("load report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("load report %s: %w", file, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("load report %s: schema %q, this zdt reads %q", file, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}
