package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(verdict Verdict, dropped int64, upgrade float64) *Report {
	return &Report{SchemaVersion: SchemaVersion, Scenario: "kind-small", Provider: "kind", Seed: 1, Verdict: verdict,
		Requests: Requests{Dropped: dropped}, UpgradeSeconds: upgrade,
		Phases: []Phase{{Name: "control-plane", Step: "v1.37", Seconds: upgrade / 2}, {Name: "pool/md-0", Step: "v1.37", Seconds: upgrade / 2}}}
}

// A run is judged against the history's P99 plus the threshold: within it passes, above it
// regresses; a figure with too short a history is reported, not judged; a failure where every
// run of the history passed is a regression of the verdict.
func TestJudgeBaseline(t *testing.T) {
	var history []*Report
	for i := range 10 {
		history = append(history, run(Pass, int64(i%3), 300+float64(i)*10)) // dropped 0-2, upgrade 300-390 s
	}
	opt := DefaultBaselineOptions()
	opt.Thresholds.DroppedRequests = 1
	figure := func(b *BaselineResult, name string) BaselineFigure {
		for _, f := range b.Figures {
			if f.Metric == name {
				return f
			}
		}
		t.Fatalf("no figure %s in %+v", name, b.Figures)
		return BaselineFigure{}
	}

	ok := JudgeBaseline(history, run(Pass, 3, 420), opt)
	if f := figure(ok, "dropped-requests"); !f.Judged || f.Percentile != 2 || f.Limit != 3 || f.Regressed {
		t.Errorf("3 dropped against a P99 of 2 and 1 tolerated: %+v; want judged, not regressed", f)
	}
	if f := figure(ok, "upgrade-duration"); f.Regressed || f.Percentile != 390 {
		t.Errorf("420 s against a P99 of 390 s, 20%% tolerated: %+v", f)
	}
	if ok.Regressed() {
		t.Errorf("regressed: %+v", ok)
	}

	bad := JudgeBaseline(history, run(Fail, 40, 900), opt)
	for _, name := range []string{"dropped-requests", "upgrade-duration", "phase/v1.37/control-plane", "phase/v1.37/pool/md-0"} {
		if f := figure(bad, name); !f.Regressed {
			t.Errorf("%s: %+v; want a regression", name, f)
		}
	}
	if !bad.VerdictRegressed {
		t.Error("a FAIL where every run of the history passed: want the verdict regressed")
	}
	var out strings.Builder
	if err := bad.Write(&out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "REGRESSED  dropped-requests") || !strings.Contains(s, "5 regression(s)") {
		t.Errorf("printed:\n%s", s)
	}

	short := JudgeBaseline(history[:3], run(Fail, 40, 900), opt)
	if short.Regressed() || figure(short, "dropped-requests").Judged {
		t.Errorf("3 runs of history, 5 needed: %+v; want nothing judged", short)
	}
}

// A history keeps one copy of a run added twice, and reads back only its scenario's runs.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		if _, err := AddToHistory(dir, run(Pass, 0, 300)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := AddToHistory(dir, run(Pass, 1, 310)); err != nil {
		t.Fatal(err)
	}
	other := run(Pass, 0, 300)
	other.Scenario = "ha"
	if _, err := AddToHistory(dir, other); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHistory(dir, "kind-small", "kind")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Errorf("%d runs of kind-small on kind, want 2 (one was added twice)", len(h))
	}
	if h, err := LoadHistory(dir, "kind-small", "sim"); err != nil || len(h) != 0 {
		t.Errorf("no sim history: %d runs, %v; want none and no error", len(h), err)
	}
	if err := os.WriteFile(filepath.Join(HistoryDir(dir, "kind-small", "kind"), "x.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHistory(dir, "kind-small", "kind"); err == nil {
		t.Error("a broken file in the history: want an error naming it")
	}
}
