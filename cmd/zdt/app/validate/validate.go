// Package validate implements `zdt validate`.
package validate

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/scenarios"
)

// NewCommand returns `zdt validate FILE...`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files without running them",
		Long: `Decode each scenario strictly (unknown fields are errors), apply Kubernetes' defaults and
validate it. Every problem is printed with its field path; all files are checked.

A SCENARIO is a file path or the name of a built-in scenario (see "zdt scenarios list").

Exit codes: 0 every scenario is valid, 2 at least one is not.`,
		Example: `  zdt validate scenarios/*.yaml
  zdt validate ha-well-configured`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, arg := range args {
				s, _, err := scenarios.Open(arg)
				if err != nil {
					bad++
					fmt.Fprintf(streams.ErrOut, "%v\n", err)
					continue
				}
				fmt.Fprintf(streams.Out, "%s: valid (scenario %s, %s -> %s)\n", arg, s.Metadata.Name, s.Spec.Versions.From, s.Spec.Versions.To)
			}
			if bad > 0 {
				return cli.BadInput(fmt.Errorf("%d of %d scenario(s) invalid", bad, len(args)))
			}
			return nil
		},
	}
}
