// Package certify implements `zdt certify`.
package certify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/cmd/zdt/app/version"
	"github.com/zdt-dev/zdt/harness/certify"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/report/qualify"
	"github.com/zdt-dev/zdt/scenarios"
)

type flagpole struct {
	seeds     int
	firstSeed int64
	parallel  int
	out       string
}

// NewCommand returns `zdt certify`.
func NewCommand(streams cli.IOStreams) *cobra.Command {
	f := &flagpole{}
	cmd := &cobra.Command{
		Use:   "certify [SCENARIO...]",
		Short: "Check that zdt's verdicts hold: run the certification library over many seeds",
		Long: `Run the built-in certification library (or the given scenarios) on the simulator over --seeds
seeds each, and check that every seed comes out as the scenario states in spec.expect: the
verdict, the criterion that must fail, and a word its cause must contain (a scenario without
spec.expect must PASS). The library holds the reference scenario that must PASS and each
precondition of the zero-downtime claim broken one at a time (zdt scenarios list).

It prints a matrix (scenario, expected, observed counts, cause, match) with a statement per row:
for a scenario with no failing seed, the 95% upper bound on its failure probability (exact
Clopper-Pearson); otherwise the share of seeds that failed, with its bounds. It writes a release
qualification into --out: qualification.html (the matrix, the spread of drops across seeds,
links to one run report per outcome), qualification.junit.xml (one test case per scenario) and
qualification.json.

Exit codes: 0 every scenario as expected, 1 a scenario differed from its expectation, 2 bad
input, 3 interrupted (the qualification written is marked incomplete).`,
		Example: `  zdt certify                          # the whole library, 20 seeds each
  zdt certify --seeds 100 --out runs/qualification
  zdt certify my-scenario.yaml no-readiness-probe --seeds 50`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cli.ManyRunsGC()
			if f.seeds < 1 {
				return cli.BadInput(fmt.Errorf("--seeds %d: run at least one seed", f.seeds))
			}
			names := args
			if len(names) == 0 {
				names = scenarios.Names()
			}
			var scs []*scenarios.Scenario
			for _, n := range names {
				sc, _, err := scenarios.Open(n)
				if err != nil {
					return cli.BadInput(err)
				}
				scs = append(scs, sc)
			}
			return runE(cmd.Context(), streams, f, scs)
		},
	}
	cmd.Flags().IntVar(&f.seeds, "seeds", 20, "seeds per scenario")
	cmd.Flags().Int64Var(&f.firstSeed, "first-seed", 1, "the first seed")
	cmd.Flags().IntVar(&f.parallel, "parallel", runtime.NumCPU(), "runs at once")
	cmd.Flags().StringVar(&f.out, "out", "runs/certify", "directory for the qualification and its run reports")
	return cmd
}

func runE(ctx context.Context, streams cli.IOStreams, f *flagpole, scs []*scenarios.Scenario) error {
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return cli.BadInput(fmt.Errorf("--out: %w", err))
	}
	last := time.Now()
	fmt.Fprintf(streams.ErrOut, "zdt: certify %d scenario(s) x %d seeds on the simulator\n", len(scs), f.seeds)
	q, err := certify.Run(ctx, scs, sim.NewProvider(), certify.Options{
		Seeds: f.seeds, FirstSeed: f.firstSeed, Parallel: f.parallel, Out: f.out, Version: version.String(),
		Progress: func(done, total int) {
			if time.Since(last) > 2*time.Second || done == total {
				last = time.Now()
				fmt.Fprintf(streams.ErrOut, "zdt: certify %d/%d runs\n", done, total)
			}
		},
	})
	if q == nil {
		return err
	}
	if werr := qualify.WriteAll(f.out, q); werr != nil {
		return werr
	}
	printMatrix(streams, q)
	fmt.Fprintf(streams.Out, "\n%d of %d scenario(s) as expected, %d seeds each, in %.1fs; qualification: %s/%s\n",
		q.Matched, len(q.Rows), q.Seeds, q.WallTime, f.out, qualify.HTMLFile)
	switch {
	case errors.Is(err, context.Canceled) || !q.Completed:
		return cli.Exit(cli.ExitInconclusive, fmt.Errorf("interrupted: the qualification is incomplete"))
	case err != nil:
		return err
	case q.Mismatch > 0:
		return cli.Exit(cli.ExitFail, fmt.Errorf("%d scenario(s) differed from their expectation", q.Mismatch))
	}
	return nil
}

func printMatrix(streams cli.IOStreams, q *qualify.Qualification) {
	w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SCENARIO\tEXPECTED\tOBSERVED\tMATCH\tSTATEMENT\tCAUSE")
	for _, r := range q.Rows {
		match := "yes"
		if !r.Match {
			match = "NO: " + r.Mismatch
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Expect.String(), qualify.Observed(r), truncate(match, 80), r.Statement, truncate(r.Cause, 90))
	}
	w.Flush()
}

func truncate(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
