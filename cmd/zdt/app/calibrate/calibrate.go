// Package calibrate implements `zdt calibrate`.
package calibrate

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/cmd/zdt/app/version"
	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/calibrate"
	"github.com/zdt-dev/zdt/scenarios"
)

type flagpole struct {
	provider string
	runs     []string
	out      string
	seeds    int
	before   string
	doc      string
}

// NewCommand returns `zdt calibrate`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "calibrate [SCENARIO...]",
		Short: "Fit the simulator's timings to a real cluster and measure its fidelity",
		Long: `Fit the simulator to a real cluster. Each SCENARIO runs on the real provider (--provider kind or
kubeconfig), one after another, into OUT/real/NAME; --runs adds real run directories made before
(zdt run --provider kind), and with --runs alone nothing runs on a real cluster.

From the real runs' timelines and samples zdt reads every timing the simulator uses: a machine's
creation to its Node Ready (workers, control plane), a new node Ready to the next old machine's
deletion, drains, a drain's end to the machine gone, a pod's deletion to its endpoint removed,
pods' start on old and new nodes, an apiserver's restart, and the latency of requests per
connection mode (a log-normal fitted to the median and 99th percentile). Each is the median of
what the runs saw; a timing no run showed keeps its base value. The fitted profile is written to
OUT/calibration.yaml, which zdt run --calibration FILE and zdt sweep --calibration FILE load.

Then every scenario runs on the simulator, --seeds seeds from the real run's own, once with the
profile before the fit (--before, default the simulator's default profile) and once with the
fitted one, and OUT/fidelity.md gets both fidelity tables: for each scenario and seed, the
verdict, dropped requests, API downtime, longest PDB stall and each phase's duration on both
sides with the error of each cell, against the targets (verdict the same, dropped ±50% or ±5,
API downtime ±2 s, stall and phases ±25%). --doc writes the same document elsewhere too (the
repository keeps it as docs/fidelity.md).

kind runs need the machine to themselves: start nothing else while they run.

` + cli.ProvidersHelp() + `
Exit codes: 0 every judged cell of the fitted table within its target, 1 some missed (the table
says which), 2 bad input or harness error.`,
		Example: `  make calibrate     # the calibration matrix on kind, docs/fidelity.md rewritten
  zdt calibrate testdata/scenarios/kind-small.yaml testdata/scenarios/kind-small-pdb-stall.yaml --provider kind --out runs/calibrate
  zdt calibrate --runs runs/calibrate/real/kind-small --seeds 5 --out runs/refit`,
		RunE: func(cmd *cobra.Command, args []string) error { return runE(cmd, streams, f, args) },
	}
	cli.AddProviderFlag(cmd, &f.provider)
	cmd.Flags().StringArrayVar(&f.runs, "runs", nil, "real run directories to fit from as well (repeatable)")
	cmd.Flags().StringVar(&f.out, "out", "runs/calibrate", "where the real runs, simulated runs, calibration.yaml and fidelity.md go")
	cmd.Flags().IntVar(&f.seeds, "seeds", 3, "simulator seeds per scenario, from the real run's own")
	cmd.Flags().StringVar(&f.before, "before", "", "the profile of the first table (default: the simulator's default profile)")
	cmd.Flags().StringVar(&f.doc, "doc", "", "also write the fidelity document there (e.g. docs/fidelity.md)")
	cli.AddProviderFlags(cmd)
	return cmd
}

func runE(cmd *cobra.Command, streams cli.IOStreams, f *flagpole, args []string) error {
	if len(args) == 0 && len(f.runs) == 0 {
		return cli.BadInput(fmt.Errorf("give scenarios to run on a real provider (e.g. testdata/scenarios/kind-small.yaml --provider kind), or --runs with real run directories"))
	}
	if f.seeds < 1 || f.seeds > 1000 {
		return cli.BadInput(fmt.Errorf("--seeds %d: between 1 and 1000", f.seeds))
	}
	for _, r := range f.runs {
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return cli.BadInput(fmt.Errorf("--runs %s: not a run directory", r))
		}
	}
	before := scenarios.DefaultCalibration()
	if f.before != "" {
		p, err := cli.ReadProfile(f.before)
		if err != nil {
			return cli.BadInput(fmt.Errorf("--before: %w", err))
		}
		before = *p
	}
	logf := func(format string, a ...any) { fmt.Fprintf(streams.ErrOut, "zdt: "+format+"\n", a...) }
	in := calibrate.Input{Runs: f.runs, Out: f.out, Seeds: f.seeds, Before: before, Version: version.String(), Progress: logf}
	if len(args) > 0 {
		info, err := harness.LookupProvider(f.provider)
		if err != nil {
			return cli.BadInput(fmt.Errorf("--provider: %w", err))
		}
		if info.Name == "sim" {
			return cli.BadInput(fmt.Errorf("--provider sim: calibrate runs the scenarios on a real cluster; use --provider kind (or kubeconfig)"))
		}
		for _, a := range args {
			sc, _, err := scenarios.Open(a)
			if err != nil {
				return cli.BadInput(err)
			}
			if err := harness.CheckSupport(sc, info); err != nil {
				return cli.BadInput(err)
			}
			in.Scenarios = append(in.Scenarios, sc)
		}
		in.NewReal = func(out string) (harness.Provider, error) {
			set, err := cli.ProviderSettings(cmd, info, out, logf)
			if err != nil {
				return nil, cli.BadInput(err)
			}
			return info.New(set)
		}
	}
	sim, err := harness.LookupProvider("sim")
	if err != nil {
		return err
	}
	in.NewSim = func(out string) (harness.Provider, error) { return sim.New(harness.Settings{Out: out}) }
	start := time.Now()
	res, err := calibrate.Run(cmd.Context(), in)
	if err != nil {
		return err
	}
	if f.doc != "" {
		data, err := os.ReadFile(res.TableFile)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(f.doc), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(f.doc, data, 0o644); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		name  string
		table interface{ Missed() (int, int) }
	}{{"before the fit", &res.Before}, {"after the fit", &res.After}} {
		missed, judged := t.table.Missed()
		fmt.Fprintf(streams.Out, "%s: %d of %d cells within target\n", t.name, judged-missed, judged)
	}
	fmt.Fprintf(streams.Out, "profile: %s\nfidelity tables: %s\nwall time: %s (real runs %s)\n", res.ProfileFile, res.TableFile,
		time.Since(start).Round(time.Second), res.RealWall.Round(time.Second))
	if missed, _ := res.After.Missed(); missed > 0 {
		return cli.Exit(cli.ExitFail, nil)
	}
	return nil
}
