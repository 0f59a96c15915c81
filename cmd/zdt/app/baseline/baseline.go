// Package baseline implements `zdt baseline`: a history of runs, and a new run judged against
// its percentiles.
package baseline

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
)

// NewCommand returns `zdt baseline` and its subcommands.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Keep a history of runs and judge a new run against its percentiles",
		Long: `A nightly certification job keeps its runs in a history folder (HISTORY/SCENARIO/PROVIDER/, one
report.json per run) and judges each new run against the history of the same scenario on the same
provider: a figure (dropped requests, each backend's disruption, PDB stalls, API downtime, the
upgrade's and each phase's duration) above the history's P99 by more than zdt compare's threshold
is a regression, as is a run that failed where every run of the history passed.`,
		Example: `  zdt run kind-small.yaml --provider kind --out runs/tonight
  zdt baseline check history runs/tonight --junit runs/tonight/baseline.xml --add`,
	}
	cmd.AddCommand(newAdd(streams), newCheck(streams))
	return cmd
}

func newAdd(streams cli.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "add HISTORY RUN...",
		Short: "Add runs (run directories or report.json files) to a history",
		Long: `Add runs to a history: each run's report.json is copied to HISTORY/SCENARIO/PROVIDER/, named by
its seed and the hash of its content (adding a run twice keeps one copy). Aborted and INCONCLUSIVE
runs are left out: their figures were not measured reliably.

Exit codes: 0 added, 2 bad input.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, run := range args[1:] {
				r, err := report.Load(run)
				if err != nil {
					return cli.BadInput(err)
				}
				if skip := why(r); skip != "" {
					fmt.Fprintf(streams.ErrOut, "zdt: %s left out of the history: %s\n", run, skip)
					continue
				}
				file, err := report.AddToHistory(args[0], r)
				if err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "added %s (%s on %s, seed %d, %s) as %s\n", run, r.Scenario, r.Provider, r.Seed, r.Verdict, file)
			}
			return nil
		},
	}
}

// why says why a run does not belong in a history, or "".
func why(r *report.Report) string {
	switch {
	case r.Aborted:
		return "the run was aborted (" + r.AbortReason + ")"
	case r.Verdict == report.Inconclusive:
		return "the run is INCONCLUSIVE: " + r.VerdictReason
	}
	return ""
}

func newCheck(streams cli.IOStreams) *cobra.Command {
	opt := report.DefaultBaselineOptions()
	var junit string
	var add bool
	cmd := &cobra.Command{
		Use:   "check HISTORY RUN",
		Short: "Judge a run against the history of its scenario and provider",
		Long: `Judge a run (a run directory or a report.json) against the runs of the same scenario on the same
provider in HISTORY: each figure against the history's --percentile (P99 by default) plus zdt
compare's threshold for it (--max-dropped-increase and the like). A figure the history has fewer
than --min-runs runs of is printed, not judged (a skipped test in --junit). With --add the run
joins the history afterwards (unless aborted or INCONCLUSIVE).

Exit codes: 0 no regression, 1 at least one regression, 2 bad input.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.Percentile <= 0 || opt.Percentile > 100 {
				return cli.BadInput(fmt.Errorf("--percentile %g: give a percentile in (0, 100], e.g. 99", opt.Percentile))
			}
			if opt.MinRuns < 1 {
				return cli.BadInput(fmt.Errorf("--min-runs %d: give at least 1", opt.MinRuns))
			}
			r, err := report.Load(args[1])
			if err != nil {
				return cli.BadInput(err)
			}
			history, err := report.LoadHistory(args[0], r.Scenario, r.Provider)
			if err != nil {
				return cli.BadInput(err)
			}
			res := report.JudgeBaseline(history, r, opt)
			if err := res.Write(streams.Out); err != nil {
				return err
			}
			if junit != "" {
				data, err := render.BaselineJUnit(res)
				if err != nil {
					return err
				}
				if err := os.WriteFile(junit, data, 0o644); err != nil {
					return err
				}
			}
			if add {
				if skip := why(r); skip != "" {
					fmt.Fprintf(streams.ErrOut, "zdt: %s left out of the history: %s\n", args[1], skip)
				} else if file, err := report.AddToHistory(args[0], r); err != nil {
					return err
				} else {
					fmt.Fprintf(streams.ErrOut, "zdt: added to the history as %s\n", file)
				}
			}
			if res.Regressed() {
				return cli.Exit(cli.ExitFail, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Float64Var(&opt.Percentile, "percentile", opt.Percentile, "the history's percentile each figure is compared with")
	f.IntVar(&opt.MinRuns, "min-runs", opt.MinRuns, "runs of the history a figure needs to be judged")
	f.StringVar(&junit, "junit", "", "also write the judgement as JUnit XML to this file")
	f.BoolVar(&add, "add", false, "add the run to the history after judging it")
	cli.ThresholdFlags(f, &opt.Thresholds, "the percentile")
	return cmd
}
