package sweep

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func load(t *testing.T, path string) *scenarios.Scenario {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestSweepFindsAndShrinksTheCrashUnderDrain(t *testing.T) {
	sc := load(t, "testdata/crash-under-drain.yaml")
	ctx := context.Background()
	var collected []SeedResult
	res, err := Run(ctx, sc, sim.NewProvider(), ReportJudge, Options{Seeds: 30, FirstSeed: 1, Parallel: 2, Shrink: true,
		OnResult: func(r SeedResult) { collected = append(collected, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed == 0 || res.Failed == res.Runs {
		t.Fatalf("%d passed, %d failed: the crash should hit the singleton's node for some seeds only", res.Passed, res.Failed)
	}
	// The other seeds either survived the crash, or the crash found no draining node at its
	// time: those are inconclusive for that reason, never a pass.
	for _, r := range collected {
		if r.Verdict.Inconclusive && !reflect.DeepEqual(r.Verdict.Unsure, []string{"faults-applied"}) {
			t.Errorf("seed %d inconclusive by %v, want faults-applied alone", r.Seed, r.Verdict.Unsure)
		}
	}
	if res.Inconclusive == 0 {
		t.Error("no seed missed the drain: the test no longer shows a fault that was not applied")
	}
	if len(res.Failures) != 1 || res.Failures[0].Criterion != "dropped-requests" {
		t.Fatalf("distinct failures %+v, want one on dropped-requests", res.Failures)
	}
	shrunk := res.Failures[0].Shrunk
	if got := shrunk.Spec.Faults; len(got) != 1 || got[0].Name != "crash-draining-node" {
		t.Fatalf("shrunk to %+v, want the node crash alone", got)
	}

	// Without the faults, every seed passes: the failure is the crash's.
	calm := *sc
	calm.Spec.Faults = nil
	res, err = Run(ctx, &calm, sim.NewProvider(), ReportJudge, Options{Seeds: 30, FirstSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 0 {
		t.Errorf("%d seeds failed without faults", res.Failed)
	}
}

func TestShrunkScenarioFileReproducesTheRun(t *testing.T) {
	sc := load(t, "testdata/crash-under-drain.yaml")
	ctx := context.Background()
	res, err := Run(ctx, sc, sim.NewProvider(), ReportJudge, Options{Seeds: 10, FirstSeed: 1, Shrink: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) == 0 {
		t.Fatal("no failure to reproduce")
	}
	shrunk := res.Failures[0].Shrunk
	data, err := scenarios.Marshal(shrunk)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := scenarios.Parse("repro.yaml", data)
	if err != nil {
		t.Fatalf("the reproducer does not load: %v", err)
	}
	reportOf := func(s *scenarios.Scenario) []byte {
		mem := &model.Memory{}
		info, err := harness.Run(ctx, s, sim.NewProvider(), mem, harness.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := report.Evaluate(s, info, mem.Samples, mem.Intervals, mem.States)
		r.Scenario = "" // the only difference allowed: the reproducer's own name
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if a, b := reportOf(shrunk), reportOf(replayed); !bytes.Equal(a, b) {
		t.Error("the scenario file written for the failure gives another report than the run inside the sweep")
	}
}

func TestRandomFaultsAreDrawnFromTheSeed(t *testing.T) {
	sc, draw := smallWithFaults(t)
	a, b := RandomFaults(draw, 7), RandomFaults(draw, 7)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed drew two schedules")
	}
	distinct := 0
	for seed := int64(1); seed <= 50; seed++ {
		f := RandomFaults(draw, seed)
		if !reflect.DeepEqual(f, a) {
			distinct++
		}
		if errs := scenarios.Validate(Variant(sc, seed, f)); len(errs) > 0 {
			t.Errorf("seed %d drew an invalid schedule: %v", seed, errs)
		}
	}
	if distinct < 40 {
		t.Errorf("only %d of 50 seeds drew a schedule unlike seed 7's", distinct)
	}
}

// TestResultsDoNotDependOnParallelism: the seeds' results, and the failures shrunk from them,
// are the same on one worker as on several.
func TestResultsDoNotDependOnParallelism(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	run := func(parallel int) ([]SeedResult, []Failure) {
		var all []SeedResult
		res, err := Run(context.Background(), sc, sim.NewProvider(), ReportJudge, Options{Seeds: 400, FirstSeed: 100, RandomFaults: true, Parallel: parallel,
			Shrink: true, OnResult: func(r SeedResult) { all = append(all, r) }})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(x, y SeedResult) int { return cmp.Compare(x.Seed, y.Seed) })
		if len(all) != res.Runs {
			t.Fatalf("%d results seen, %d runs", len(all), res.Runs)
		}
		return all, res.Failures
	}
	all1, failures1 := run(1)
	if len(failures1) < 2 {
		t.Fatalf("%d distinct failures: want several, shrunk at once on several workers", len(failures1))
	}
	for _, f := range failures1 {
		if f.Shrunk == nil || f.ShrinkRuns == 0 {
			t.Fatalf("failure %q was not shrunk", f.Criterion)
		}
	}
	for _, parallel := range []int{2, 3} {
		all, failures := run(parallel)
		if !reflect.DeepEqual(all1, all) {
			t.Errorf("a sweep on one worker and on %d gave different results", parallel)
		}
		if !reflect.DeepEqual(failures1, failures) {
			t.Errorf("a sweep on one worker and on %d shrank its failures differently", parallel)
		}
	}
}

// TestLibraryVerdictsDoNotDependOnTheSeed: seeds change the details of a run (placement, which
// kube-proxy sees what when), never the verdict of the built-in scenarios.
func TestLibraryVerdictsDoNotDependOnTheSeed(t *testing.T) {
	want := map[string]string{
		"ha-well-configured":   "",
		"stepwise-two-minors":  "",
		"no-prestop-exit":      "dropped-requests",
		"single-replica":       "dropped-requests",
		"pdb-blocks-drain":     "pdb-stall",
		"single-control-plane": "api-downtime",
	}
	for name, first := range want {
		t.Run(name, func(t *testing.T) {
			sc, _, err := scenarios.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Run(context.Background(), sc, sim.NewProvider(), ReportJudge, Options{Seeds: 40, FirstSeed: 1, OnResult: func(r SeedResult) {
				if got := r.Verdict.First(); got != first {
					t.Errorf("seed %d: first failed criterion %q, want %q", r.Seed, got, first)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInterruptedSweepKeepsWhatItFound: a sweep stopped half way returns the seeds that ran,
// with their failures, and its memory does not hold one entry per seed asked for.
func TestInterruptedSweepKeepsWhatItFound(t *testing.T) {
	sc := load(t, "testdata/crash-under-drain.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Run(ctx, sc, sim.NewProvider(), ReportJudge, Options{Seeds: 10_000_000, Parallel: 2, Shrink: true, Keep: 5,
		Progress: func(done, total int) {
			if done == 40 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || res == nil || !res.Interrupted {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if res.Runs < 40 || res.Runs > 100 || res.Failed == 0 || len(res.Failing) != min(5, res.Failed) || len(res.Failures) == 0 {
		t.Fatalf("%d runs, %d failed, %d listed, %d failures", res.Runs, res.Failed, len(res.Failing), len(res.Failures))
	}
	for i := 1; i < len(res.Failing); i++ {
		if res.Failing[i-1].Seed >= res.Failing[i].Seed {
			t.Errorf("failing seeds not the lowest, in order: %d then %d", res.Failing[i-1].Seed, res.Failing[i].Seed)
		}
	}
	if f := res.Failures[0]; f.Count == 0 || f.Example.Seed != f.Seeds[0] {
		t.Errorf("failure %+v: its example is not its lowest seed", f)
	}
}

func TestLineNamesEachOutcome(t *testing.T) {
	tests := []struct {
		r    SeedResult
		want string
	}{
		{SeedResult{Seed: 1}, "PASS"},
		{SeedResult{Seed: 2, Verdict: Verdict{Failed: []string{"dropped-requests"}, Reason: "web dropped 3 requests"}}, "FAIL"},
		{SeedResult{Seed: 3, Verdict: Verdict{Inconclusive: true, Unsure: []string{"faults-applied"}}}, "INCONCLUSIVE"},
		{SeedResult{Seed: 4, Error: "invariant broken"}, "ERROR"},
	}
	for _, tt := range tests {
		l := Line(tt.r)
		if l.Seed != tt.r.Seed || l.Verdict != tt.want {
			t.Errorf("Line(%+v) = %+v, want seed %d %s", tt.r, l, tt.r.Seed, tt.want)
		}
	}
	if l := Line(tests[3].r); l.Reason != "invariant broken" {
		t.Errorf("a harness error's line gives reason %q", l.Reason)
	}
}

// TestShardsAndLinesGiveTheLocalResult runs a sweep in three shards, as the pods of an Indexed
// Job do, writes their results as JSON lines and folds them back: the counts, the failing seeds
// and each failure's example are those of the same sweep run here in one go.
func TestShardsAndLinesGiveTheLocalResult(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	const seeds, shards = 120, 3
	local, err := Run(context.Background(), sc, sim.NewProvider(), ReportJudge, Options{Seeds: seeds, FirstSeed: 1, RandomFaults: true, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	covered := 0
	for i := range shards {
		first, n := Shard(1, seeds, i, shards)
		covered += n
		_, err := Run(context.Background(), sc, sim.NewProvider(), ReportJudge, Options{Seeds: n, FirstSeed: first, RandomFaults: true, Parallel: 2,
			OnResult: func(r SeedResult) {
				if err := enc.Encode(Line(r)); err != nil {
					t.Error(err)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if covered != seeds {
		t.Fatalf("the shards cover %d seeds, want %d", covered, seeds)
	}
	var lines []ResultLine
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var l ResultLine
		if err := dec.Decode(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	got := FromLines(lines, 0)
	got.Elapsed, local.Elapsed = 0, 0
	if !reflect.DeepEqual(got, local) {
		t.Errorf("from lines:\n%+v\nlocal:\n%+v", got, local)
	}
	if local.Failed == 0 {
		t.Error("no seed failed: the comparison says little")
	}
}

// TestJudgeIsTheReportWithoutPlots checks that report.Judging, which the sweep judges with
// (one per worker, reused from seed to seed), gives the report zdt run writes (report.json) but
// for its plots, its latencies, its drop windows' timeline intervals, its faults' planned
// schedules and the criteria's formatted details, for
// random-fault seeds, passing and failing alike.
func TestJudgeIsTheReportWithoutPlots(t *testing.T) {
	sc, draw := smallWithFaults(t)
	verdicts := map[report.Verdict]int{}
	j := report.NewJudging(sc)
	for seed := int64(1); seed <= 12; seed++ {
		v := Variant(sc, seed, RandomFaults(draw, seed))
		mem := &model.Memory{}
		info, err := harness.Run(context.Background(), v, sim.NewProvider(), mem, harness.Options{})
		if err != nil {
			t.Fatal(err)
		}
		full := report.Evaluate(v, info, mem.Samples, mem.Intervals, mem.States)
		j.Reset(v)
		if err := mem.Replay(j); err != nil {
			t.Fatal(err)
		}
		judged := j.Report(info)
		if full.Requests.Latency.P99 == 0 || full.Requests.Latency.Mean == 0 || judged.Requests.Latency != (report.Latency{}) {
			t.Fatalf("seed %d: latency %+v in the report, %+v judged: want it only in the report",
				seed, full.Requests.Latency, judged.Requests.Latency)
		}
		if judged.Series != nil && len(judged.Series.Bins) > 0 {
			t.Fatalf("seed %d: report.Judging kept the plots' bins", seed)
		}
		withoutLatency(full)
		if len(judged.Criteria) != len(full.Criteria) {
			t.Fatalf("seed %d: %d criteria judged, %d in the report", seed, len(judged.Criteria), len(full.Criteria))
		}
		for i := range full.Criteria {
			if judged.Criteria[i].Detail == "" {
				full.Criteria[i].Detail = ""
			}
		}
		for i := range full.Faults {
			full.Faults[i].Planned = ""
		}
		a, _ := json.Marshal(full)
		b, _ := json.Marshal(judged)
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: report.Judging differs from report.Evaluate:\n%s\n%s", seed, a, b)
		}
		verdicts[full.Verdict]++
	}
	if verdicts[report.Pass] == 0 || verdicts[report.Fail] == 0 {
		t.Fatalf("want passing and failing seeds among the 12, got %v", verdicts)
	}
}

// TestJudgeTakesProbesInRuns checks that report.Judging judges a run the simulator records
// into it (which hands it the API prober's answered probes in runs, model.ProbeCounter) as it
// judges the same run's samples replayed one by one, for random-fault seeds, with and without
// failed probes.
func TestJudgeTakesProbesInRuns(t *testing.T) {
	sc, draw := smallWithFaults(t)
	single, _, err := scenarios.Open("single-control-plane")
	if err != nil {
		t.Fatal(err)
	}
	var variants []*scenarios.Scenario
	for seed := int64(1); seed <= 20; seed++ {
		variants = append(variants, Variant(sc, seed, RandomFaults(draw, seed)), Variant(single, seed, single.Spec.Faults))
	}
	failedProbes := 0
	for _, v := range variants {
		seed := *v.Spec.Seed
		mem := &model.Memory{}
		info, err := harness.Run(context.Background(), v, sim.NewProvider(), mem, harness.Options{})
		if err != nil {
			t.Fatal(err)
		}
		one := report.NewJudging(v)
		if err := mem.Replay(one); err != nil {
			t.Fatal(err)
		}
		runs := &probeRuns{Judging: report.NewJudging(v)}
		if _, err := harness.Run(context.Background(), v, sim.NewProvider(), runs, harness.Options{}); err != nil {
			t.Fatal(err)
		}
		if runs.calls == 0 || runs.probes < 100 {
			t.Fatalf("seed %d: the simulator handed %d answered probes in %d runs, want them in runs", seed, runs.probes, runs.calls)
		}
		want, _ := json.Marshal(one.Report(info))
		got, _ := json.Marshal(runs.Report(info))
		if !bytes.Equal(got, want) {
			t.Fatalf("seed %d: judged with probes in runs:\n%s\nwant\n%s", seed, got, want)
		}
		if one.Samples != runs.Samples || one.Samples != len(mem.Samples) {
			t.Fatalf("seed %d: %d samples measured with probes in runs, %d one by one, %d recorded", seed, runs.Samples, one.Samples, len(mem.Samples))
		}
		if one.Report(info).API.FailedProbes > 0 {
			failedProbes++
		}
	}
	if failedProbes == 0 {
		t.Error("no seed had a failed probe: the comparison says little")
	}
}

// probeRuns is a report.Judging that counts the runs of answered probes handed to it.
type probeRuns struct {
	*report.Judging
	calls  int
	probes int64
}

func (p *probeRuns) ProbesAnswered(first, last time.Duration, n int64) error {
	p.calls++
	p.probes += n
	return p.Judging.ProbesAnswered(first, last, n)
}

// TestJudgedUnreachedFaultSaysItsSchedule checks that a judged report, which leaves the faults'
// planned schedules out, still names the schedule of a fault the run never reached in the
// faults-applied criterion's cause, as the full report does.
func TestJudgedUnreachedFaultSaysItsSchedule(t *testing.T) {
	sc, draw := smallWithFaults(t)
	fs := RandomFaults(draw, 1)
	fs[0].At = faults.Time{Phase: model.PhaseWorkers, After: metav1.Duration{Duration: 10 * time.Hour}}
	v := Variant(sc, 1, fs)
	mem := &model.Memory{}
	info, err := harness.Run(context.Background(), v, sim.NewProvider(), mem, harness.Options{})
	if err != nil {
		t.Fatal(err)
	}
	full := report.Evaluate(v, info, mem.Samples, mem.Intervals, mem.States)
	j := report.NewJudging(v)
	if err := mem.Replay(j); err != nil {
		t.Fatal(err)
	}
	cause := func(r *report.Report) string {
		for _, c := range r.Criteria {
			if c.Name == "faults-applied" {
				return c.Cause
			}
		}
		return ""
	}
	want := cause(full)
	if !strings.Contains(want, fs[0].Describe()) {
		t.Fatalf("the full report's faults-applied cause %q does not name the unreached fault's schedule %q", want, fs[0].Describe())
	}
	if got := cause(j.Report(info)); got != want {
		t.Errorf("judged cause %q, want %q", got, want)
	}
}

// withoutLatency zeroes r's latencies and empties its drop windows' timeline intervals, which
// report.Judging leaves out.
func withoutLatency(r *report.Report) {
	r.Requests.Latency = report.Latency{}
	for i := range r.Requests.ByTarget {
		r.Requests.ByTarget[i].Latency = report.Latency{}
	}
	for i := range r.Requests.Windows {
		r.Requests.Windows[i].During = []report.TimelineRef{}
	}
}

// smallWithFaults opens ha-well-configured, the scenario random-fault sweeps are measured on,
// and what its faults are drawn from.
func smallWithFaults(tb testing.TB) (*scenarios.Scenario, faults.DrawContext) {
	tb.Helper()
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		tb.Fatal(err)
	}
	draw, err := DrawContextOf(context.Background(), sc, sim.NewProvider())
	if err != nil {
		tb.Fatal(err)
	}
	return sc, draw
}
