package sweep

import (
	"context"
	"errors"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Verdict is what a Judge says of one run.
type Verdict struct {
	// Failed lists the failed criteria in report order; empty when the run did not fail.
	Failed       []string
	Inconclusive bool
	// Unsure lists the inconclusive criteria in report order.
	Unsure []string
	// Reason is the first failed criterion's cause, for the sweep's listing.
	Reason string
}

// First returns the first failed criterion, or "".
func (v Verdict) First() string {
	if len(v.Failed) == 0 {
		return ""
	}
	return v.Failed[0]
}

// Fails reports whether the criterion failed.
func (v Verdict) Fails(criterion string) bool {
	for _, c := range v.Failed {
		if c == criterion {
			return true
		}
	}
	return false
}

// Judge evaluates one finished run.
type Judge func(sc *scenarios.Scenario, info *model.RunInfo, data *model.Memory) Verdict

// ReportJudge is zdt's judge: the run's report (report.Evaluate), its failed criteria in report
// order, the first one's cause, and whether it was inconclusive.
func ReportJudge(sc *scenarios.Scenario, info *model.RunInfo, data *model.Memory) Verdict {
	r := report.Evaluate(sc, info, data.Samples, data.Intervals, data.States)
	v := Verdict{Inconclusive: r.Verdict == report.Inconclusive}
	for _, c := range r.Criteria {
		if c.Outcome == report.OutcomeFail {
			if len(v.Failed) == 0 {
				v.Reason = c.Cause
			}
			v.Failed = append(v.Failed, c.Name)
		}
		if c.Outcome == report.OutcomeInconclusive {
			v.Unsure = append(v.Unsure, c.Name)
		}
	}
	return v
}

// Options tune a sweep.
type Options struct {
	// Seeds is how many seeds to run, from FirstSeed on.
	Seeds     int
	FirstSeed int64
	// RandomFaults replaces the scenario's faults with a schedule drawn from each seed.
	RandomFaults bool
	// Parallel is how many runs go at once (default: the number of CPUs).
	Parallel int
	// Shrink shrinks each distinct failure; MaxShrinkRuns bounds the runs spent on each.
	Shrink        bool
	MaxShrinkRuns int
	// Progress, when set, is called after each run with how many are done.
	Progress func(done, total int)
}

// SeedResult is one seed's run.
type SeedResult struct {
	Seed    int64
	Faults  []faults.Fault
	Verdict Verdict
	// Error is the harness error that stopped the run (a broken simulator invariant, ...): the
	// seed then has no verdict.
	Error string
}

// Failure is one distinct failure (runs whose first failed criterion is the same), with the
// smallest fault schedule found that still fails it.
type Failure struct {
	Criterion string
	Seeds     []int64
	// Example is the lowest failing seed; Shrunk the scenario that reproduces the failure with
	// the shrunk schedule (seed and faults written in), ShrinkRuns the runs the shrinking took.
	Example    SeedResult
	Shrunk     *scenarios.Scenario
	ShrinkRuns int
}

// Result is a whole sweep.
type Result struct {
	Runs, Passed, Failed, Inconclusive int
	// HarnessErrors counts the seeds stopped by a harness error; InconclusiveBy counts the
	// inconclusive seeds by criterion (a seed may count under several).
	HarnessErrors  int
	InconclusiveBy map[string]int
	Results        []SeedResult
	Failures       []Failure
	Elapsed        time.Duration
}

// Variant returns the scenario for one seed and fault schedule. It shares the scenario's
// read-only parts: runs never change a scenario.
func Variant(sc *scenarios.Scenario, seed int64, faults []faults.Fault) *scenarios.Scenario {
	v := *sc
	v.Spec.Seed = &seed
	v.Spec.Faults = faults
	return &v
}

// RunOne runs one scenario on the provider in memory and judges it.
func RunOne(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge) (Verdict, error) {
	mem := &model.Memory{}
	info, err := harness.Run(ctx, sc, p, mem, harness.Options{})
	if err != nil {
		return Verdict{}, err
	}
	return judge(sc, info, mem), nil
}

// Run sweeps a scenario over seeds.
func Run(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Seeds < 1 {
		return nil, errors.New("sweep needs at least one seed")
	}
	parallel := opts.Parallel
	if parallel < 1 {
		parallel = runtime.NumCPU()
	}
	res := &Result{Runs: opts.Seeds, Results: make([]SeedResult, opts.Seeds)}
	var draw faults.DrawContext
	if opts.RandomFaults {
		var err error
		if draw, err = DrawContextOf(ctx, sc, p); err != nil {
			return nil, err
		}
	}
	for i := range res.Results {
		seed := opts.FirstSeed + int64(i)
		faults := sc.Spec.Faults
		if opts.RandomFaults {
			faults = RandomFaults(draw, seed)
		}
		res.Results[i] = SeedResult{Seed: seed, Faults: faults}
	}

	// Workers take seeds by index; each run is single threaded and deterministic, so the
	// results do not depend on how runs are spread over the workers.
	var (
		wg      sync.WaitGroup
		next    = make(chan int)
		mu      sync.Mutex
		done    int
		firstEr error
	)
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &res.Results[i]
				v, err := RunOne(ctx, Variant(sc, r.Seed, r.Faults), p, judge)
				mu.Lock()
				// A harness error is the seed's result, not the sweep's end: the other seeds
				// still say something. Only an interruption stops the sweep.
				if err != nil {
					r.Error = err.Error()
				}
				r.Verdict = v
				done++
				if opts.Progress != nil {
					opts.Progress(done, opts.Seeds)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range res.Results {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstEr == nil && ctx.Err() != nil {
		firstEr = ctx.Err()
	}
	if firstEr != nil {
		return nil, firstEr
	}

	groups := map[string]*Failure{}
	var order []string
	res.InconclusiveBy = map[string]int{}
	for _, r := range res.Results {
		switch {
		case r.Error != "":
			res.HarnessErrors++
		case r.Verdict.First() != "":
			res.Failed++
			c := r.Verdict.First()
			f := groups[c]
			if f == nil {
				f = &Failure{Criterion: c, Example: r}
				groups[c] = f
				order = append(order, c)
			}
			f.Seeds = append(f.Seeds, r.Seed)
		case r.Verdict.Inconclusive:
			res.Inconclusive++
			for _, c := range r.Verdict.Unsure {
				res.InconclusiveBy[c]++
			}
		default:
			res.Passed++
		}
	}
	sort.Strings(order)
	for _, c := range order {
		f := groups[c]
		if opts.Shrink {
			shrunk, runs, err := Shrink(ctx, sc, p, judge, f.Example, opts.MaxShrinkRuns)
			if err != nil {
				return nil, err
			}
			f.Shrunk, f.ShrinkRuns = shrunk, runs
		}
		res.Failures = append(res.Failures, *f)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
