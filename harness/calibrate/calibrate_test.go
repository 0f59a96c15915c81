package calibrate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/calibrate"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/fidelity"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// known is a profile unlike the base one in every timing the fit reads.
func known() calibration.Calibration {
	c := calibration.Base()
	c.NodeJoin.Duration = 31 * time.Second
	c.ControlPlaneJoin.Duration = 70 * time.Second
	c.ControlPlaneSettle.Duration = 22 * time.Second
	c.WorkerSettle.Duration = 3 * time.Second
	c.EvictionRetry.Duration = 24 * time.Second
	c.MachineDelete.Duration = 7 * time.Second
	c.ContainerStart.Duration = 2 * time.Second
	c.ImagePull.Duration = 6 * time.Second
	return c
}

// fakeReal runs a scenario on the simulator with a profile and makes its run directory look
// like a real provider's, as calibrate reads it: the stand-in for a kind run in a test that
// needs no Docker.
func fakeReal(t *testing.T, path string, cal calibration.Calibration) string {
	t.Helper()
	sc, _, err := scenarios.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Calibration = &cal
	dir := filepath.Join(t.TempDir(), sc.Metadata.Name)
	if _, err := harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: dir}); err != nil {
		t.Fatal(err)
	}
	info, err := model.ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.Provider = "kind"
	if err := model.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	return dir
}

const kindSmall = "../../testdata/scenarios/kind-small.yaml"

// The fit reads back, from a run's timeline, the timings the run was made with.
func TestFitRecoversTheTimingsARunWasMadeWith(t *testing.T) {
	want := known()
	dir := fakeReal(t, kindSmall, want)
	o, err := fidelity.Observe(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, notes := fidelity.Fit([]*fidelity.Observations{o}, calibration.Base())
	for _, f := range []struct {
		name      string
		got, want time.Duration
	}{
		{"nodeJoin", got.NodeJoin.Duration, want.NodeJoin.Duration},
		{"controlPlaneJoin", got.ControlPlaneJoin.Duration, want.ControlPlaneJoin.Duration},
		{"controlPlaneSettle", got.ControlPlaneSettle.Duration, want.ControlPlaneSettle.Duration},
		{"workerSettle", got.WorkerSettle.Duration, want.WorkerSettle.Duration},
		{"evictionRetry", got.EvictionRetry.Duration, want.EvictionRetry.Duration},
		{"machineDelete", got.MachineDelete.Duration, want.MachineDelete.Duration},
		{"containerStart", got.ContainerStart.Duration, want.ContainerStart.Duration},
		{"imagePull", got.ImagePull.Duration, want.ImagePull.Duration},
	} {
		if d := f.got - f.want; d < -500*time.Millisecond || d > 500*time.Millisecond {
			t.Errorf("%s fitted %s, the run was made with %s", f.name, f.got, f.want)
		}
	}
	if t.Failed() {
		t.Logf("fit notes:\n%s", strings.Join(notes, "\n"))
	}
}

// calibrate.Run end to end on a stand-in real run: the profile file loads, the table of the
// profile the run was made with agrees in every cell, and the base profile's table shows the
// errors a wrong profile makes.
func TestRunWritesAProfileAndBothTables(t *testing.T) {
	made := known()
	dir := fakeReal(t, kindSmall, made)
	out := t.TempDir()
	res, err := calibrate.Run(context.Background(), calibrate.Input{
		Runs: []string{dir}, Out: out, Seeds: 2, Before: calibration.Base(),
		NewSim: func(string) (harness.Provider, error) { return sim.NewProvider(), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scenarios.ReadProfile(res.ProfileFile); err != nil {
		t.Fatalf("the written profile does not load: %v", err)
	}
	if len(res.Before.Rows) != 2 || len(res.After.Rows) != 2 {
		t.Fatalf("rows before %d, after %d: want one per seed", len(res.Before.Rows), len(res.After.Rows))
	}
	if missed, judged := res.After.Missed(); missed > 0 {
		var b strings.Builder
		_ = fidelity.WriteMarkdown(&b, &res.After)
		t.Errorf("fitted profile: %d of %d cells missed on the run it was fitted to:\n%s", missed, judged, b.String())
	}
	if missed, _ := res.Before.Missed(); missed == 0 {
		t.Errorf("the base profile (machines %s faster to join) agrees in every cell: the table cannot tell profiles apart", made.NodeJoin.Duration-calibration.Base().NodeJoin.Duration)
	}
	doc, err := os.ReadFile(res.TableFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Simulator fidelity", "Before the fit", "After the fit", "| kind-small | 1 |", "nodeJoin:"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("fidelity.md lacks %q", want)
		}
	}
}

func TestRunRefusesSimulatorRuns(t *testing.T) {
	sc, _, err := scenarios.Open(kindSmall)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: dir}); err != nil {
		t.Fatal(err)
	}
	_, err = calibrate.Run(context.Background(), calibrate.Input{Runs: []string{dir}, Out: t.TempDir(),
		NewSim: func(string) (harness.Provider, error) { return sim.NewProvider(), nil }})
	if err == nil || !strings.Contains(err.Error(), "simulator run") {
		t.Errorf("error %v, want a simulator run refused", err)
	}
}

func TestMemTotal(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo here")
	}
	// Any machine that runs the tests has more than 64 MiB and less than 64 TiB.
	if m := calibrate.MemTotal(); m < 64<<20 || m > 64<<40 {
		t.Fatalf("MemTotal() = %d bytes", m)
	}
}
