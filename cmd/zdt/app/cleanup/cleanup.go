package cleanup

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/kind"
)

// NewCommand returns `zdt cleanup`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	dryRun := false
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove every container zdt's kind runs left behind",
		Long: `Remove what runs with --provider kind left behind (kept with --keep, or left by a killed zdt):
the kind management clusters and the Cluster API Docker provider's nodes and load balancers of
clusters named zdt-mgmt-* and zdt-wl-*, and the containers labelled dev.zdt.owned (edge load balancers).

` + cli.ExitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dryRun {
				left, err := kind.Leftovers(cmd.Context())
				if err != nil {
					return cli.BadInput(err)
				}
				for _, l := range left {
					fmt.Fprintf(streams.Out, "would remove %s\n", l.Name)
				}
				return nil
			}
			removed, err := kind.Cleanup(cmd.Context())
			for _, l := range removed {
				fmt.Fprintf(streams.Out, "removed %s\n", l.Name)
			}
			if err != nil {
				return cli.BadInput(err)
			}
			if len(removed) == 0 {
				fmt.Fprintln(streams.Out, "nothing to remove")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed")
	return cmd
}
