package fidelity

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
)

// Figures are what the fidelity table compares of one run.
type Figures struct {
	Dir      string
	Scenario string
	Provider string
	Seed     int64
	Verdict  string
	// Dropped is the requests dropped; APIDowntime, LongestStall and the phases are seconds.
	Dropped      int64
	APIDowntime  float64
	LongestStall float64
	ControlPlane float64
	// Workers is every worker pool's phase, summed.
	Workers float64
	Upgrade float64
	// LatencyP99 is the 99th percentile of the successful requests' latency, in ms.
	LatencyP99 float64
}

// FiguresOf reads a run directory's figures (its report, rebuilt from the run's data).
func FiguresOf(dir string) (*Figures, error) {
	r, err := report.FromDir(dir)
	if err != nil {
		return nil, err
	}
	f := &Figures{
		Dir: dir, Scenario: r.Scenario, Provider: r.Provider, Seed: r.Seed, Verdict: string(r.Verdict),
		Dropped: r.Requests.Dropped, APIDowntime: r.APIDowntimeSeconds, LongestStall: r.PDBStalls.LongestSeconds,
		Upgrade: r.UpgradeSeconds, LatencyP99: r.Requests.Latency.P99,
	}
	for _, p := range r.Phases {
		switch {
		case p.Name == model.PhaseControlPlane:
			f.ControlPlane += p.Seconds
		case strings.HasPrefix(string(p.Name), "pool/") || p.Name == model.PhaseWorkers:
			f.Workers += p.Seconds
		}
	}
	return f, nil
}

// Cell is one figure of a real run and its simulation, with the error and whether it is within
// the fidelity target.
type Cell struct {
	Metric string
	Real   string
	Sim    string
	// Err is the simulation's error, e.g. "-12%" or "+3"; "" where the two agree exactly.
	Err string
	// OK is false when the cell misses its target; Target says what it is.
	OK     bool
	Target string
	// Judged is false for figures without a target (latency): they never count as missed.
	Judged bool
}

// Row is the comparison of one scenario and seed.
type Row struct {
	Scenario string
	Seed     int64
	Real     *Figures
	Sim      *Figures
	Cells    []Cell
}

// Metrics are the table's columns, in order.
var Metrics = []string{"verdict", "dropped", "API downtime", "longest PDB stall", "control plane", "workers", "upgrade", "latency p99"}

// Compare judges a simulated run against the real one of the same scenario.
func Compare(real, sim *Figures) Row {
	row := Row{Scenario: real.Scenario, Seed: sim.Seed, Real: real, Sim: sim}
	verdict := Cell{Metric: "verdict", Real: real.Verdict, Sim: sim.Verdict, OK: real.Verdict == sim.Verdict, Target: "same", Judged: true}
	if !verdict.OK {
		verdict.Err = "differs"
	}
	row.Cells = append(row.Cells, verdict)
	dropTol := math.Max(0.5*float64(real.Dropped), 5)
	row.Cells = append(row.Cells,
		absCell("dropped", float64(real.Dropped), float64(sim.Dropped), dropTol, "%.0f", "±50% or ±5"),
		absCell("API downtime", real.APIDowntime, sim.APIDowntime, 2, "%.1f s", "±2 s"),
		relCell("longest PDB stall", real.LongestStall, sim.LongestStall, 0.25, "%.1f s", true),
		relCell("control plane", real.ControlPlane, sim.ControlPlane, 0.25, "%.0f s", true),
		relCell("workers", real.Workers, sim.Workers, 0.25, "%.0f s", true),
		relCell("upgrade", real.Upgrade, sim.Upgrade, 0.25, "%.0f s", true),
		relCell("latency p99", real.LatencyP99, sim.LatencyP99, 0, "%.1f ms", false),
	)
	return row
}

func absCell(metric string, real, sim, tol float64, format, target string) Cell {
	c := Cell{Metric: metric, Real: fmt.Sprintf(format, real), Sim: fmt.Sprintf(format, sim), Target: target, Judged: true}
	d := sim - real
	c.OK = math.Abs(d) <= tol+1e-9
	if math.Abs(d) > 1e-9 {
		c.Err = strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%+"+format[1:], d), " s"), " ms")
	}
	return c
}

func relCell(metric string, real, sim, tol float64, format string, judged bool) Cell {
	c := Cell{Metric: metric, Real: fmt.Sprintf(format, real), Sim: fmt.Sprintf(format, sim), Judged: judged, OK: true}
	if judged {
		c.Target = fmt.Sprintf("±%.0f%%", tol*100)
	}
	switch {
	case real == 0 && sim == 0:
	case real == 0:
		c.Err = "new"
		c.OK = !judged
	default:
		e := (sim - real) / real
		c.Err = fmt.Sprintf("%+.0f%%", e*100)
		if judged {
			c.OK = math.Abs(e) <= tol+1e-9
		}
	}
	return c
}

// Table is one fidelity table: the rows of one calibration profile.
type Table struct {
	// Title names the profile, e.g. "before the fit: the base timings".
	Title string
	Rows  []Row
}

// Missed counts the judged cells that miss their target, and the judged cells in all.
func (t *Table) Missed() (missed, judged int) {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.Judged {
				judged++
				if !c.OK {
					missed++
				}
			}
		}
	}
	return missed, judged
}

// WriteMarkdown writes a table: a row per scenario and seed, each cell "real / simulated
// (error)", marked ✗ where it misses its target.
func WriteMarkdown(w io.Writer, t *Table) error {
	var b strings.Builder
	missed, judged := t.Missed()
	fmt.Fprintf(&b, "### %s\n\n%d of %d cells within target.\n\n", t.Title, judged-missed, judged)
	b.WriteString("| scenario | seed |")
	for _, m := range Metrics {
		b.WriteString(" " + m + " |")
	}
	b.WriteString("\n|---|---|")
	for range Metrics {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		fmt.Fprintf(&b, "| %s | %d |", r.Scenario, r.Seed)
		for _, c := range r.Cells {
			cell := c.Real + " / " + c.Sim
			if c.Err != "" {
				cell += " (" + c.Err + ")"
			}
			if !c.OK {
				cell += " ✗"
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\nEach cell: real / simulated (error). Targets: verdict the same; dropped requests ±50% or ±5, whichever is larger; API downtime ±2 s; longest PDB stall and phase durations ±25%; latency p99 is shown, not judged. ✗ marks a cell that misses its target.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
