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
	f.Int64Var(&th.DroppedRequests, "max-dropped-increase", th.DroppedRequests, "tolerated increase of dropped requests")
	f.DurationVar(&th.Disruption, "max-disruption-increase", th.Disruption, "tolerated increase of any backend's disrupted time")
	f.IntVar(&th.Stalls, "max-stalls-increase", th.Stalls, "tolerated increase of the number of PDB stalls")
	f.DurationVar(&th.Stall, "max-stall-increase", th.Stall, "tolerated increase of the longest and of the total PDB stall")
	f.DurationVar(&th.APIDowntime, "max-api-downtime-increase", th.APIDowntime, "tolerated increase of API downtime")
	f.Float64Var(&th.DurationPercent, "max-duration-increase-percent", th.DurationPercent, "tolerated increase of the upgrade's and each phase's duration, in percent")
	f.DurationVar(&th.MinDuration, "min-duration-increase", th.MinDuration, "duration increases below this are never regressions")
	return cmd
}
