// Package certify runs a library of scenarios over many seeds on the simulator and builds the
// release qualification (package qualify): for each scenario, whether every seed came out as the
// scenario expects, with one run directory per outcome for the report to link to.
package certify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/qualify"
	"github.com/zdt-dev/zdt/scenarios"
)

// Options tune a certification.
type Options struct {
	// Seeds is how many seeds each scenario runs (default 20), from FirstSeed on (default 1).
	Seeds     int
	FirstSeed int64
	// Parallel is how many runs go at once (default: the number of CPUs).
	Parallel int
	// Out, when set, receives one run directory per scenario and outcome, under runs/.
	Out string
	// Version is zdt's version, for the run directories and the qualification.
	Version string
	// Progress, when set, is called after each run with how many are done.
	Progress func(done, total int)
}

// Run certifies the scenarios on the provider. An interruption stops it: the qualification is
// returned with what was run, marked incomplete, along with the context's error.
func Run(ctx context.Context, scs []*scenarios.Scenario, p harness.Provider, opts Options) (*qualify.Qualification, error) {
	start := time.Now()
	if opts.Seeds <= 0 {
		opts.Seeds = 20
	}
	if opts.FirstSeed == 0 {
		opts.FirstSeed = 1
	}
	parallel := opts.Parallel
	if parallel < 1 {
		parallel = runtime.NumCPU()
	}
	q := &qualify.Qualification{SchemaVersion: qualify.SchemaVersion, ZDTVersion: opts.Version, Provider: p.Info().Name,
		Seeds: opts.Seeds, FirstSeed: opts.FirstSeed, Rows: make([]qualify.Row, len(scs))}
	type result struct {
		r   *report.Report
		err error
	}
	results := make([][]result, len(scs))
	for i, sc := range scs {
		results[i] = make([]result, opts.Seeds)
		q.Rows[i] = qualify.Row{Scenario: sc.Metadata.Name, Description: sc.Metadata.Description, Expect: qualify.Expectation(sc), Runs: map[string]string{}}
	}

	// Every (scenario, seed) is one job; runs are deterministic, so the matrix does not depend
	// on how they are spread over the workers.
	type job struct{ row, seed int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, total := 0, len(scs)*opts.Seeds
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				seed := opts.FirstSeed + int64(j.seed)
				r, err := runOne(ctx, sweep.Variant(scs[j.row], seed, scs[j.row].Spec.Faults), p)
				mu.Lock()
				results[j.row][j.seed] = result{r, err}
				done++
				if opts.Progress != nil {
					opts.Progress(done, total)
				}
				mu.Unlock()
			}
		}()
	}
	interrupted := false
feed:
	for i := range scs {
		for s := 0; s < opts.Seeds; s++ {
			select {
			case jobs <- job{i, s}:
			case <-ctx.Done():
				interrupted = true
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	interrupted = interrupted || ctx.Err() != nil

	for i := range q.Rows {
		row := &q.Rows[i]
		for s, res := range results[i] {
			if res.r == nil && res.err == nil {
				continue // not run: interrupted
			}
			if res.err != nil && errors.Is(res.err, context.Canceled) {
				continue
			}
			row.Add(opts.FirstSeed+int64(s), res.r, res.err)
		}
		row.Finish()
	}
	q.Completed = !interrupted
	if opts.Out != "" && !interrupted {
		if err := writeRuns(ctx, q, scs, p, opts); err != nil {
			q.Tally(time.Since(start))
			return q, err
		}
	}
	q.Tally(time.Since(start))
	if interrupted {
		return q, ctx.Err()
	}
	return q, nil
}

// runOne runs one seed in memory and judges it.
func runOne(ctx context.Context, sc *scenarios.Scenario, p harness.Provider) (*report.Report, error) {
	mem := &model.Memory{}
	info, err := harness.Run(ctx, sc, p, mem, harness.Options{})
	if err != nil {
		return nil, err
	}
	return report.Evaluate(sc, info, mem.Samples, mem.Intervals, mem.States), nil
}

// writeRuns writes, for each row, the run directory of the first seed of each outcome, so that
// the qualification links to a full report of every behaviour it saw.
func writeRuns(ctx context.Context, q *qualify.Qualification, scs []*scenarios.Scenario, p harness.Provider, opts Options) error {
	for i := range q.Rows {
		row := &q.Rows[i]
		seen := map[string]bool{}
		for _, s := range row.Seeds {
			v := string(s.Verdict)
			if s.Error != "" {
				v = "ERROR"
			}
			if seen[v] {
				continue
			}
			seen[v] = true
			rel := filepath.Join("runs", fmt.Sprintf("%s-seed%d", row.Scenario, s.Seed))
			dir := filepath.Join(opts.Out, rel)
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			_, err := harness.Execute(ctx, harness.Input{Scenario: sweep.Variant(scs[i], s.Seed, scs[i].Spec.Faults), Provider: p, Out: dir, Version: opts.Version})
			if err != nil && !errors.Is(err, harness.ErrHarness) {
				return fmt.Errorf("%s seed %d: %w", row.Scenario, s.Seed, err)
			}
			row.Runs[v] = filepath.ToSlash(rel)
		}
	}
	return nil
}
