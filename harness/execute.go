package harness

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
	"github.com/zdt-dev/zdt/scenarios"
)

// Input is one run for Execute.
type Input struct {
	// Scenario is the scenario to run, defaulted and validated (scenarios.Open, Parse).
	Scenario *scenarios.Scenario
	// Provider runs it.
	Provider Provider
	// Out is the run directory.
	Out string
	// Version is zdt's version, written into run.json.
	Version string
	// Progress, when set, receives one line per step of the run.
	Progress func(format string, args ...any)
	// PreflightOnly stops after the preflight checks.
	PreflightOnly bool
	// KeepArtifacts keeps Out/artifacts (a real provider's dump of the clusters) when the run
	// passes; it is always kept when the run does not pass.
	KeepArtifacts bool
	// Force replaces a run already in Out (zdt's own files are removed first); without it, an
	// Out that holds a run is refused, so that no file of it is read as the new run's.
	Force bool
}

// Output is what a run left: run.json's content and the report rendered from the run
// directory.
type Output struct {
	Info   *model.RunInfo
	Report *report.Report
}

// ErrHarness marks the error Execute returns when the run was stopped by a harness error (the
// run could not be carried out) rather than by the upgrade; the report is still written.
var ErrHarness = errors.New("run stopped by a harness error")

// Execute runs a scenario on a provider into a run directory: the resolved scenario, the
// streams of samples, timeline and states as they are measured, run.json, and every report
// (report.json, junit.xml, report.html). It is what zdt run, zdt preflight and the exported
// Ginkgo spec call. The output is returned even when the run stopped early (interrupted, a
// harness error wrapped in ErrHarness), so that what was measured is kept; it is nil only when
// nothing could be written.
func Execute(ctx context.Context, in Input) (*Output, error) {
	if err := CheckSupport(in.Scenario, in.Provider.Info()); err != nil {
		return nil, err
	}
	if err := prepareOut(in.Out, in.Force); err != nil {
		return nil, err
	}
	data, err := scenarios.Marshal(in.Scenario)
	if err != nil {
		return nil, err
	}
	w, err := model.Create(in.Out, &model.RunInfo{Scenario: in.Scenario.Metadata.Name, Provider: in.Provider.Info().Name,
		Seed: *in.Scenario.Spec.Seed, Version: in.Version})
	if err != nil {
		return nil, err
	}
	if err := w.WriteOwned(model.ScenarioFile, data); err != nil {
		w.Close()
		return nil, err
	}
	info, runErr := Run(ctx, in.Scenario, in.Provider, w, Options{Version: in.Version, Progress: in.Progress, PreflightOnly: in.PreflightOnly})
	if info == nil {
		return nil, errors.Join(runErr, w.Close())
	}
	if err := w.Finish(info); err != nil {
		return nil, errors.Join(runErr, err)
	}
	out := &Output{Info: info}
	rep, err := report.FromDir(in.Out)
	if err != nil {
		return out, errors.Join(runErr, err)
	}
	out.Report = rep
	if err := render.WriteAll(in.Out, rep); err != nil {
		return out, errors.Join(runErr, err)
	}
	if rep.Verdict == report.Pass && !in.KeepArtifacts {
		if err := os.RemoveAll(filepath.Join(in.Out, model.ArtifactsDir)); err != nil {
			return out, errors.Join(runErr, err)
		}
	}
	if runErr != nil {
		runErr = fmt.Errorf("%w: %w", ErrHarness, runErr)
	}
	return out, runErr
}

// ErrOutHoldsRun is returned when Out already holds a run and Force is not set.
var ErrOutHoldsRun = errors.New("--out holds another run")

// prepareOut refuses a run directory that holds another run, unless force, which clears zdt's
// own files from it (anything else in it stays).
func prepareOut(dir string, force bool) error {
	holds, prev := model.HoldsRun(dir)
	if !holds {
		return nil
	}
	if force {
		return model.ClearOwn(dir)
	}
	what := "files of a run"
	if prev != nil {
		what = fmt.Sprintf("run %s of scenario %s", cmp.Or(prev.ID, "(no id)"), prev.Scenario)
		if prev.State != "" {
			what += " (" + string(prev.State) + ")"
		}
	}
	return fmt.Errorf("%w: %s has %s; pass --force to replace it (zdt's own files are removed first), or choose another --out", ErrOutHoldsRun, dir, what)
}
