package harness_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden report.json of every built-in scenario")

// goldenScenarios are the built-in scenarios whose whole report.json is kept: one of each kind
// of outcome. zdt certify checks the verdict and cause of every one of the library.
var goldenScenarios = []string{"ha-well-configured", "no-prestop-exit", "pdb-blocks-drain", "single-control-plane", "single-replica", "stepwise-two-minors"}

// TestGoldenReports runs some built-in scenarios on the simulator through Execute and compares
// their report.json with testdata/golden/<scenario>.json: any change of the simulator's or the
// report's behaviour shows here, and is accepted with go test ./harness -run Golden -update.
func TestGoldenReports(t *testing.T) {
	for _, name := range goldenScenarios {
		t.Run(name, func(t *testing.T) {
			sc, _, err := scenarios.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			res, err := harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: out, Version: "golden"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Report == nil {
				t.Fatal("no report")
			}
			got, err := os.ReadFile(filepath.Join(out, model.ReportJSON))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./harness -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("report.json of %s differs from %s (go test ./harness -run Golden -update accepts the change):\n%s", name, path, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			return "line " + itoa(i+1) + ":\n  want: " + string(wl) + "\n  got:  " + string(gl)
		}
	}
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }
