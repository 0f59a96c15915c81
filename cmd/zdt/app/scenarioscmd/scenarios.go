// Package scenarioscmd implements `zdt scenarios list`, `zdt scenarios show` and
// `zdt scenario import`.
package scenarioscmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/scenarios"
)

// NewCommand returns `zdt scenarios` with its sub-commands.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "scenarios",
		Aliases: []string{"scenario"},
		Short:   "List and print the built-in scenarios; import your own manifests as a scenario",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(newImportCommand(streams))
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios with their expected outcome and descriptions",
		Long: `List the built-in library: the reference scenario that must PASS, and each precondition of
the zero-downtime claim broken one at a time, with the verdict it must get, the criterion that
must fail and a word its cause must contain (spec.expect). zdt certify checks every one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tEXPECT\tUPGRADE\tDESCRIPTION")
			for _, name := range scenarios.Names() {
				s, _, err := scenarios.Open(name)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%s -> %s\t%s\n", name, s.Spec.Expect, s.Spec.Versions.From, s.Spec.Versions.To, s.Metadata.Description)
			}
			return w.Flush()
		},
	}, &cobra.Command{
		Use:   "show NAME",
		Short: "Print a built-in scenario's YAML, to copy and adapt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, ok := scenarios.Builtin(args[0])
			if !ok {
				return cli.BadInput(fmt.Errorf("no built-in scenario %q; see zdt scenarios list", args[0]))
			}
			_, err := streams.Out.Write(data)
			return err
		},
	})
	return cmd
}
