package reportcmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/model"
)

// brokenRun is the failing fixture run of the report package.
var brokenRun = filepath.Join("..", "..", "..", "..", "report", "testdata", "runs", "broken")

const passingScenario = `apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: tiny}
spec:
  cluster:
    workerPools: [{name: md-0, replicas: 2}]
  versions: {from: v1.35.2, to: v1.36.3}
  workloads: [{name: web, replicas: 2, pdb: {maxUnavailable: 1}}]
  load: {rate: 10, connections: [new]}
`

// writePassingRun writes a small run in which nothing goes wrong.
func writePassingRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w, err := model.Create(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for sec := range 60 {
		at := time.Duration(sec) * time.Second
		if err := w.Sample(&model.Sample{Target: "web", Conn: model.ConnNew, At: at, Latency: 5 * time.Millisecond, Code: 200, Count: 10, Span: time.Second}); err != nil {
			t.Fatal(err)
		}
		if err := w.State(&model.StateSample{At: at, Workloads: []model.WorkloadState{{Name: "web", Desired: 2, Ready: 2, Endpoints: 2, PDBFloor: 1}},
			NodesByVersion: map[string]int{"v1.36.3": 3}, SchedulableNodes: 2, APIAvailable: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteOwned(model.ScenarioFile, []byte(passingScenario)); err != nil {
		t.Fatal(err)
	}
	info := &model.RunInfo{Scenario: "tiny", Provider: "sim", End: time.Minute,
		Phases: []model.Phase{
			{Name: "preflight", To: 5 * time.Second, Outcome: model.PhaseSucceeded},
			{Name: "control-plane", From: 5 * time.Second, To: 30 * time.Second, Outcome: model.PhaseSucceeded},
			{Name: "postflight", From: 30 * time.Second, To: 35 * time.Second, Outcome: model.PhaseSucceeded},
		},
		Preflight:  []model.CheckResult{{Name: "nodes-ready", Status: model.CheckPass}},
		Postflight: []model.CheckResult{{Name: "node-versions", Status: model.CheckPass}},
		Streams:    []model.StreamStats{{Target: "web", Conn: model.ConnNew, Planned: 600, Sent: 600, Recorded: 600}},
	}
	if err := w.Finish(info); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     func(t *testing.T) []string
		wantCode int
		wantOut  string
		wantErr  string
		written  bool
	}{
		{"failing run", func(t *testing.T) []string { return []string{brokenRun, "--out", t.TempDir()} }, cli.ExitFail, "verdict: FAIL", "", true},
		{"passing run", func(t *testing.T) []string { return []string{writePassingRun(t)} }, cli.ExitPass, "verdict: PASS", "", true},
		{"quiet", func(t *testing.T) []string { return []string{brokenRun, "--out", t.TempDir(), "-q"} }, cli.ExitFail, "FAIL: 5 of 14 criteria failed", "", true},
		{"no such directory", func(t *testing.T) []string { return []string{filepath.Join(t.TempDir(), "nope")} }, cli.ExitBadInput, "", "scenario.yaml", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			cmd := NewCommand(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			args := tc.args(t)
			cmd.SetArgs(args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if code := cli.ExitCode(err); code != tc.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tc.wantCode)
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, out.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
			}
			if tc.written {
				dir := args[0]
				for i, a := range args {
					if a == "--out" {
						dir = args[i+1]
					}
				}
				for _, name := range []string{model.ReportJSON, model.JUnitFile, model.ReportHTML} {
					if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
						t.Errorf("%s not written: %v", name, err)
					}
				}
			}
		})
	}
}
