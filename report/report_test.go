package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/report/internal/fixtures"

	"github.com/zdt-dev/zdt/model"
)

var update = flag.Bool("update", false, "rewrite the golden files and the fixture run directories under testdata/")

func mustBuild(t *testing.T, f fixtures.Fixture) *fixtures.Run {
	t.Helper()
	r, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeRunDir writes a fixture as a provider would: the run directory zdt report reads.
func writeRunDir(t *testing.T, dir string, r *fixtures.Run, yaml string) {
	t.Helper()
	w, err := model.Create(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.Samples {
		if err := w.Sample(&r.Samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range r.Timeline {
		if err := w.Interval(&r.Timeline[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range r.States {
		if err := w.State(&r.States[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteOwned(model.ScenarioFile, []byte(yaml)); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(r.Info); err != nil {
		t.Fatal(err)
	}
}

// TestFromDirMatchesEvaluate checks that the fixture's run directory under testdata/runs gives
// the same report through FromDir (the streaming path zdt report takes) as Evaluate on the same
// data in memory.
func TestFromDirMatchesEvaluate(t *testing.T) {
	for _, f := range fixtures.All {
		if !f.RunDir {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			r := mustBuild(t, f)
			js, err := json.Marshal(Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States))
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("testdata", "runs", f.Name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				writeRunDir(t, dir, r, f.YAML)
			}
			fromDir, err := FromDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			// The run directory's files are checked against its manifest; data in memory has
			// none. The rest must be the same.
			if c := fromDir.Criteria[len(fromDir.Criteria)-1]; c.Name != "data-integrity" || c.Outcome != OutcomePass {
				t.Errorf("data-integrity of the fixture's run directory: %+v", c)
			}
			fromDir.Criteria = fromDir.Criteria[:len(fromDir.Criteria)-1]
			fromDir.Verdict, fromDir.VerdictReason = verdict(fromDir.Criteria)
			js2, err := json.Marshal(fromDir)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(js, js2) {
				t.Errorf("FromDir(%s) differs from Evaluate on the same data:\n%s", dir, fixtures.FirstDiff(string(js), string(js2)))
			}
		})
	}
}

func TestFixtureVerdicts(t *testing.T) {
	want := map[string]Verdict{"broken": Fail, "healthy": Pass, "unreliable": Inconclusive}
	wantFailed := map[string][]string{
		"broken": {"dropped-requests", "pdb-stall", "ready-replicas", "availability-floor", "pdb-floor/cache"},
	}
	for _, f := range fixtures.All {
		t.Run(f.Name, func(t *testing.T) {
			r := mustBuild(t, f)
			rep := Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
			if rep.Verdict != want[f.Name] {
				t.Errorf("verdict %s, want %s (%s)", rep.Verdict, want[f.Name], rep.VerdictReason)
			}
			var failed []string
			for _, c := range rep.Criteria {
				if c.Outcome == OutcomeFail {
					failed = append(failed, c.Name)
					if c.Cause == "" || c.Fix == "" {
						t.Errorf("failed criterion %s names no cause or fix", c.Name)
					}
				}
			}
			if strings.Join(failed, ",") != strings.Join(wantFailed[f.Name], ",") {
				t.Errorf("failed criteria %v, want %v", failed, wantFailed[f.Name])
			}
		})
	}
}

// TestBrokenDiagnoses checks that the causes are derived from the data: the web drops follow
// pod terminations, the cache drops the drain timeout, the stall names the PDB.
func TestBrokenDiagnoses(t *testing.T) {
	r := mustBuild(t, fixtures.All[fixtures.Broken])
	rep := Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
	get := func(name string) Criterion {
		for _, c := range rep.Criteria {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no criterion %s", name)
		return Criterion{}
	}
	for _, tc := range []struct {
		criterion string
		contains  []string
	}{
		{"dropped-requests", []string{"began terminating", "web has no preStop hook", "exits at once on SIGTERM", "add a preStop sleep longer than the endpoint propagation delay", "nodeDrainTimeout"}},
		{"pdb-stall", []string{"PDB cache", "md-0-old-b", "minAvailable 2 with 2 replicas", "allow at least one disruption in PDB cache"}},
		{"pdb-floor/cache", []string{"nodeDrainTimeout expired on node md-0-old-b"}},
	} {
		t.Run(tc.criterion, func(t *testing.T) {
			c := get(tc.criterion)
			text := c.Cause + " | " + c.Fix
			for _, s := range tc.contains {
				if !strings.Contains(text, s) {
					t.Errorf("cause and fix %q lack %q", text, s)
				}
			}
		})
	}
	// Every drop window is attributed to the pod termination that preceded it.
	for _, w := range rep.Requests.Windows {
		found := false
		for _, d := range w.During {
			found = found || d.Reason == string(model.ReasonPodTerminating)
		}
		if !found {
			t.Errorf("window %s %.1f-%.1f is attributed to no pod termination: %+v", w.Target, w.FromSeconds, w.ToSeconds, w.During)
		}
	}
}

// TestDeterministic evaluates the same run with its records shuffled: report.json must not move.
func TestDeterministic(t *testing.T) {
	r := mustBuild(t, fixtures.All[fixtures.Broken])
	want, err := json.Marshal(Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3 {
		rng.Shuffle(len(r.Samples), func(a, b int) { r.Samples[a], r.Samples[b] = r.Samples[b], r.Samples[a] })
		rng.Shuffle(len(r.Timeline), func(a, b int) { r.Timeline[a], r.Timeline[b] = r.Timeline[b], r.Timeline[a] })
		rng.Shuffle(len(r.Info.Streams), func(a, b int) { r.Info.Streams[a], r.Info.Streams[b] = r.Info.Streams[b], r.Info.Streams[a] })
		got, err := json.Marshal(Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d changed report.json:\n%s", i, fixtures.FirstDiff(string(want), string(got)))
		}
	}
}

// TestAggregatedSamplesCount checks that a Sample standing for Count requests weighs as much
// as Count single samples: counts, windows, percentiles and per-second bins.
func TestAggregatedSamplesCount(t *testing.T) {
	var single, aggregated []model.Sample
	for i := range 1000 {
		single = append(single, model.Sample{Target: "web", Conn: model.ConnNew, At: time.Duration(i) * 10 * time.Millisecond,
			Latency: 20 * time.Millisecond, Code: 200})
	}
	aggregated = append(aggregated, model.Sample{Target: "web", Conn: model.ConnNew, At: 0, Latency: 20 * time.Millisecond, Code: 200,
		Count: 1000, Span: 10 * time.Second})
	// A few fast requests, and a failure, in both.
	extra := []model.Sample{
		{Target: "web", Conn: model.ConnNew, At: 10 * time.Second, Latency: time.Millisecond, Code: 200},
		{Target: "web", Conn: model.ConnNew, At: 10*time.Second + 10*time.Millisecond, Latency: time.Millisecond, Code: 503},
	}
	single, aggregated = append(single, extra...), append(aggregated, extra...)
	a := Evaluate(nil, nil, single, nil, nil)
	b := Evaluate(nil, nil, aggregated, nil, nil)
	if a.Requests.Total != 1002 || b.Requests.Total != 1002 {
		t.Fatalf("totals %d and %d, want 1002", a.Requests.Total, b.Requests.Total)
	}
	ja, _ := json.Marshal(a.Requests)
	jb, _ := json.Marshal(b.Requests)
	if !bytes.Equal(ja, jb) {
		t.Errorf("aggregated samples measure differently:\n single     %s\n aggregated %s", ja, jb)
	}
	if a.Requests.Latency.P50 != 20 || a.Requests.Latency.P99 != 20 || a.Requests.Latency.Max != 20 {
		t.Errorf("latency %+v, want p50=p99=max=20ms", a.Requests.Latency)
	}
	for sec := range int64(10) {
		if got := b.Series.Bins["web"][sec].Total; got != 100 {
			t.Errorf("second %d holds %d requests of the aggregated sample, want 100", sec, got)
		}
	}
}

// TestVerdictRules checks the rules that decide between PASS, FAIL and INCONCLUSIVE.
func TestVerdictRules(t *testing.T) {
	healthy := fixtures.All[fixtures.Healthy]
	for _, tc := range []struct {
		name   string
		change func(r *fixtures.Run)
		want   Verdict
		reason string // a criterion named in the verdict's reason
	}{
		{"healthy passes", func(*fixtures.Run) {}, Pass, ""},
		{"aborted is inconclusive", func(r *fixtures.Run) { r.Info.Aborted, r.Info.AbortReason = true, "interrupted" }, Inconclusive, "run-completed"},
		{"aborted with a failure fails", func(r *fixtures.Run) {
			r.Info.Aborted = true
			r.Samples = append(r.Samples, model.Sample{Target: "web", Conn: model.ConnNew, At: time.Second, Error: "timeout"})
		}, Fail, "dropped-requests"},
		{"harness error is never pass", func(r *fixtures.Run) { r.Info.Error = "provider crashed" }, Inconclusive, "run-completed"},
		{"failed preflight fails", func(r *fixtures.Run) {
			r.Info.Preflight = append(r.Info.Preflight, model.CheckResult{Name: "nodes-ready", Status: model.CheckFail, Message: "node x NotReady"})
		}, Fail, "preflight"},
		{"failed postflight fails", func(r *fixtures.Run) {
			r.Info.Postflight[0].Status = model.CheckFail
		}, Fail, "postflight"},
		{"timed out phase fails", func(r *fixtures.Run) { r.Info.Phases[2].Outcome = model.PhaseTimedOut }, Fail, "upgrade-deadline"},
		{"over the deadline fails", func(r *fixtures.Run) {
			r.Scenario.Spec.Criteria.UpgradeDeadline.Duration = time.Minute
		}, Fail, "upgrade-deadline"},
		{"samples lost is inconclusive", func(r *fixtures.Run) { r.Info.Streams[0].Recorded-- }, Inconclusive, "measurement"},
		{"load 2% short is inconclusive", func(r *fixtures.Run) { r.Info.Streams[1].Planned = r.Info.Streams[1].Sent * 100 / 98 }, Inconclusive, "measurement"},
		{"load 0.5% short passes", func(r *fixtures.Run) { r.Info.Streams[1].Planned = r.Info.Streams[1].Sent * 1000 / 995 }, Pass, ""},
		// Lateness is judged by the gap it leaves (load-coverage), not by itself: a stream 2 s
		// late whose requests still came close together leaves nothing unseen.
		{"lagging load without a gap passes", func(r *fixtures.Run) { r.Info.Streams[2].MaxLag = 2 * time.Second }, Pass, ""},
		{"lagging load that leaves a gap is inconclusive", func(r *fixtures.Run) {
			st := &r.Info.Streams[2]
			st.MaxLag = 3 * time.Second
			var kept []model.Sample
			for _, smp := range r.Samples {
				if smp.Target == st.Target && smp.Conn == st.Conn && smp.At >= 200*time.Second && smp.At < 203*time.Second {
					st.Recorded--
					st.Sent--
					st.Planned--
					continue
				}
				kept = append(kept, smp)
			}
			r.Samples = kept
		}, Inconclusive, "load-coverage"},
		{"no stream stats is inconclusive", func(r *fixtures.Run) { r.Info.Streams = nil }, Inconclusive, "measurement"},
		{"below the PDB floor fails", func(r *fixtures.Run) { r.States[20].Workloads[1].Ready = 1 }, Fail, "pdb-floor/web"},
		{"API downtime over the limit fails", func(r *fixtures.Run) {
			r.Timeline = append(r.Timeline, model.Interval{Reason: model.ReasonAPIUnavailable, From: 100 * time.Second, To: 110 * time.Second})
		}, Fail, "api-downtime"},
		{"no request recorded is inconclusive", func(r *fixtures.Run) {
			var api []model.Sample
			for _, s := range r.Samples {
				if s.Target == model.APITarget {
					api = append(api, s)
				}
			}
			r.Samples = api
		}, Inconclusive, "dropped-requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustBuild(t, healthy)
			tc.change(r)
			rep := Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
			if rep.Verdict != tc.want {
				t.Fatalf("verdict %s (%s), want %s", rep.Verdict, rep.VerdictReason, tc.want)
			}
			if !strings.Contains(rep.VerdictReason, tc.reason) {
				t.Errorf("verdict reason %q does not name %s", rep.VerdictReason, tc.reason)
			}
			if code := rep.Verdict.ExitCode(); code != map[Verdict]int{Pass: 0, Fail: 1, Inconclusive: 3}[tc.want] {
				t.Errorf("exit code %d for %s", code, rep.Verdict)
			}
		})
	}
}

func TestFromDirErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(dir string) error
		want  string
	}{
		{"empty directory", func(string) error { return nil }, "scenario.yaml"},
		{"invalid scenario", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, model.ScenarioFile), []byte("kind: Nope\n"), 0o644)
		}, "problem"},
		{"no run.json", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, model.ScenarioFile), []byte(fixtures.ScenarioHealthy), 0o644)
		}, "run.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.setup(dir); err != nil {
				t.Fatal(err)
			}
			_, err := FromDir(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromDir error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestKilledRunIsReportedAsAborted: a run directory whose run.json still says running (the
// process was killed) is reported from what is on disk, aborted, never PASS.
func TestKilledRunIsReportedAsAborted(t *testing.T) {
	r := mustBuild(t, fixtures.All[fixtures.Healthy])
	dir := t.TempDir()
	w, err := model.Create(dir, r.Info)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteOwned(model.ScenarioFile, []byte(fixtures.All[fixtures.Healthy].YAML)); err != nil {
		t.Fatal(err)
	}
	for i := range r.Samples[:len(r.Samples)/2] {
		w.Sample(&r.Samples[i])
	}
	if err := w.Checkpoint(r.Info); err != nil {
		t.Fatal(err)
	}
	defer w.Close() // after the test: the run was "killed" before it closed anything
	rep, err := FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Aborted || rep.Verdict == Pass || !strings.Contains(rep.AbortReason, "killed") {
		t.Errorf("killed run: aborted %v, %s, %q", rep.Aborted, rep.Verdict, rep.AbortReason)
	}
	if c := criterion(rep, "data-integrity"); c == nil || c.Outcome != OutcomePass {
		t.Errorf("data-integrity of a killed run's intact files: %+v", c)
	}
}

func criterion(r *Report, name string) *Criterion {
	for i := range r.Criteria {
		if r.Criteria[i].Name == name {
			return &r.Criteria[i]
		}
	}
	return nil
}
