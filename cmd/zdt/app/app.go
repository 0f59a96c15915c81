// Package app assembles the zdt command: Main exits the process, Run is what tests call.
package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/audit"
	"github.com/zdt-dev/zdt/cmd/zdt/app/baseline"
	"github.com/zdt-dev/zdt/cmd/zdt/app/calibrate"
	"github.com/zdt-dev/zdt/cmd/zdt/app/certify"
	"github.com/zdt-dev/zdt/cmd/zdt/app/cleanup"
	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/cmd/zdt/app/compare"
	"github.com/zdt-dev/zdt/cmd/zdt/app/faultscmd"
	"github.com/zdt-dev/zdt/cmd/zdt/app/images"
	"github.com/zdt-dev/zdt/cmd/zdt/app/predictcmd"
	"github.com/zdt-dev/zdt/cmd/zdt/app/reportcmd"
	"github.com/zdt-dev/zdt/cmd/zdt/app/run"
	"github.com/zdt-dev/zdt/cmd/zdt/app/scenarioscmd"
	"github.com/zdt-dev/zdt/cmd/zdt/app/strategiescmd"
	"github.com/zdt-dev/zdt/cmd/zdt/app/sweep"
	"github.com/zdt-dev/zdt/cmd/zdt/app/validate"
	"github.com/zdt-dev/zdt/cmd/zdt/app/version"

	// Every provider zdt ships registers itself with the harness.
	_ "github.com/zdt-dev/zdt/harness/providers"
)

// Main runs zdt with the process's arguments and exits with its exit code. The first Ctrl-C
// cancels the run's context so that the run stops cleanly and keeps what it measured.
func Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, cli.StandardStreams(), os.Args[1:])
	stop()
	os.Exit(cli.ExitCode(err))
}

// Run runs zdt with args and returns the error whose exit code the process should end with.
// It prints the error, if any, to streams.ErrOut.
func Run(ctx context.Context, streams cli.IOStreams, args []string) error {
	cmd := NewCommand(streams)
	cmd.SetArgs(args)
	var profile *os.File
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		path, _ := cmd.Flags().GetString("cpuprofile")
		if path == "" {
			return nil
		}
		f, err := os.Create(path)
		if err != nil {
			return cli.BadInput(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return cli.BadInput(fmt.Errorf("--cpuprofile: %w", err))
		}
		profile = f
		return nil
	}
	err := cmd.ExecuteContext(ctx)
	if profile != nil {
		pprof.StopCPUProfile()
		profile.Close()
	}
	if err != nil {
		if msg := err.Error(); msg != "" && !isSilent(err) {
			fmt.Fprintf(streams.ErrOut, "zdt: %s\n", msg)
		}
		var exit *cli.ExitError
		if !errors.As(err, &exit) {
			// An error that is no ExitError (e.g. a bad flag) is bad input.
			err = cli.BadInput(err)
		} else if exit.Code == cli.ExitPass {
			err = nil
		}
	}
	return err
}

func isSilent(err error) bool {
	e, ok := err.(*cli.ExitError)
	return ok && e.Err == nil
}

// NewCommand returns the root zdt command with every verb.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zdt",
		Short: "zdt certifies that a Kubernetes upgrade causes zero downtime",
		Long: `zdt certifies the claim "this Kubernetes upgrade causes zero downtime".

It reads a scenario (cluster, versions, workloads, load, faults, criteria), brings the cluster up
on a provider (the deterministic simulator "sim" by default, or a real kind + Cluster API cluster),
sends HTTP load through a full preflight -> control plane -> workers -> postflight upgrade,
measures dropped requests, PDB stalls, capacity floors, API downtime and phase durations, and
prints PASS or FAIL with the reasons.

` + cli.ExitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.PersistentFlags().String("cpuprofile", "", "write a Go CPU profile of the command to this file (go tool pprof reads it): where a sweep or a run spends its time")
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.AddCommand(
		run.NewCommand(streams),
		run.NewPreflightCommand(streams),

		validate.NewCommand(streams),
		audit.NewCommand(streams),
		reportcmd.NewCommand(streams),
		compare.NewCommand(streams),
		baseline.NewCommand(streams),
		scenarioscmd.NewCommand(streams),
		faultscmd.NewCommand(streams),
		images.NewCommand(streams),
		cleanup.NewCommand(streams),
		sweep.NewCommand(streams),
		strategiescmd.NewCommand(streams),
		predictcmd.NewCommand(streams),
		certify.NewCommand(streams),
		calibrate.NewCommand(streams),
		version.NewCommand(streams),
	)
	return cmd
}
