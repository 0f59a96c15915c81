package cli

import (
	"github.com/spf13/pflag"

	"github.com/zdt-dev/zdt/report"
)

// ThresholdFlags declares the flags of the tolerated increases of a run's figures over what it
// is judged against (zdt compare: its base; zdt baseline check: the history's percentile),
// named in the usage as than.
func ThresholdFlags(f *pflag.FlagSet, th *report.Thresholds, than string) {
	f.Int64Var(&th.DroppedRequests, "max-dropped-increase", th.DroppedRequests, "tolerated dropped requests above "+than)
	f.DurationVar(&th.Disruption, "max-disruption-increase", th.Disruption, "tolerated disruption of any backend above "+than)
	f.IntVar(&th.Stalls, "max-stalls-increase", th.Stalls, "tolerated PDB stalls above "+than)
	f.DurationVar(&th.Stall, "max-stall-increase", th.Stall, "tolerated longest and total PDB stall above "+than)
	f.DurationVar(&th.APIDowntime, "max-api-downtime-increase", th.APIDowntime, "tolerated API downtime above "+than)
	f.Float64Var(&th.DurationPercent, "max-duration-increase-percent", th.DurationPercent, "tolerated duration of the upgrade and of each phase above "+than+", in percent of it")
	f.DurationVar(&th.MinDuration, "min-duration-increase", th.MinDuration, "duration increases below this are never regressions")
}
