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

// Compare compares a new run with its base.
func Compare(base, next *Report, th Thresholds) *Comparison {
	c := &Comparison{Base: base.Scenario, New: next.Scenario, BaseVerdict: base.Verdict, NewVerdict: next.Verdict}
	add := func(metric, unit string, b, n, tol float64) {
		c.Changes = append(c.Changes, Change{Metric: metric, Unit: unit, Base: b, New: n, Tolerance: tol, Regressed: n-b > tol+1e-9})
	}
	add("dropped-requests", "requests", float64(base.Requests.Dropped), float64(next.Requests.Dropped), float64(th.DroppedRequests))
	disruption := func(r *Report) map[string]float64 {
		m := map[string]float64{}
		for _, d := range r.Disruption {
			m[d.Backend] = d.Seconds
		}
		return m
	}
	bd, nd := disruption(base), disruption(next)
	var backends []string
	for k := range bd {
		backends = append(backends, k)
	}
	for k := range nd {
		if _, ok := bd[k]; !ok {
			backends = append(backends, k)
		}
	}
	slices.Sort(backends)
	for _, b := range backends {
		add("disruption/"+b, "seconds", bd[b], nd[b], th.Disruption.Seconds())
	}
	add("pdb-stalls", "stalls", float64(base.PDBStalls.Count), float64(next.PDBStalls.Count), float64(th.Stalls))
	add("pdb-stall-longest", "seconds", base.PDBStalls.LongestSeconds, next.PDBStalls.LongestSeconds, th.Stall.Seconds())
	add("pdb-stall-total", "seconds", base.PDBStalls.TotalSeconds, next.PDBStalls.TotalSeconds, th.Stall.Seconds())
	add("api-downtime", "seconds", base.APIDowntimeSeconds, next.APIDowntimeSeconds, th.APIDowntime.Seconds())
	durTol := func(b float64) float64 { return max(b*th.DurationPercent/100, th.MinDuration.Seconds()) }
	add("upgrade-duration", "seconds", base.UpgradeSeconds, next.UpgradeSeconds, durTol(base.UpgradeSeconds))
	basePhases := map[string]float64{}
	for _, p := range base.Phases {
		basePhases[p.Step+"/"+string(p.Name)] += p.Seconds
	}
	seen := map[string]bool{}
	for _, p := range next.Phases {
		key := p.Step + "/" + string(p.Name)
		if b, ok := basePhases[key]; ok && !seen[key] {
			seen[key] = true
			add("phase/"+string(p.Name), "seconds", b, phaseSeconds(next.Phases, key), durTol(b))
		}
	}
	return c
}

func phaseSeconds(phases []Phase, key string) float64 {
	var s float64
	for _, p := range phases {
		if p.Step+"/"+string(p.Name) == key {
			s += p.Seconds
		}
	}
	return s
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
