// Package run implements `zdt run` and `zdt preflight`.
package run

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/cmd/zdt/app/version"
	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/render"
	"github.com/zdt-dev/zdt/scenarios"
)

type flagpole struct {
	artifacts bool
	provider  string
	seed      int64
	out       string
	quiet     bool
	manifests []string
	force     bool
	// calibration is a profile file for the simulator (--calibration).
	calibration string
}

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
--manifests adds your own manifests (files or folders of YAML or JSON, multi-document, Lists) to
the scenario's spec.manifests: the removed-APIs preflight check fails if the target version no
longer serves an API they use.

The run directory (--out) receives the resolved scenario, run.json, samples.jsonl, timeline.jsonl,
states.jsonl, report.json, junit.xml, report.html and metrics.prom (the run's figures in the
Prometheus text format); a kind run that does not PASS also leaves artifacts/ (the objects and
pod logs of both clusters, each machine's kubelet and containerd journal, see --artifacts). Ctrl-C stops the run where it is and still writes what was measured,
marked aborted.

` + cli.ProvidersHelp() + "\n" + cli.ExitCodesHelp,
		Example: `  zdt run ha-well-configured
  zdt run my-scenario.yaml --seed 7 --out runs/seed-7
  zdt run ha-well-configured --manifests deploy/   # also check your manifests' APIs
  zdt run testdata/scenarios/kind-small.yaml --provider kind
  zdt run my-scenario.yaml --provider kubeconfig --kubeconfig mgmt.kubeconfig --cluster default/prod-1 \
      --target web=http://127.0.0.1:8080`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd, streams, f, args[0], false)
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
capacity, removed APIs (in the cluster, in spec.manifests and --manifests, and in what the API
server saw requested), control plane redundancy, etcd snapshot. No node is touched.

` + cli.ProvidersHelp() + `
Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runE(cmd, streams, f, args[0], true)
		},
	}
	addFlags(cmd, f)
	return cmd
}

func addFlags(cmd *cobra.Command, f *flagpole) {
	cli.AddProviderFlag(cmd, &f.provider)
	cmd.Flags().Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	cmd.Flags().StringVar(&f.out, "out", "", "run directory (default runs/<scenario>-<seed>)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print only the verdict summary")
	cmd.Flags().BoolVar(&f.artifacts, "artifacts", false, "keep artifacts/ (the clusters' objects and logs, every machine's journal; kind) even when the run passes: it is always kept when it does not")
	cmd.Flags().BoolVar(&f.force, "force", false, "replace a run already in --out (zdt's own files are removed first; without it such an --out is refused)")
	cmd.Flags().StringArrayVar(&f.manifests, "manifests", nil, "your manifests (file or folder; repeatable), added to spec.manifests: the removed-APIs check reads them")
	cmd.Flags().StringVar(&f.calibration, "calibration", "", "a calibration profile file (zdt calibrate writes one) in place of the simulator's default timings; the scenario's spec.calibration still overrides it")
	cli.AddProviderFlags(cmd)
}

func runE(cmd *cobra.Command, streams cli.IOStreams, f *flagpole, arg string, preflightOnly bool) error {
	ctx := cmd.Context()
	profile, err := cli.ReadProfile(f.calibration)
	if err != nil {
		return cli.BadInput(err)
	}
	sc, _, err := scenarios.OpenWith(arg, profile)
	if err != nil {
		return cli.BadInput(err)
	}
	if cmd.Flags().Changed("seed") {
		sc.Spec.Seed = &f.seed
	}
	if len(f.manifests) > 0 {
		for _, m := range f.manifests {
			abs, err := filepath.Abs(m)
			if err != nil {
				return cli.BadInput(fmt.Errorf("--manifests %s: %w", m, err))
			}
			sc.Spec.Manifests = append(sc.Spec.Manifests, abs)
		}
		if err := scenarios.ReadManifests(sc, arg, "."); err != nil {
			return cli.BadInput(fmt.Errorf("--manifests: %w", err))
		}
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
	info, err := harness.LookupProvider(f.provider)
	if err != nil {
		return cli.BadInput(fmt.Errorf("--provider: %w", err))
	}
	set, err := cli.ProviderSettings(cmd, info, out, progress)
	if err != nil {
		return cli.BadInput(err)
	}
	if err := harness.CheckSupport(sc, info); err != nil {
		return cli.BadInput(err)
	}
	p, err := info.New(set)
	if err != nil {
		return cli.BadInput(err)
	}
	return execute(ctx, streams, harness.Input{Scenario: sc, Provider: p, Out: out, Version: version.String(),
		Progress: progress, PreflightOnly: preflightOnly, Force: f.force, KeepArtifacts: f.artifacts})
}

func execute(ctx context.Context, streams cli.IOStreams, in harness.Input) error {
	res, err := harness.Execute(ctx, in)
	if res == nil || res.Report == nil {
		return err
	}
	if in.PreflightOnly {
		// Only the checks ran: print them rather than a verdict on an upgrade that did not happen.
		printChecks(streams.Out, in.Scenario.Metadata.Name, res.Info.Preflight)
	} else if serr := render.Summary(streams.Out, res.Report); serr != nil {
		return serr
	}
	fmt.Fprintf(streams.Out, "run directory: %s (open %s)\n", in.Out, filepath.Join(in.Out, model.ReportHTML))
	if err != nil {
		return err
	}
	if in.PreflightOnly {
		if model.Failed(res.Info.Preflight) {
			return cli.Exit(cli.ExitFail, nil)
		}
		return nil
	}
	return cli.Exit(res.Report.Verdict.ExitCode(), nil)
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
