package sweep

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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

// Judge evaluates one finished run from its records, measured as they were recorded (see
// report.Judging). It must not keep data: it is reused for the next run.
type Judge func(sc *scenarios.Scenario, info *model.RunInfo, data *report.Judging) Verdict

// ReportJudge is zdt's judge: the run's report (report.Judging's, the report without its plots),
// its failed criteria in report order, the first one's cause, and whether it was inconclusive.
func ReportJudge(sc *scenarios.Scenario, info *model.RunInfo, data *report.Judging) Verdict {
	return VerdictOf(data.Report(info))
}

// VerdictOf is what a report says of a run, as a sweep keeps it.
func VerdictOf(r *report.Report) Verdict {
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
	// Keep is how many failing (and harness-error) seeds the result lists, the lowest ones
	// (default 20); every seed counts, whatever Keep is.
	Keep int
	// OnResult, when set, receives every seed's result as it is judged (in no fixed order).
	OnResult func(SeedResult)
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

// ResultLine is a seed's result as zdt sweep --results writes it, one JSON line per seed.
type ResultLine struct {
	Seed int64 `json:"seed"`
	// Verdict is PASS, FAIL, INCONCLUSIVE, or ERROR for a harness error.
	Verdict string   `json:"verdict"`
	Failed  []string `json:"failed,omitempty"`
	Unsure  []string `json:"inconclusive,omitempty"`
	// Reason is the first failed criterion's cause, or the harness error.
	Reason string         `json:"reason,omitempty"`
	Faults []faults.Fault `json:"faults,omitempty"`
}

// Line returns r as a ResultLine.
func Line(r SeedResult) ResultLine {
	l := ResultLine{Seed: r.Seed, Failed: r.Verdict.Failed, Unsure: r.Verdict.Unsure, Reason: r.Verdict.Reason, Faults: r.Faults}
	switch {
	case r.Error != "":
		l.Verdict, l.Reason = "ERROR", r.Error
	case len(r.Verdict.Failed) > 0:
		l.Verdict = "FAIL"
	case r.Verdict.Inconclusive:
		l.Verdict = "INCONCLUSIVE"
	default:
		l.Verdict = "PASS"
	}
	return l
}

// Failure is one distinct failure (runs whose first failed criterion is the same), with the
// smallest fault schedule found that still fails it.
type Failure struct {
	Criterion string
	// Count is how many seeds failed it first; Seeds the lowest of them (at most Keep).
	Count int
	Seeds []int64
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
	// Failing and Errors are the lowest failing and harness-error seeds (at most Keep each), in
	// seed order.
	Failing, Errors []SeedResult
	Failures        []Failure
	// Interrupted says the sweep was stopped: Runs counts the seeds that ran to the end, and the
	// failures were not shrunk (or only partly: Shrunk holds the smallest schedule found).
	Interrupted bool
	Elapsed     time.Duration
}

// Variant returns the scenario for one seed and fault schedule. It shares the scenario's
// read-only parts: runs never change a scenario.
func Variant(sc *scenarios.Scenario, seed int64, faults []faults.Fault) *scenarios.Scenario {
	v := *sc
	v.Spec.Seed = &seed
	v.Spec.Faults = faults
	return &v
}

// judgings keeps the records of finished runs for the next ones: a sweep's runs are alike, so
// what a run allocated fits the next.
var judgings = sync.Pool{New: func() any { return report.NewJudging(nil) }}

// RunOne runs one scenario on the provider, measuring its samples as they come, and judges it.
// The judge must not keep the records it is handed: they are reused by the next run.
func RunOne(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge) (Verdict, error) {
	j := judgings.Get().(*report.Judging)
	defer judgings.Put(j)
	j.Reset(sc)
	info, err := harness.Run(ctx, sc, p, j, harness.Options{Brief: true})
	if err != nil {
		return Verdict{}, err
	}
	return judge(sc, info, j), nil
}

// Run sweeps a scenario over seeds. Seeds are drawn as they are run and only the counts, the
// lowest failing seeds and one example per distinct failure are kept, so that memory does not
// grow with the number of seeds. An interruption (ctx) stops it: the result holds every seed
// that ran to its end, with Interrupted set, along with the context's error.
func Run(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge, opts Options) (*Result, error) {
	start := time.Now()
	if opts.Seeds < 1 {
		return nil, errors.New("sweep needs at least one seed")
	}
	parallel := opts.Parallel
	if parallel < 1 {
		parallel = runtime.NumCPU()
	}
	if opts.Keep <= 0 {
		opts.Keep = 20
	}
	var draw faults.DrawContext
	if opts.RandomFaults {
		var err error
		if draw, err = DrawContextOf(ctx, sc, p); err != nil {
			return nil, err
		}
	}
	agg := newAggregate(opts.Keep)

	// Workers take seeds as they come, from a counter rather than a channel: a run takes a
	// fraction of a millisecond, and a channel would wake a feeding goroutine (and an idle
	// thread) for every seed. Each run is single threaded and deterministic, and the aggregate
	// keeps the lowest seeds, so the result does not depend on the workers.
	var (
		wg    sync.WaitGroup
		taken atomic.Int64
		mu    sync.Mutex
		done  int
	)
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := taken.Add(1) - 1
				if i >= int64(opts.Seeds) {
					return
				}
				seed := opts.FirstSeed + i
				r := SeedResult{Seed: seed, Faults: sc.Spec.Faults}
				if opts.RandomFaults {
					r.Faults = RandomFaults(draw, seed)
				}
				v, err := RunOne(ctx, Variant(sc, seed, r.Faults), p, judge)
				if ctx.Err() != nil {
					return // the run was cut short: it says nothing
				}
				// A harness error is the seed's result, not the sweep's end: the other seeds
				// still say something.
				if err != nil {
					r.Error = err.Error()
				}
				r.Verdict = v
				mu.Lock()
				agg.add(r)
				done++
				if opts.OnResult != nil {
					opts.OnResult(r)
				}
				if opts.Progress != nil {
					opts.Progress(done, opts.Seeds)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	res := agg.result()
	res.Interrupted = ctx.Err() != nil
	if opts.Shrink && !res.Interrupted {
		ShrinkFailures(ctx, sc, p, judge, res, opts.MaxShrinkRuns, parallel)
	}
	res.Elapsed = time.Since(start)
	if res.Interrupted {
		return res, ctx.Err()
	}
	return res, nil
}

// ShrinkFailures shrinks the distinct failures of res, up to parallel at once (each shrink runs
// its candidates one after another and is deterministic, so the result does not depend on
// parallel); an interruption (ctx) stops it with res.Interrupted set, each failure holding the
// smallest schedule found so far, the failures not yet begun left as they were.
func ShrinkFailures(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge, res *Result, maxRuns, parallel int) {
	var (
		wg          sync.WaitGroup
		next        atomic.Int64
		interrupted atomic.Bool
	)
	for w := 0; w < min(max(parallel, 1), len(res.Failures)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !interrupted.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(res.Failures) {
					return
				}
				f := &res.Failures[i]
				shrunk, runs, err := Shrink(ctx, sc, p, judge, f.Example, maxRuns)
				f.Shrunk, f.ShrinkRuns = shrunk, runs
				if err != nil {
					interrupted.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	if interrupted.Load() {
		res.Interrupted = true
	}
}

// FromLines folds seed results read back (zdt sweep --results, e.g. from the pods of a sweep
// run as a Kubernetes Job) into a sweep's result, as Run does with its own; keep is Options.Keep.
func FromLines(lines []ResultLine, keep int) *Result {
	if keep <= 0 {
		keep = 20
	}
	agg := newAggregate(keep)
	for _, l := range lines {
		agg.add(l.SeedResult())
	}
	return agg.result()
}

// SeedResult is the inverse of Line.
func (l ResultLine) SeedResult() SeedResult {
	r := SeedResult{Seed: l.Seed, Faults: l.Faults}
	if l.Verdict == "ERROR" {
		r.Error = l.Reason
		return r
	}
	r.Verdict = Verdict{Failed: l.Failed, Unsure: l.Unsure, Reason: l.Reason, Inconclusive: l.Verdict == "INCONCLUSIVE"}
	return r
}

// Shard returns the seeds of shard index of count: a contiguous slice of seeds seeds from
// first, the shards together covering them all once.
func Shard(first int64, seeds, index, count int) (int64, int) {
	lo := int64(index) * int64(seeds) / int64(count)
	hi := int64(index+1) * int64(seeds) / int64(count)
	return first + lo, int(hi - lo)
}

// aggregate folds seed results into a sweep's result in bounded memory.
type aggregate struct {
	keep   int
	res    Result
	groups map[string]*Failure
}

func newAggregate(keep int) *aggregate {
	return &aggregate{keep: keep, res: Result{InconclusiveBy: map[string]int{}}, groups: map[string]*Failure{}}
}

func (a *aggregate) add(r SeedResult) {
	a.res.Runs++
	switch {
	case r.Error != "":
		a.res.HarnessErrors++
		a.res.Errors = keepLowest(a.res.Errors, r, a.keep)
	case r.Verdict.First() != "":
		a.res.Failed++
		a.res.Failing = keepLowest(a.res.Failing, r, a.keep)
		c := r.Verdict.First()
		f := a.groups[c]
		if f == nil {
			f = &Failure{Criterion: c, Example: r}
			a.groups[c] = f
		}
		f.Count++
		if r.Seed < f.Example.Seed {
			f.Example = r
		}
		f.Seeds = keepLowestSeed(f.Seeds, r.Seed, a.keep)
	case r.Verdict.Inconclusive:
		a.res.Inconclusive++
		for _, c := range r.Verdict.Unsure {
			a.res.InconclusiveBy[c]++
		}
	default:
		a.res.Passed++
	}
}

func (a *aggregate) result() *Result {
	res := a.res
	for _, c := range slices.Sorted(maps.Keys(a.groups)) {
		res.Failures = append(res.Failures, *a.groups[c])
	}
	return &res
}

// keepLowest inserts r into list (sorted by seed), keeping at most n.
func keepLowest(list []SeedResult, r SeedResult, n int) []SeedResult {
	i, _ := slices.BinarySearchFunc(list, r.Seed, func(x SeedResult, seed int64) int { return cmp.Compare(x.Seed, seed) })
	if i >= n {
		return list
	}
	list = slices.Insert(list, i, r)
	if len(list) > n {
		list = list[:n]
	}
	return list
}

func keepLowestSeed(list []int64, seed int64, n int) []int64 {
	i, _ := slices.BinarySearch(list, seed)
	if i >= n {
		return list
	}
	list = slices.Insert(list, i, seed)
	if len(list) > n {
		list = list[:n]
	}
	return list
}
