package compare

import (
	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/report"
)

// NewCommand returns `zdt compare BASE NEW`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	th := report.DefaultThresholds()
	cmd := &cobra.Command{
		Use:   "compare BASE NEW",
		Short: "Show what regressed between two runs",
		Long: `Compare two runs and print, metric by metric, what got worse: the verdict, dropped requests,
disruption seconds per backend, PDB stalls (count, longest, total), API downtime, and the
upgrade's and each phase's duration. An increase beyond the flag's threshold is a regression.

BASE and NEW are run directories (their report.json is read; without one the run's data is
evaluated afresh) or report.json files.

Exit codes: 0 no regression, 1 at least one regression, 2 bad input.`,
		Example: `  zdt compare runs/nightly-yesterday runs/nightly-today
  zdt compare base/report.json new/report.json --max-dropped-increase 10`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := report.Load(args[0])
			if err != nil {
				return cli.BadInput(err)
			}
			next, err := report.Load(args[1])
			if err != nil {
				return cli.BadInput(err)
			}
			c := report.Compare(base, next, th)
			if err := c.Write(streams.Out); err != nil {
				return cli.BadInput(err)
			}
			if c.Regressed() {
				return cli.Exit(cli.ExitFail, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	cli.ThresholdFlags(f, &th, "the base")
	return cmd
}
