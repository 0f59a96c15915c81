package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// fuzzScenario is the small passing run FuzzFromDir starts from.
const fuzzScenario = `apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: tiny}
spec:
  cluster:
    workerPools: [{name: md-0, replicas: 2}]
  versions: {from: v1.35.2, to: v1.36.3}
  workloads: [{name: web, replicas: 2, pdb: {maxUnavailable: 1}}]
  load: {rate: 10, connections: [new]}
`

// FuzzFromDir: zdt report on arbitrary files never panics or hangs, and never says PASS unless
// the stream files hold exactly what the passing run wrote (run.json's manifest is checked).
func FuzzFromDir(f *testing.F) {
	src := f.TempDir()
	w, err := model.Create(src, nil)
	if err != nil {
		f.Fatal(err)
	}
	for sec := range 12 {
		at := time.Duration(sec) * time.Second
		w.Sample(&model.Sample{Target: "web", Conn: model.ConnNew, At: at, Latency: 5 * time.Millisecond, Code: 200, Count: 10, Span: time.Second})
		w.State(&model.StateSample{At: at, Workloads: []model.WorkloadState{{Name: "web", Desired: 2, Ready: 2, Endpoints: 2, PDBFloor: 1}},
			NodesByVersion: map[string]int{"v1.36.3": 3}, SchedulableNodes: 2, APIAvailable: true})
	}
	w.Interval(&model.Interval{Reason: model.ReasonNodeDrain, Locator: model.Locator{Node: "md-0-a"}, From: 3 * time.Second, To: 5 * time.Second})
	if err := w.WriteOwned(model.ScenarioFile, []byte(fuzzScenario)); err != nil {
		f.Fatal(err)
	}
	info := &model.RunInfo{Scenario: "tiny", Provider: "sim", End: 12 * time.Second,
		Phases: []model.Phase{
			{Name: model.PhasePreflight, To: time.Second, Outcome: model.PhaseSucceeded},
			{Name: model.PhaseControlPlane, From: time.Second, To: 10 * time.Second, Outcome: model.PhaseSucceeded},
			{Name: model.PhasePostflight, From: 10 * time.Second, To: 11 * time.Second, Outcome: model.PhaseSucceeded},
		},
		Preflight:  []model.CheckResult{{Name: "nodes-ready", Status: model.CheckPass}},
		Postflight: []model.CheckResult{{Name: "nodes-at-target", Status: model.CheckPass}},
		Streams:    []model.StreamStats{{Target: "web", Conn: model.ConnNew, Planned: 120, Sent: 120, Recorded: 120}},
	}
	if err := w.Finish(info); err != nil {
		f.Fatal(err)
	}
	orig := map[string][]byte{}
	for _, name := range []string{model.RunFile, model.SamplesFile, model.TimelineFile, model.StatesFile} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			f.Fatal(err)
		}
		orig[name] = b
	}
	if r, err := FromDir(src); err != nil || r.Verdict != Pass {
		f.Fatalf("the starting run is not a PASS: %v %v", err, r)
	}
	f.Add(orig[model.RunFile], orig[model.SamplesFile], orig[model.TimelineFile], orig[model.StatesFile])
	f.Add(orig[model.RunFile], orig[model.SamplesFile][:len(orig[model.SamplesFile])/2], orig[model.TimelineFile], orig[model.StatesFile])
	f.Add([]byte(`{"state":"running"}`), []byte("{}\n"), []byte(""), []byte("{\"at\":1}\n"))
	f.Fuzz(func(t *testing.T, run, samples, timeline, states []byte) {
		os.WriteFile("/tmp/fzlast.run", run, 0o644)
		os.WriteFile("/tmp/fzlast.samples", samples, 0o644)
		os.WriteFile("/tmp/fzlast.timeline", timeline, 0o644)
		os.WriteFile("/tmp/fzlast.states", states, 0o644)
		dir := t.TempDir()
		files := map[string][]byte{model.ScenarioFile: []byte(fuzzScenario), model.RunFile: run, model.SamplesFile: samples,
			model.TimelineFile: timeline, model.StatesFile: states}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := FromDir(dir)
		if err != nil || rep.Verdict != Pass {
			return
		}
		for _, name := range []string{model.SamplesFile, model.TimelineFile, model.StatesFile} {
			if !bytes.Equal(files[name], orig[name]) {
				t.Fatalf("PASS with %s not as the run wrote it (%d bytes, %d written)", name, len(files[name]), len(orig[name]))
			}
		}
	})
}
