// Package faultscmd implements `zdt faults`.
package faultscmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// NewCommand returns `zdt faults`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "faults",
		Short: "List the fault kinds a scenario can inject, and which provider injects each",
		Long: `List every kind of fault a scenario can name under spec.faults[].kind: what it does to the
cluster, what it targets, and the providers that inject it. A provider refuses at validation
(exit 2) a scenario with a fault it cannot inject.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := streams.Out
			for _, d := range faults.All() {
				var by []string
				for _, p := range harness.Providers() {
					if p.CanInject(d.Kind) {
						by = append(by, p.Name)
					}
				}
				if len(by) == 0 {
					by = []string{"none yet"}
				}
				fmt.Fprintf(w, "%s (target: %s; injected by %s)\n    %s\n    affects: %s\n", d.Kind, target(d), strings.Join(by, ", "), d.Summary, d.Effects)
			}
			return nil
		},
	}
}

func target(d *faults.Descriptor) string {
	switch d.Target {
	case faults.TargetNodes:
		return "target.node: draining, control-plane, pool/NAME, a node name, or any worker"
	case faults.TargetWorkload:
		return "target.workload (required) and target.count pods"
	}
	return "the cluster"
}
