// Package calibrate fits the simulator to a real cluster: it runs scenarios on a real provider
// (or reads real runs made before), fits a calibration profile to their timelines and samples,
// runs the same scenarios on the simulator with the profile it started from and with the fitted
// one, and writes the fidelity tables of both. It is zdt calibrate's engine.
package calibrate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/fidelity"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// Input is one calibration.
type Input struct {
	// Scenarios are run on Provider, one after another, into Out/real/NAME. Leave it empty and
	// give Runs to fit from real runs made before.
	Scenarios []*scenarios.Scenario
	// NewReal makes the real provider (kind, kubeconfig) of a run directory; NewSim a
	// simulator.
	NewReal, NewSim func(out string) (harness.Provider, error)
	// Runs are real run directories read as they are (instead of, or besides, Scenarios).
	Runs []string
	// Out receives real/, calibration.yaml, sim-before/, sim-after/ and fidelity.md.
	Out string
	// Seeds is how many seeds each scenario runs on the simulator, from the real run's own.
	Seeds int
	// Before is the profile the simulator had (the first table); the fit starts from the base
	// timings (calibration.Base) either way.
	Before calibration.Calibration
	// Version is zdt's version, for run.json.
	Version string
	// Progress receives a line per step; nil discards them.
	Progress func(format string, args ...any)
}

// Output is what a calibration found.
type Output struct {
	Profile       *scenarios.Profile
	Before, After fidelity.Table
	// RealWall is the time this calibration spent on real runs (0 when only Runs were read);
	// RealRuns what the real runs lasted by their run.json, bring-up and teardown aside; Wall
	// the whole calibration.
	RealWall, RealRuns, Wall time.Duration
	// ProfileFile and TableFile are the files written under Out.
	ProfileFile, TableFile string
}

// Run calibrates. A cancelled ctx stops it after the run in progress (which keeps what it
// measured, as zdt run does).
func Run(ctx context.Context, in Input) (*Output, error) {
	start := time.Now()
	logf := in.Progress
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if in.Seeds < 1 {
		in.Seeds = 1
	}
	if len(in.Scenarios) == 0 && len(in.Runs) == 0 {
		return nil, fmt.Errorf("nothing to calibrate from: give scenarios to run on a real provider, or real run directories")
	}
	out := &Output{}
	runs := append([]string(nil), in.Runs...)
	for i, sc := range in.Scenarios {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := filepath.Join(in.Out, "real", sc.Metadata.Name)
		p, err := in.NewReal(dir)
		if err != nil {
			return nil, err
		}
		logf("calibrate: real run %d of %d: %s on %s into %s", i+1, len(in.Scenarios), sc.Metadata.Name, p.Info().Name, dir)
		t0 := time.Now()
		res, err := harness.Execute(ctx, harness.Input{Scenario: sc, Provider: p, Out: dir, Version: in.Version, Progress: in.Progress, Force: true})
		out.RealWall += time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("real run of %s: %w", sc.Metadata.Name, err)
		}
		logf("calibrate: %s on %s: %s in %s", sc.Metadata.Name, p.Info().Name, res.Report.Verdict, time.Since(t0).Round(time.Second))
		runs = append(runs, dir)
	}
	var obs []*fidelity.Observations
	var real []*fidelity.Figures
	var measured time.Time
	provider := ""
	for _, dir := range runs {
		info, err := model.ReadRunInfo(dir)
		if err != nil {
			return nil, err
		}
		if info.Provider == "sim" {
			return nil, fmt.Errorf("%s is a simulator run: calibrate fits the simulator to real runs (--provider kind or kubeconfig)", dir)
		}
		if measured.IsZero() || info.Start.Before(measured) {
			measured = info.Start
		}
		provider = info.Provider
		out.RealRuns += info.End
		o, err := fidelity.Observe(dir)
		if err != nil {
			return nil, err
		}
		f, err := fidelity.FiguresOf(dir)
		if err != nil {
			return nil, err
		}
		obs, real = append(obs, o), append(real, f)
	}
	cal, notes := fidelity.Fit(obs, calibration.Base())
	out.Profile = &scenarios.Profile{
		Metadata: scenarios.ProfileMetadata{
			Name: "fitted-" + provider, Provider: provider, Machine: Machine(),
			Measured: measured.UTC().Format(time.RFC3339), Runs: runs, Fitted: notes,
		},
		Spec: cal,
	}
	for _, n := range notes {
		logf("calibrate: fit: %s", n)
	}
	data, err := scenarios.MarshalProfile(out.Profile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(in.Out, 0o755); err != nil {
		return nil, err
	}
	out.ProfileFile = filepath.Join(in.Out, "calibration.yaml")
	if err := os.WriteFile(out.ProfileFile, data, 0o644); err != nil {
		return nil, err
	}
	out.Before.Title = "Before the fit: the simulator's profile as it was"
	out.After.Title = "After the fit: the profile fitted from these runs"
	for _, t := range []struct {
		table *fidelity.Table
		cal   calibration.Calibration
		dir   string
	}{{&out.Before, in.Before, "sim-before"}, {&out.After, cal, "sim-after"}} {
		for i, dir := range runs {
			rows, err := simulate(ctx, in, dir, real[i], t.cal, filepath.Join(in.Out, t.dir))
			if err != nil {
				return nil, err
			}
			t.table.Rows = append(t.table.Rows, rows...)
		}
		missed, judged := t.table.Missed()
		logf("calibrate: %s: %d of %d cells within target", t.table.Title, judged-missed, judged)
	}
	out.Wall = time.Since(start)
	var b bytes.Buffer
	if err := WriteDoc(&b, out); err != nil {
		return nil, err
	}
	out.TableFile = filepath.Join(in.Out, "fidelity.md")
	if err := os.WriteFile(out.TableFile, b.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return out, nil
}

// simulate runs the scenario of a real run on the simulator with a profile, for Seeds seeds
// from the real run's own, and compares each with the real run.
func simulate(ctx context.Context, in Input, realDir string, real *fidelity.Figures, cal calibration.Calibration, outDir string) ([]fidelity.Row, error) {
	data, err := os.ReadFile(filepath.Join(realDir, model.ScenarioFile))
	if err != nil {
		return nil, err
	}
	var rows []fidelity.Row
	for k := 0; k < in.Seeds; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The real run's resolved scenario holds the calibration it was loaded with, which a
		// real provider does not read: the profile replaces it as a whole.
		sc, err := scenarios.Parse(realDir, data)
		if err != nil {
			return nil, err
		}
		c := cal
		sc.Spec.Calibration = &c
		seed := *sc.Spec.Seed + int64(k)
		sc.Spec.Seed = &seed
		dir := filepath.Join(outDir, fmt.Sprintf("%s-seed-%d", sc.Metadata.Name, seed))
		p, err := in.NewSim(dir)
		if err != nil {
			return nil, err
		}
		if _, err := harness.Execute(ctx, harness.Input{Scenario: sc, Provider: p, Out: dir, Version: in.Version, Force: true}); err != nil {
			return nil, fmt.Errorf("simulated run of %s seed %d: %w", sc.Metadata.Name, seed, err)
		}
		f, err := fidelity.FiguresOf(dir)
		if err != nil {
			return nil, err
		}
		rows = append(rows, fidelity.Compare(real, f))
	}
	return rows, nil
}

// Machine describes this machine for the record: cores, memory, OS and architecture.
func Machine() string {
	mem := ""
	if total := MemTotal(); total > 0 {
		mem = fmt.Sprintf(", %.0f GiB", float64(total)/(1<<30))
	}
	return fmt.Sprintf("%d cores%s, %s/%s", runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
}

// MemTotal is this machine's memory in bytes as /proc/meminfo says (Linux), 0 when unknown.
func MemTotal() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb int64
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

// WriteDoc writes the fidelity document: where and when the real runs were made, the fit, and
// both tables.
func WriteDoc(w *bytes.Buffer, o *Output) error {
	p := o.Profile
	fmt.Fprintf(w, "# Simulator fidelity\n\nGenerated by `zdt calibrate`. Real runs on the %s provider, on %s, starting %s", p.Metadata.Provider, p.Metadata.Machine, p.Metadata.Measured)
	fmt.Fprintf(w, "; %d real runs lasting %s by their run.json", len(p.Metadata.Runs), o.RealRuns.Round(time.Second))
	if o.RealWall > 0 {
		fmt.Fprintf(w, ", made by this calibration in %s (bring-up and teardown included); the whole calibration took %s", o.RealWall.Round(time.Second), o.Wall.Round(time.Second))
	} else {
		fmt.Fprintf(w, ", made before and read with --runs; the fit and the simulated runs took %s", o.Wall.Round(100*time.Millisecond))
	}
	w.WriteString(".\n\n## The fit\n\n")
	for _, n := range p.Metadata.Fitted {
		fmt.Fprintf(w, "- %s\n", n)
	}
	w.WriteString("\nThe simulated runs take the real run's scenario with the whole profile in place of its calibration; seed after seed from the real run's own.\n\n## Tables\n\n")
	for _, t := range []*fidelity.Table{&o.Before, &o.After} {
		if err := fidelity.WriteMarkdown(w, t); err != nil {
			return err
		}
		w.WriteString("\n")
	}
	return nil
}
