// Package run implements `zdt run` and `zdt preflight`.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/cmd/zdt/app/version"
	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/kind"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

type flagpole struct {
	provider   string
	seed       int64
	out        string
	quiet      bool
	kubeconfig string
	cluster    string
	targets    []string
	keep       bool
	// logf, when set, receives the provider's bring-up and teardown lines.
	logf func(format string, args ...any)
}

// Providers lists the provider names zdt knows.
var Providers = []string{"sim", "kind", "kubeconfig"}

// NewCommand returns `zdt run`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario: bring a cluster up, upgrade it under load, and judge it",
		Long: `Run a scenario: bring the cluster up at the "from" version, start the load, run the preflight
checks, upgrade the control plane and then every worker pool (one minor version at a time), run
the postflight checks, and judge the run against the scenario's criteria.

SCENARIO is a file path or the name of a built-in scenario (see "zdt scenarios list").

The run directory (--out) receives the resolved scenario, run.json, samples.jsonl, timeline.jsonl,
states.jsonl, report.json, junit.xml and report.html. Ctrl-C stops the run where it is and still
writes what was measured, marked aborted.

` + cli.ExitCodesHelp,
		Example: `  zdt run ha-well-configured
  zdt run my-scenario.yaml --seed 7 --out runs/seed-7
  zdt run my-scenario.yaml --provider kubeconfig --kubeconfig mgmt.kubeconfig --cluster default/prod-1 \
      --target web=http://127.0.0.1:8080`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), streams, f, args[0], cmd.Flags().Changed("seed"), false)
		},
	}
	addFlags(cmd, f)
	return cmd
}

// NewPreflightCommand returns `zdt preflight`.
func NewPreflightCommand(streams cli.IOStreams) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "preflight SCENARIO",
		Short: "Bring the cluster up and run only the preflight checks",
		Long: `Bring the scenario's cluster up and run only the preflight checks: nodes Ready, version skew,
PDBs that would block a drain, workloads lacking replicas/probes/spread/graceful shutdown, spare
capacity, removed APIs, etcd snapshot. No node is touched.

Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd.Context(), streams, f, args[0], cmd.Flags().Changed("seed"), true)
		},
	}
	addFlags(cmd, f)
	return cmd
}

func addFlags(cmd *cobra.Command, f *flagpole) {
	cmd.Flags().StringVar(&f.provider, "provider", "sim", "where to run: sim (the simulator), kind or kubeconfig")
	cmd.Flags().Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	cmd.Flags().StringVar(&f.out, "out", "", "run directory (default runs/<scenario>-<seed>)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print only the verdict summary")
	cmd.Flags().StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig of the Cluster API management cluster (--provider kubeconfig)")
	cmd.Flags().StringVar(&f.cluster, "cluster", "", "the Cluster to upgrade, NAMESPACE/NAME (--provider kubeconfig)")
	cmd.Flags().StringArrayVar(&f.targets, "target", nil, "where a workload's load goes, NAME=URL, once per load target (--provider kubeconfig)")
	cmd.Flags().BoolVar(&f.keep, "keep", false, "leave the kind clusters and the edge load balancer in place for debugging (--provider kind); zdt cleanup removes them")
}

// NewProvider returns the provider the flags name.
func NewProvider(f *flagpole) (harness.Provider, error) {
	switch f.provider {
	case "sim":
		return sim.NewProvider(), nil
	case "kubeconfig":
		p, err := NewKubeconfigProvider(f.kubeconfig, f.cluster)
		if err != nil {
			return nil, err
		}
		p.Targets = map[string]string{}
		for _, t := range f.targets {
			name, url, ok := strings.Cut(t, "=")
			if !ok || name == "" || url == "" {
				return nil, fmt.Errorf("--target %q: want NAME=URL, e.g. web=http://127.0.0.1:8080", t)
			}
			p.Targets[name] = url
		}
		return p, nil
	case "kind":
		dir, err := filepath.Abs(f.out)
		if err != nil {
			return nil, fmt.Errorf("--out %q: %w", f.out, err)
		}
		return kind.NewProvider(kind.Options{Keep: f.keep, Log: f.logf, KubeconfigDir: dir, Capi: capi.Options{SnapshotDir: dir}}), nil
	}
	return nil, fmt.Errorf("--provider %q: unknown provider; use one of %v", f.provider, Providers)
}

func runE(ctx context.Context, streams cli.IOStreams, f *flagpole, arg string, seedSet, preflightOnly bool) error {
	sc, _, err := scenarios.Open(arg)
	if err != nil {
		return cli.BadInput(err)
	}
	if seedSet {
		sc.Spec.Seed = &f.seed
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("%s-%d", sc.Metadata.Name, *sc.Spec.Seed))
	}
	var progress func(string, ...any)
	if !f.quiet {
		progress = func(format string, args ...any) {
			fmt.Fprintf(streams.ErrOut, "zdt: "+format+"\n", args...)
		}
	}
	f.out, f.logf = out, progress
	p, err := NewProvider(f)
	if err != nil {
		return cli.BadInput(err)
	}
	info, rep, err := Execute(ctx, sc, p, out, harness.Options{Progress: progress, PreflightOnly: preflightOnly})
	if rep == nil {
		return err
	}
	if preflightOnly && info != nil {
		// Only the checks ran: print them rather than a verdict on an upgrade that did not happen.
		printChecks(streams.Out, sc.Metadata.Name, info.Preflight)
	} else if serr := rep.Summary(streams.Out); serr != nil {
		return serr
	}
	fmt.Fprintf(streams.Out, "run directory: %s (open %s)\n", out, filepath.Join(out, model.ReportHTML))
	if err != nil {
		return err
	}
	if preflightOnly {
		if model.Failed(info.Preflight) {
			return cli.Exit(cli.ExitFail, nil)
		}
		return nil
	}
	return cli.Exit(rep.Verdict.ExitCode(), nil)
}

// printChecks prints preflight results, a line each, with the fix under those that need one.
func printChecks(w io.Writer, scenario string, checks []model.CheckResult) {
	verdict := "PASS"
	if model.Failed(checks) {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "preflight %s: %s\n", scenario, verdict)
	for _, c := range checks {
		fmt.Fprintf(w, "  %-5s %-24s %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Message)
		if c.Fix != "" && c.Status != model.CheckPass {
			fmt.Fprintf(w, "        %-24s fix: %s\n", "", c.Fix)
		}
	}
}

// Execute runs a scenario into a run directory and renders its report. The report is returned
// even when the run stopped early (aborted, harness error), so that what was measured is kept.
func Execute(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, out string, opts harness.Options) (*model.RunInfo, *report.Report, error) {
	w, err := model.Create(out)
	if err != nil {
		return nil, nil, cli.BadInput(err)
	}
	data, err := scenarios.Marshal(sc)
	if err != nil {
		return nil, nil, err
	}
	if err := model.WriteFile(out, model.ScenarioFile, data); err != nil {
		return nil, nil, err
	}
	opts.Version = version.String()
	if p.Name() == "sim" {
		opts.Start = sim.Epoch
	} else {
		opts.Start = time.Now().UTC()
	}
	info, runErr := harness.Run(ctx, sc, p, w, opts)
	if err := errors.Join(w.Close()); err != nil {
		return nil, nil, err
	}
	if info == nil {
		return nil, nil, runErr
	}
	if err := model.WriteRunInfo(out, info); err != nil {
		return nil, nil, err
	}
	rep, err := report.FromDir(out)
	if err != nil {
		return info, nil, errors.Join(runErr, err)
	}
	if err := rep.WriteAll(out); err != nil {
		return info, nil, errors.Join(runErr, err)
	}
	if runErr != nil {
		runErr = fmt.Errorf("run stopped by a harness error: %w", runErr)
	}
	return info, rep, runErr
}
