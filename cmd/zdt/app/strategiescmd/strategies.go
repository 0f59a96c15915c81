// Package strategiescmd implements `zdt strategies`.
package strategiescmd

import (
	"fmt"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/strategies"
	"github.com/zdt-dev/zdt/scenarios"
)

// NewCommand returns `zdt strategies`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	var seeds, parallel int
	var deadline time.Duration
	cmd := &cobra.Command{
		Use:   "strategies SCENARIO",
		Short: "Play a scenario's upgrade under every strategy preset (Cluster API, EKS, AKS, GKE) on the simulator, in one table",
		Long: `Play the same scenario, the same workloads, upgraded as each strategy preset upgrades worker
pools (spec.upgradeStrategy): Cluster API's MachineDeployment rolling update, an EKS managed node
group (with and without force), AKS (undrainable node behavior Schedule and Cordon) and a GKE
surge upgrade. Each row runs --seeds seeds on the simulator and gives the verdicts, the worst
seed's dropped requests and longest PDB stall, the longest upgrade and the lowest failing
seed's failed criteria with the cause.

Pool fields a service decides itself are taken out of the scenario for its rows (EKS's
maxSurge, EKS's and GKE's nodeDrainTimeout), and a drain that waits for ever takes AKS's
30 minutes. Exit code 0 when the table is printed, whatever the verdicts.`,
		Example: `  zdt strategies pdb-blocks-drain
  zdt strategies pdb-blocks-drain --upgrade-deadline 4h
  zdt strategies my-upgrade.yaml --seeds 20`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if seeds < 1 {
				return cli.BadInput(fmt.Errorf("--seeds: %d; give at least 1", seeds))
			}
			_, raw, err := scenarios.Open(args[0])
			if err != nil {
				return cli.BadInput(err)
			}
			variants, err := strategies.Variants(args[0], raw, deadline)
			if err != nil {
				return cli.BadInput(err)
			}
			cli.ManyRunsGC()
			start := time.Now()
			rows, err := strategies.Compare(cmd.Context(), variants, seeds, parallel)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "STRATEGY\tPASS\tFAIL\tINCONCLUSIVE\tMAX DROPPED\tLONGEST PDB STALL\tLONGEST UPGRADE\tFIRST FAILURE\n")
			for _, r := range rows {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Label, r.Passed, r.Failed, r.Inconclusive, r.MaxDropped,
					secs(r.MaxStallSeconds), secs(r.MaxUpgradeSecs), short(r.FirstFailure))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(streams.ErrOut, "zdt: %s under %d strategies, %d seed(s) each, in %s\n", args[0], len(rows), seeds, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&seeds, "seeds", 1, "seeds per strategy, from the scenario's own seed on")
	cmd.Flags().DurationVar(&deadline, "upgrade-deadline", 0, "replace the scenario's spec.criteria.upgradeDeadline, so that the services' own limits (AKS 30m, GKE 1h per node) play out")
	cmd.Flags().IntVar(&parallel, "parallel", runtime.NumCPU(), "runs at once")
	return cmd
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}

func short(s string) string {
	if s == "" {
		return "-"
	}
	if r := []rune(s); len(r) > 160 {
		return string(r[:157]) + "..."
	}
	return s
}
