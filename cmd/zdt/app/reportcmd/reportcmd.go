package reportcmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
)

type flagpole struct {
	out   string
	quiet bool
}

// NewCommand returns `zdt report RUNDIR`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	flags := &flagpole{}
	cmd := &cobra.Command{
		Use:   "report RUNDIR",
		Short: "Re-render a run's verdict and reports from its saved data",
		Long: `Read a run directory (scenario.yaml, run.json, samples.jsonl, timeline.jsonl, states.jsonl),
measure it again, judge it against the scenario's criteria, write report.json, junit.xml,
report.html and metrics.prom, and print the summary.

The schema of report.json is documented in report/SCHEMA.md.

Exit codes: 0 PASS, 1 FAIL, 2 bad input (no such run directory, unreadable data),
3 INCONCLUSIVE.`,
		Example: `  zdt report runs/latest
  zdt report runs/latest --out /tmp/rerendered`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(streams, flags, args[0])
		},
	}
	cmd.Flags().StringVar(&flags.out, "out", "", "directory to write the reports into (default: RUNDIR)")
	cmd.Flags().BoolVarP(&flags.quiet, "quiet", "q", false, "print only the verdict line")
	return cmd
}

func runE(streams cli.IOStreams, flags *flagpole, dir string) error {
	r, err := report.FromDir(dir)
	if err != nil {
		return cli.BadInput(err)
	}
	out := flags.out
	if out == "" {
		out = dir
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		return cli.BadInput(fmt.Errorf("create output directory: %w", err))
	}
	if err := render.WriteAll(out, r); err != nil {
		return cli.BadInput(err)
	}
	if flags.quiet {
		fmt.Fprintf(streams.Out, "%s: %s\n", r.Verdict, r.VerdictReason)
	} else if err := render.Summary(streams.Out, r); err != nil {
		return cli.BadInput(err)
	}
	if code := r.Verdict.ExitCode(); code != cli.ExitPass {
		return cli.Exit(code, nil)
	}
	return nil
}
