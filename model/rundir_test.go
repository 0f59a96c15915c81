package model

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWriterConcurrentAndTruncatedLine(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				if err := w.Sample(&Sample{Target: "web", Conn: ConnNew, At: time.Duration(i), Code: 200}); err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					if err := w.Flush(); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Sample(&Sample{}); err == nil {
		t.Error("a closed writer accepted a sample")
	}
	// A crash mid-line leaves a last line without its newline: readers skip it.
	f, err := os.OpenFile(filepath.Join(dir, SamplesFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"target":"web","co`)
	f.Close()
	n := 0
	if err := EachSample(dir, func(*Sample) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 1000 {
		t.Errorf("read %d samples, want 1000", n)
	}
}

// writeRun writes a small complete run directory and returns its run.json.
func writeRun(t *testing.T, dir string, n int) *RunInfo {
	t.Helper()
	w, err := Create(dir, &RunInfo{Scenario: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteOwned(ScenarioFile, []byte("apiVersion: zdt.dev/v1alpha1\n")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Sample(&Sample{Target: "web", Conn: ConnNew, At: time.Duration(i) * time.Millisecond, Code: 200}); err != nil {
			t.Fatal(err)
		}
		if err := w.Interval(&Interval{Reason: ReasonNodeDrain, From: time.Duration(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(&RunInfo{Scenario: "s", End: time.Second}); err != nil {
		t.Fatal(err)
	}
	info, err := ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestManifestCatchesCutChangedAndForeignFiles: run.json's manifest tells a file cut short,
// changed, missing, or taken from another run.
func TestManifestCatchesCutChangedAndForeignFiles(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	info := writeRun(t, dir, 100)
	writeRun(t, other, 101)
	if info.State != RunComplete || info.ID == "" || info.Files[SamplesFile].Records != 100 || info.Files[ScenarioFile].Bytes == 0 {
		t.Fatalf("manifest %+v", info)
	}
	if p := Verify(dir, info); len(p) != 0 {
		t.Fatalf("an intact run: %v", p)
	}
	samples := filepath.Join(dir, SamplesFile)
	orig, _ := os.ReadFile(samples)
	restore := func() { os.WriteFile(samples, orig, 0o644) }
	for _, tc := range []struct {
		name, want string
		change     func()
	}{
		{"cut in the middle", "samples.jsonl: cut short: ", func() { os.WriteFile(samples, orig[:len(orig)/2], 0o644) }},
		{"a line appended", "samples.jsonl: ", func() { os.WriteFile(samples, append(append([]byte{}, orig...), orig[:50]...), 0o644) }},
		{"a byte changed", "SHA-256 differs", func() {
			b := append([]byte{}, orig...)
			b[10] ^= 1
			os.WriteFile(samples, b, 0o644)
		}},
		{"timeline deleted", "timeline.jsonl: missing", func() { os.Remove(filepath.Join(dir, TimelineFile)) }},
		{"timeline of another run", "timeline.jsonl: ", func() {
			b, _ := os.ReadFile(filepath.Join(other, TimelineFile))
			os.WriteFile(filepath.Join(dir, TimelineFile), b, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl, _ := os.ReadFile(filepath.Join(dir, TimelineFile))
			defer os.WriteFile(filepath.Join(dir, TimelineFile), tl, 0o644)
			defer restore()
			tc.change()
			p := Verify(dir, info)
			if len(p) != 1 || !strings.Contains(p[0], tc.want) {
				t.Errorf("problems %q, want one with %q", p, tc.want)
			}
		})
	}
	if p := Verify(dir, &RunInfo{}); len(p) != 1 || !strings.Contains(p[0], "no manifest") {
		t.Errorf("a run.json without manifest: %v", p)
	}
}

// TestKilledRunKeepsItsLastCheckpoint: a run killed after a checkpoint leaves run.json in state
// running with what was flushed; the files pass the check even with a little written after it.
func TestKilledRunKeepsItsLastCheckpoint(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, &RunInfo{Scenario: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		w.Sample(&Sample{Target: "web", At: time.Duration(i), Code: 200})
	}
	if err := w.Checkpoint(&RunInfo{Scenario: "s", Phases: []Phase{{Name: PhasePreflight, Outcome: PhaseSucceeded}}}); err != nil {
		t.Fatal(err)
	}
	w.Sample(&Sample{Target: "web", At: 11, Code: 200})
	w.Flush() // written after the checkpoint, then the process dies
	info, err := ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != RunRunning || len(info.Phases) != 1 || info.Files[SamplesFile].Records != 10 {
		t.Fatalf("run.json of a killed run: %+v", info)
	}
	if p := Verify(dir, info); len(p) != 0 {
		t.Errorf("a killed run's files: %v", p)
	}
	n := 0
	EachSample(dir, func(*Sample) error { n++; return nil })
	if n != 11 {
		t.Errorf("read %d samples, want the 11 on disk", n)
	}
	w.Close()
}

func TestClearOwnLeavesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 1)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dir, ".report.html.123"), []byte("tmp"), 0o644)
	if holds, info := HoldsRun(dir); !holds || info == nil || info.Scenario != "s" {
		t.Fatalf("HoldsRun = %v, %+v", holds, info)
	}
	if err := ClearOwn(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("left %v, want notes.txt alone", entries)
	}
}
