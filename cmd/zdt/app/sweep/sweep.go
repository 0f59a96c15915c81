// Package sweep implements `zdt sweep`.
package sweep

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/harness/images"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/harness/sweep/onjob"
	"github.com/zdt-dev/zdt/scenarios"
)

type flagpole struct {
	seeds int
	// calibration is a profile file for the simulator (--calibration).
	calibration string
	firstSeed   int64
	faults      string
	parallel    int
	out         string
	noShrink    bool
	maxShrink   int
	list        int
	results     string
	shard       string
	onCluster   string
	jobs        int
	image       string
}

// NewCommand returns `zdt sweep`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "sweep SCENARIO",
		Short: "Run a scenario over many seeds and shrink each failure to a reproducer",
		Long: `Run a scenario on the simulator over many seeds (optionally with a random fault schedule drawn
from each seed), print how many passed and failed, the failing seeds with their first failed
criterion, and for each distinct failure (runs whose first failed criterion is the same) shrink
the fault schedule (fewer faults, shorter, later) to the smallest one that still fails. Each
shrunk failure is written as a scenario file under --out that reproduces it with "zdt run FILE".

Seeds are drawn as they run and memory stays bounded whatever --seeds is; progress shows every
second. Ctrl-C stops the sweep and prints what it found so far: the counts, the failing seeds,
and a reproducer for each distinct failure (shrunk when the shrinking was done, the failing
seed's own schedule otherwise).

Exit codes: 0 every seed passed, 1 a seed failed, 2 bad input or a seed stopped by a harness
error (a broken simulator invariant: listed with its seed), 3 no failure but some runs
were inconclusive, or the sweep was interrupted.`,
		Example: `  zdt sweep ha-well-configured --seeds 1000 --faults random
  zdt sweep my.yaml --seeds 200 --first-seed 5000 --parallel 2 --out runs/sweep`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cli.ManyRunsGC()
			profile, err := cli.ReadProfile(f.calibration)
			if err != nil {
				return cli.BadInput(err)
			}
			sc, _, err := scenarios.OpenWith(args[0], profile)
			if err != nil {
				return cli.BadInput(err)
			}
			if f.faults != "none" && f.faults != "random" && f.faults != "scenario" {
				return cli.BadInput(fmt.Errorf("--faults %q: use scenario (the scenario's own faults), random or none", f.faults))
			}
			if f.faults == "none" {
				sc.Spec.Faults = nil
			}
			if f.seeds < 1 {
				return cli.BadInput(fmt.Errorf("--seeds %d: run at least one seed", f.seeds))
			}
			return runE(cmd, streams, f, sc)
		},
	}
	cmd.Flags().IntVar(&f.seeds, "seeds", 100, "how many seeds to run")
	cmd.Flags().Int64Var(&f.firstSeed, "first-seed", 1, "the first seed")
	cmd.Flags().StringVar(&f.faults, "faults", "scenario", "fault schedule: scenario (its own faults), random (drawn from each seed) or none")
	cmd.Flags().IntVar(&f.parallel, "parallel", runtime.NumCPU(), "runs at once")
	cmd.Flags().StringVar(&f.out, "out", "", "directory for the reproducer scenarios (default runs/sweep-<scenario>)")
	cmd.Flags().BoolVar(&f.noShrink, "no-shrink", false, "do not shrink failures")
	cmd.Flags().StringVar(&f.calibration, "calibration", "", "a calibration profile file (zdt calibrate writes one) in place of the simulator's default timings")
	cmd.Flags().IntVar(&f.maxShrink, "max-shrink-runs", sweep.DefaultMaxShrinkRuns, "runs spent shrinking each distinct failure")
	cmd.Flags().IntVar(&f.list, "list", 20, "failing seeds listed")
	cmd.Flags().StringVar(&f.shard, "shard", "", "run only shard I/N of the seeds (a contiguous slice; the N shards cover them all once), exit 0 whatever the verdicts: what each index of an --on-cluster Job runs")
	cmd.Flags().StringVar(&f.onCluster, "on-cluster", "", "run the sweep on the Kubernetes cluster of this kubeconfig as an Indexed Job of zdt's image (zdt images build makes it), then shrink the failures here; zdt creates one namespace zdt-sweep-* and deletes it at the end")
	cmd.Flags().IntVar(&f.jobs, "parallelism", 4, "with --on-cluster: the Job's indexes (pods), each with its slice of the seeds")
	cmd.Flags().StringVar(&f.image, "image", images.ZDTImage, "with --on-cluster: the image the Job's pods run (it must hold zdt at the same version)")
	cmd.Flags().StringVar(&f.results, "results", "", "also write every seed's result to this file (- for standard output, the summary then goes to standard error), one JSON line per seed in the order they finish (seed, verdict, failed and inconclusive criteria, cause, faults)")
	return cmd
}

func runE(cmd *cobra.Command, streams cli.IOStreams, f *flagpole, sc *scenarios.Scenario) error {
	out := f.out
	if out == "" {
		out = filepath.Join("runs", "sweep-"+sc.Metadata.Name)
	}
	firstSeed, seeds := f.firstSeed, f.seeds
	if f.shard != "" {
		if f.onCluster != "" {
			return cli.BadInput(errors.New("--shard and --on-cluster: a shard runs here, --on-cluster runs every shard on the cluster; use one"))
		}
		var i, n int
		if _, err := fmt.Sscanf(f.shard, "%d/%d", &i, &n); err != nil || n < 1 || i < 0 || i >= n || n > seeds {
			return cli.BadInput(fmt.Errorf("--shard %q: INDEX/COUNT with 0 <= INDEX < COUNT <= --seeds, e.g. 0/4", f.shard))
		}
		firstSeed, seeds = sweep.Shard(f.firstSeed, f.seeds, i, n)
	}
	w := streams.Out
	// Progress from the first second, every second: a long sweep shows it is alive.
	last := time.Now()
	var onResult func(sweep.SeedResult)
	if f.results != "" {
		var dst io.Writer = streams.Out
		closeFile := func() error { return nil }
		if f.results == "-" {
			w = streams.ErrOut
		} else {
			rf, err := os.Create(f.results)
			if err != nil {
				return cli.BadInput(fmt.Errorf("--results: %w", err))
			}
			dst, closeFile = rf, rf.Close
		}
		bw := bufio.NewWriter(dst)
		enc := json.NewEncoder(bw)
		var werr error
		onResult = func(r sweep.SeedResult) {
			if werr == nil {
				werr = enc.Encode(sweep.Line(r))
			}
		}
		defer func() {
			if err := errors.Join(werr, bw.Flush(), closeFile()); err != nil {
				fmt.Fprintf(streams.ErrOut, "zdt: --results %s: %v\n", f.results, err)
			}
		}()
	}
	opts := sweep.Options{
		Seeds: seeds, FirstSeed: firstSeed, RandomFaults: f.faults == "random", Parallel: f.parallel,
		Shrink: !f.noShrink && f.shard == "", MaxShrinkRuns: f.maxShrink, Keep: f.list, OnResult: onResult,
		Progress: func(done, total int) {
			if time.Since(last) >= time.Second || done == total {
				last = time.Now()
				fmt.Fprintf(streams.ErrOut, "zdt: sweep %d/%d seeds\n", done, total)
			}
		},
	}
	var res *sweep.Result
	var err error
	if f.onCluster != "" {
		res, err = runOnCluster(cmd.Context(), streams, f, sc, opts)
	} else {
		res, err = sweep.Run(cmd.Context(), sc, sim.NewProvider(), sweep.ReportJudge, opts)
	}
	if res == nil {
		return err
	}
	if res.Interrupted {
		fmt.Fprintf(streams.ErrOut, "zdt: sweep interrupted after %d seed(s): what was found so far follows\n", res.Runs)
	}
	rate := float64(res.Runs) / res.Elapsed.Seconds()
	interrupted := ""
	if res.Interrupted {
		interrupted = fmt.Sprintf(" (interrupted: %d of %d asked for)", res.Runs, seeds)
	}
	where := fmt.Sprintf("%d parallel", f.parallel)
	if f.onCluster != "" {
		where = fmt.Sprintf("as a Job of %d indexes, shrinking here", f.jobs)
	}
	if f.shard != "" {
		where += ", shard " + f.shard
	}
	fmt.Fprintf(w, "sweep %s: %d seeds from %d%s, faults %s: %d passed, %d failed, %d inconclusive, %d harness errors in %s (%.0f seeds/s incl. shrinking, %s)\n",
		sc.Metadata.Name, res.Runs, firstSeed, interrupted, f.faults, res.Passed, res.Failed, res.Inconclusive, res.HarnessErrors,
		res.Elapsed.Round(time.Millisecond), rate, where)
	if res.Inconclusive > 0 {
		var parts []string
		for _, c := range slices.Sorted(maps.Keys(res.InconclusiveBy)) {
			parts = append(parts, fmt.Sprintf("%s %d", c, res.InconclusiveBy[c]))
		}
		fmt.Fprintf(w, "  inconclusive by criterion: %s\n", strings.Join(parts, ", "))
	}
	listHarnessErrors(w, res, f.list)
	listFailing(w, res, f.list)
	if f.shard != "" {
		// A shard reports its seeds and writes no reproducer: the verdicts and the shrinking
		// are the caller's.
		switch {
		case res.Interrupted:
			return cli.Exit(cli.ExitInconclusive, fmt.Errorf("interrupted after %d seed(s)", res.Runs))
		case res.HarnessErrors > 0:
			return cli.Exit(cli.ExitBadInput, fmt.Errorf("%d seed(s) stopped by a harness error", res.HarnessErrors))
		}
		return nil
	}
	for _, fl := range res.Failures {
		fmt.Fprintf(w, "\nfailure %q: %d seed(s), first seed %d with %d fault(s)\n", fl.Criterion, fl.Count, fl.Example.Seed, len(fl.Example.Faults))
		if fl.Shrunk == nil {
			// Not shrunk (--no-shrink, or interrupted before): the seed's own schedule reproduces it.
			fl.Shrunk = sweep.Variant(sc, fl.Example.Seed, fl.Example.Faults)
			fl.Shrunk.Metadata.Name = fmt.Sprintf("%s-seed%d-%s", sc.Metadata.Name, fl.Example.Seed, strings.ReplaceAll(fl.Criterion, "/", "-"))
			path, err := writeRepro(out, fl)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  not shrunk; reproduce: zdt run %s\n", path)
			continue
		}
		fmt.Fprintf(w, "  shrunk in %d runs to %d fault(s):\n", fl.ShrinkRuns, len(fl.Shrunk.Spec.Faults))
		for _, ft := range fl.Shrunk.Spec.Faults {
			fmt.Fprintf(w, "    %s\n", ft.Describe())
		}
		path, err := writeRepro(out, fl)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  reproduce: zdt run %s\n", path)
	}
	switch {
	case res.Interrupted:
		return cli.Exit(cli.ExitInconclusive, fmt.Errorf("interrupted after %d seed(s): the counts above cover those only", res.Runs))
	case res.HarnessErrors > 0:
		return cli.Exit(cli.ExitBadInput, fmt.Errorf("%d seed(s) stopped by a harness error (listed above): their runs say nothing about the upgrade", res.HarnessErrors))
	case res.Failed > 0:
		return cli.Exit(cli.ExitFail, nil)
	case res.Inconclusive > 0:
		return cli.Exit(cli.ExitInconclusive, nil)
	}
	return nil
}

// listHarnessErrors lists the seeds a harness error stopped, e.g. a broken simulator invariant.
func listHarnessErrors(w io.Writer, res *sweep.Result, limit int) {
	if res.HarnessErrors == 0 {
		return
	}
	fmt.Fprintf(w, "  %d seed(s) stopped by a harness error:\n", res.HarnessErrors)
	for _, r := range res.Errors {
		fmt.Fprintf(w, "  seed %-6d ERROR harness-error        %d fault(s)  %s\n", r.Seed, len(r.Faults), firstLine(r.Error))
	}
	if more := res.HarnessErrors - len(res.Errors); more > 0 {
		fmt.Fprintf(w, "  ... %d more\n", more)
	}
}

func listFailing(w io.Writer, res *sweep.Result, limit int) {
	for _, r := range res.Failing {
		fmt.Fprintf(w, "  seed %-6d FAIL %-20s %d fault(s)  %s\n", r.Seed, r.Verdict.First(), len(r.Faults), firstLine(r.Verdict.Reason))
	}
	if more := res.Failed - len(res.Failing); more > 0 {
		fmt.Fprintf(w, "  ... %d more failing seed(s)\n", more)
	}
}

func firstLine(s string) string {
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	if len(s) > 110 {
		s = s[:107] + "..."
	}
	return s
}

func writeRepro(dir string, fl sweep.Failure) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write reproducer: %w", err)
	}
	data, err := scenarios.Marshal(fl.Shrunk)
	if err != nil {
		return "", err
	}
	header := fmt.Sprintf("# Found by zdt sweep: %s fails with seed %d and this fault schedule.\n# Reproduce: zdt run <this file>\n", fl.Criterion, *fl.Shrunk.Spec.Seed)
	path := filepath.Join(dir, fl.Shrunk.Metadata.Name+".yaml")
	if err := os.WriteFile(path, append([]byte(header), data...), 0o644); err != nil {
		return "", fmt.Errorf("write reproducer: %w", err)
	}
	return path, nil
}

// runOnCluster runs the sweep as an Indexed Job on the cluster of --on-cluster, then shrinks its
// failures here, on the simulator, as a local sweep does.
func runOnCluster(ctx context.Context, streams cli.IOStreams, f *flagpole, sc *scenarios.Scenario, opts sweep.Options) (*sweep.Result, error) {
	start := time.Now()
	cfg, err := clientcmd.BuildConfigFromFlags("", f.onCluster)
	if err != nil {
		return nil, cli.BadInput(fmt.Errorf("--on-cluster %s: %w", f.onCluster, err))
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, cli.BadInput(fmt.Errorf("--on-cluster %s: %w", f.onCluster, err))
	}
	lines, err := onjob.Run(ctx, onjob.Input{Client: cs, Scenario: sc, Seeds: opts.Seeds, FirstSeed: opts.FirstSeed, Faults: f.faults,
		Parallelism: f.jobs, Image: f.image,
		Progress: func(format string, args ...any) { fmt.Fprintf(streams.ErrOut, "zdt: "+format+"\n", args...) }})
	if err != nil {
		if ctx.Err() != nil {
			return &sweep.Result{Interrupted: true, InconclusiveBy: map[string]int{}, Elapsed: time.Since(start)}, ctx.Err()
		}
		return nil, err
	}
	if opts.OnResult != nil {
		for _, l := range lines {
			opts.OnResult(l.SeedResult())
		}
	}
	res := sweep.FromLines(lines, opts.Keep)
	if opts.Shrink {
		sweep.ShrinkFailures(ctx, sc, sim.NewProvider(), sweep.ReportJudge, res, opts.MaxShrinkRuns, opts.Parallel)
	}
	res.Elapsed = time.Since(start)
	if res.Interrupted {
		return res, ctx.Err()
	}
	return res, nil
}
