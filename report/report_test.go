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

	"github.com/joshdk/go-junit"

	"github.com/zdt-dev/zdt/model"
)

var update = flag.Bool("update", false, "rewrite the golden files and fixture run directories under testdata/")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report -update refreshes it):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return "(same lines, different bytes)"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func mustBuild(t *testing.T, f fixture) *run {
	t.Helper()
	r, err := f.build()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeRunDir writes a fixture as a provider would: the run directory zdt report reads.
func writeRunDir(t *testing.T, dir string, r *run, yaml string) {
	t.Helper()
	w, err := model.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.samples {
		if err := w.Sample(&r.samples[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range r.timeline {
		if err := w.Interval(&r.timeline[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range r.states {
		if err := w.State(&r.states[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := model.WriteRunInfo(dir, r.info); err != nil {
		t.Fatal(err)
	}
	if err := model.WriteFile(dir, model.ScenarioFile, []byte(yaml)); err != nil {
		t.Fatal(err)
	}
}

// TestGolden renders each fixture's report.json, junit.xml and summary and compares them with
// the golden files; it also checks that the fixture's run directory under testdata/runs gives
// the same report.json through FromDir (the streaming path zdt report takes).
func TestGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			r := mustBuild(t, f)
			rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
			js, err := rep.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".json", js)
			ju, err := rep.JUnit()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".junit.xml", ju)
			var sum bytes.Buffer
			if err := rep.Summary(&sum); err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".txt", sum.Bytes())

			if !f.runDir {
				return
			}
			dir := filepath.Join("testdata", "runs", f.name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				writeRunDir(t, dir, r, f.yaml)
			}
			fromDir, err := FromDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			js2, err := fromDir.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(js, js2) {
				t.Errorf("FromDir(%s) differs from Evaluate on the same data:\n%s", dir, firstDiff(string(js), string(js2)))
			}
		})
	}
}

func TestFixtureVerdicts(t *testing.T) {
	want := map[string]Verdict{"broken": Fail, "healthy": Pass, "unreliable": Inconclusive}
	wantFailed := map[string][]string{
		"broken": {"dropped-requests", "pdb-stall", "ready-replicas", "pdb-floor/cache"},
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			r := mustBuild(t, f)
			rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
			if rep.Verdict != want[f.name] {
				t.Errorf("verdict %s, want %s (%s)", rep.Verdict, want[f.name], rep.VerdictReason)
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
			if strings.Join(failed, ",") != strings.Join(wantFailed[f.name], ",") {
				t.Errorf("failed criteria %v, want %v", failed, wantFailed[f.name])
			}
		})
	}
}

// TestBrokenDiagnoses checks that the causes are derived from the data: the web drops follow
// pod terminations, the cache drops the drain timeout, the stall names the PDB.
func TestBrokenDiagnoses(t *testing.T) {
	r := mustBuild(t, fixtures[0])
	rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
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
	r := mustBuild(t, fixtures[0])
	want, err := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states).JSON()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3 {
		rng.Shuffle(len(r.samples), func(a, b int) { r.samples[a], r.samples[b] = r.samples[b], r.samples[a] })
		rng.Shuffle(len(r.timeline), func(a, b int) { r.timeline[a], r.timeline[b] = r.timeline[b], r.timeline[a] })
		rng.Shuffle(len(r.info.Streams), func(a, b int) { r.info.Streams[a], r.info.Streams[b] = r.info.Streams[b], r.info.Streams[a] })
		got, err := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states).JSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d changed report.json:\n%s", i, firstDiff(string(want), string(got)))
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
		if got := b.series.bins["web"][sec].total; got != 100 {
			t.Errorf("second %d holds %d requests of the aggregated sample, want 100", sec, got)
		}
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		name     string
		at, span time.Duration
		n        int64
		want     map[int64]int64
	}{
		{"single", 1500 * time.Millisecond, 0, 1, map[int64]int64{1: 1}},
		{"within a second", 100 * time.Millisecond, 500 * time.Millisecond, 5, map[int64]int64{0: 5}},
		{"across seconds", 500 * time.Millisecond, 2 * time.Second, 4, map[int64]int64{0: 1, 1: 2, 2: 1}},
		{"many", 0, 5 * time.Second, 50, map[int64]int64{0: 10, 1: 10, 2: 10, 3: 10, 4: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int64]int64{}
			var total int64
			spread(tc.at, tc.span, tc.n, func(sec, cnt int64) { got[sec] += cnt; total += cnt })
			if total != tc.n {
				t.Errorf("spread %d requests, want %d", total, tc.n)
			}
			for sec, want := range tc.want {
				if got[sec] != want {
					t.Errorf("second %d: %d requests, want %d (all: %v)", sec, got[sec], want, got)
				}
			}
		})
	}
}

// TestVerdictRules checks the rules that decide between PASS, FAIL and INCONCLUSIVE.
func TestVerdictRules(t *testing.T) {
	healthy := fixtures[1]
	for _, tc := range []struct {
		name   string
		change func(r *run)
		want   Verdict
		reason string // a criterion named in the verdict's reason
	}{
		{"healthy passes", func(*run) {}, Pass, ""},
		{"aborted is inconclusive", func(r *run) { r.info.Aborted, r.info.AbortReason = true, "interrupted" }, Inconclusive, "run-completed"},
		{"aborted with a failure fails", func(r *run) {
			r.info.Aborted = true
			r.samples = append(r.samples, model.Sample{Target: "web", Conn: model.ConnNew, At: time.Second, Error: "timeout"})
		}, Fail, "dropped-requests"},
		{"harness error is never pass", func(r *run) { r.info.Error = "provider crashed" }, Inconclusive, "run-completed"},
		{"failed preflight fails", func(r *run) {
			r.info.Preflight = append(r.info.Preflight, model.CheckResult{Name: "nodes-ready", Status: model.CheckFail, Message: "node x NotReady"})
		}, Fail, "preflight"},
		{"failed postflight fails", func(r *run) {
			r.info.Postflight[0].Status = model.CheckFail
		}, Fail, "postflight"},
		{"timed out phase fails", func(r *run) { r.info.Phases[2].Outcome = model.PhaseTimedOut }, Fail, "upgrade-deadline"},
		{"over the deadline fails", func(r *run) {
			r.sc.Spec.Criteria.UpgradeDeadline.Duration = time.Minute
		}, Fail, "upgrade-deadline"},
		{"samples lost is inconclusive", func(r *run) { r.info.Streams[0].Recorded-- }, Inconclusive, "measurement"},
		{"load 2% short is inconclusive", func(r *run) { r.info.Streams[1].Planned = r.info.Streams[1].Sent * 100 / 98 }, Inconclusive, "measurement"},
		{"load 0.5% short passes", func(r *run) { r.info.Streams[1].Planned = r.info.Streams[1].Sent * 1000 / 995 }, Pass, ""},
		{"lagging load is inconclusive", func(r *run) { r.info.Streams[2].MaxLag = 2 * time.Second }, Inconclusive, "measurement"},
		{"no stream stats is inconclusive", func(r *run) { r.info.Streams = nil }, Inconclusive, "measurement"},
		{"below the PDB floor fails", func(r *run) { r.states[20].Workloads[1].Ready = 1 }, Fail, "pdb-floor/web"},
		{"API downtime over the limit fails", func(r *run) {
			r.timeline = append(r.timeline, model.Interval{Reason: model.ReasonAPIUnavailable, From: 100 * time.Second, To: 110 * time.Second})
		}, Fail, "api-downtime"},
		{"no request recorded is inconclusive", func(r *run) {
			var api []model.Sample
			for _, s := range r.samples {
				if s.Target == model.APITarget {
					api = append(api, s)
				}
			}
			r.samples = api
		}, Inconclusive, "dropped-requests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustBuild(t, healthy)
			tc.change(r)
			rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
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

// TestJUnitParses reads junit.xml back with a JUnit parser used by CI tools and checks that it
// sees one test per criterion and check, with the right statuses.
func TestJUnitParses(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			r := mustBuild(t, f)
			rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
			data, err := rep.JUnit()
			if err != nil {
				t.Fatal(err)
			}
			suites, err := junit.Ingest(data)
			if err != nil {
				t.Fatalf("junit parser rejects junit.xml: %v", err)
			}
			if len(suites) != 1 {
				t.Fatalf("%d suites, want 1", len(suites))
			}
			s := suites[0]
			if want := len(rep.Criteria) + len(rep.Preflight) + len(rep.Postflight); len(s.Tests) != want {
				t.Fatalf("%d tests, want %d", len(s.Tests), want)
			}
			for i, c := range rep.Criteria {
				want := map[Outcome]junit.Status{OutcomePass: junit.StatusPassed, OutcomeFail: junit.StatusFailed,
					OutcomeInconclusive: junit.StatusError, OutcomeSkipped: junit.StatusSkipped}[c.Outcome]
				if got := s.Tests[i]; got.Name != c.Name || got.Status != want {
					t.Errorf("test %d is %s %s, want %s %s", i, got.Name, got.Status, c.Name, want)
				}
			}
			if s.Properties["verdict"] != string(rep.Verdict) {
				t.Errorf("verdict property %q, want %s", s.Properties["verdict"], rep.Verdict)
			}
		})
	}
}

// TestWriteAll writes the three files of a failing run and checks that the HTML page is
// self-contained and carries the plots and the timeline.
func TestWriteAll(t *testing.T) {
	r := mustBuild(t, fixtures[0])
	rep := Evaluate(r.sc, r.info, r.samples, r.timeline, r.states)
	dir := t.TempDir()
	if err := rep.WriteAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{model.ReportJSON, model.JUnitFile, model.ReportHTML} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("WriteAll did not write %s: %v", name, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, model.ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, want := range []string{`class="timeline"`, "Success rate per second", "Mean latency per second", "Ready replicas per workload",
		"Ready nodes by kubelet version", "FAIL", "add a preStop sleep"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(page, `<svg class="plot"`); n != 4 {
		t.Errorf("report.html has %d plots, want 4", n)
	}
	for _, external := range []string{`src="http`, `href="http`, `<script src`, `<link `, "@import"} {
		if strings.Contains(page, external) {
			t.Errorf("report.html loads an external resource (%s)", external)
		}
	}
	again, err := rep.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, html) {
		t.Error("report.html differs between two renderings of the same report")
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
			return os.WriteFile(filepath.Join(dir, model.ScenarioFile), []byte(fixtureScenarioHealthy), 0o644)
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
