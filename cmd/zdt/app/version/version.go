// Package version implements `zdt version`.
package version

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
)

// Version is zdt's version, set at build time with -ldflags "-X .../version.Version=v0.1.0".
var Version = "dev"

// String returns the version with the VCS revision when the binary knows it.
func String() string {
	if Version != "dev" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return Version
}

// NewCommand returns `zdt version`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print zdt's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(streams.Out, "zdt %s\n", String())
			return err
		},
	}
}
