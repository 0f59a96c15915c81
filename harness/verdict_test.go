package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

// runSim runs a built-in scenario, edited, on the simulator and returns its report.
func runSim(t *testing.T, name string, edit func(*scenarios.Scenario)) *report.Report {
	t.Helper()
	sc, _, err := scenarios.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(sc)
		scenarios.SetDefaults(sc)
		if err := scenarios.Validate(sc); err != nil {
			t.Fatal(err)
		}
	}
	res, err := harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: t.TempDir(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res.Report
}

func criterion(r *report.Report, name string) *report.Criterion {
	for i := range r.Criteria {
		if r.Criteria[i].Name == name {
			return &r.Criteria[i]
		}
	}
	return nil
}

// TestFaultThatMatchedNothingIsInconclusive: a fault on the draining node, timed in the control
// plane's rollout when no worker drains, never happens; the run says so instead of passing.
func TestFaultThatMatchedNothingIsInconclusive(t *testing.T) {
	r := runSim(t, "ha-well-configured", func(sc *scenarios.Scenario) {
		sc.Spec.Faults = []faults.Fault{{Name: "crash-draining", Kind: faults.NodeCrash,
			Target:   faults.Target{Node: faults.NodeDraining},
			At:       faults.Time{Phase: model.PhaseControlPlane, After: metav1.Duration{Duration: 10 * time.Second}},
			Duration: &metav1.Duration{Duration: time.Minute}}}
	})
	if r.Verdict != report.Inconclusive {
		t.Errorf("verdict %s (%s), want INCONCLUSIVE", r.Verdict, r.VerdictReason)
	}
	c := criterion(r, "faults-applied")
	if c == nil || c.Outcome != report.OutcomeInconclusive || !strings.Contains(c.Cause, "crash-draining") {
		t.Fatalf("faults-applied = %+v, want inconclusive naming crash-draining", c)
	}
	if len(r.Faults) != 1 || r.Faults[0].Status != report.FaultNotApplied || !strings.Contains(r.Faults[0].Detail, "no node matched") {
		t.Errorf("faults = %+v", r.Faults)
	}
}

// TestAppliedFaultIsListedWithItsInterval: the same fault inside the workers' rollout hits the
// draining node; report.json lists it as applied, with its interval.
func TestAppliedFaultIsListedWithItsInterval(t *testing.T) {
	// Halfway into the first old worker's drain: it begins once the surge worker is Ready.
	cal := scenarios.DefaultCalibration()
	mid := cal.MachineProvision.Duration + cal.NodeJoin.Duration + cal.WorkerSettle.Duration + cal.EvictionRetry.Duration/2
	r := runSim(t, "ha-well-configured", func(sc *scenarios.Scenario) {
		sc.Spec.Faults = []faults.Fault{{Name: "crash-draining", Kind: faults.NodeCrash,
			Target:   faults.Target{Node: faults.NodeDraining},
			At:       faults.Time{Phase: model.PhaseWorkers, After: metav1.Duration{Duration: mid}},
			Duration: &metav1.Duration{Duration: time.Minute}}}
	})
	c := criterion(r, "faults-applied")
	if c == nil || c.Outcome != report.OutcomePass {
		t.Fatalf("faults-applied = %+v", c)
	}
	f := r.Faults[0]
	if f.Status != report.FaultApplied || f.ToSeconds-f.FromSeconds != 60 {
		t.Errorf("fault = %+v, want applied for 60s", f)
	}
}

// TestNoFaultsNoFaultCriterion: a scenario without faults is not judged on them.
func TestNoFaultsNoFaultCriterion(t *testing.T) {
	r := runSim(t, "ha-well-configured", nil)
	if c := criterion(r, "faults-applied"); c != nil {
		t.Errorf("faults-applied present without faults: %+v", c)
	}
}

// TestAvailabilityFloorCatchesAWorkloadDownToZero: single replicas without a PDB fall to 0 ready
// in every drain. ready-replicas, whose default limit is 0%, cannot see it; the default
// availability floor of one ready replica does, and lowering it to 0 turns it off.
func TestAvailabilityFloorCatchesAWorkloadDownToZero(t *testing.T) {
	r := runSim(t, "single-replica", nil)
	if c := criterion(r, "ready-replicas"); c == nil || c.Outcome != report.OutcomePass {
		t.Fatalf("ready-replicas = %+v: the test assumes its default limit lets 0 ready pass", c)
	}
	c := criterion(r, "availability-floor")
	if c == nil || c.Outcome != report.OutcomeFail || c.Observed != 0 || !strings.Contains(c.Cause, "no PodDisruptionBudget") {
		t.Fatalf("availability-floor = %+v, want a failure at 0 ready naming the missing PDB", c)
	}
	off := runSim(t, "single-replica", func(sc *scenarios.Scenario) {
		zero := int32(0)
		sc.Spec.Criteria.MinReadyReplicas = &zero
	})
	if c := criterion(off, "availability-floor"); c == nil || c.Outcome != report.OutcomeSkipped {
		t.Errorf("with minReadyReplicas 0, availability-floor = %+v, want skipped", c)
	}
}

// execute runs a built-in scenario into dir.
func execute(t *testing.T, name, dir string, force bool) (*harness.Output, error) {
	t.Helper()
	sc, _, err := scenarios.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	return harness.Execute(context.Background(), harness.Input{Scenario: sc, Provider: sim.NewProvider(), Out: dir, Version: "test", Force: force})
}

// TestDamagedRunDirectoryIsNeverAPass: a failing run whose files are cut or deleted afterwards
// is never judged PASS: the manifest and the read-back counts make it inconclusive.
func TestDamagedRunDirectoryIsNeverAPass(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(dir string)
		want   []string
	}{
		{"samples cut in the middle", func(dir string) {
			p := filepath.Join(dir, model.SamplesFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/3], 0o644)
		}, []string{"data-integrity", "measurement"}},
		{"timeline deleted", func(dir string) { os.Remove(filepath.Join(dir, model.TimelineFile)) }, []string{"data-integrity"}},
		{"timeline cut", func(dir string) { os.WriteFile(filepath.Join(dir, model.TimelineFile), nil, 0o644) }, []string{"data-integrity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := execute(t, "no-prestop-exit", dir, false); err != nil {
				t.Fatal(err)
			}
			tc.damage(dir)
			r, err := report.FromDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict == report.Pass {
				t.Fatalf("a damaged run passed: %s", r.VerdictReason)
			}
			for _, name := range tc.want {
				if c := criterion(r, name); c == nil || c.Outcome != report.OutcomeInconclusive {
					t.Errorf("%s = %+v, want inconclusive", name, c)
				}
			}
		})
	}
}

// TestOutHoldingARunIsRefused: a run never writes into a directory that holds another one,
// unless told to replace it.
func TestOutHoldingARunIsRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := execute(t, "ha-well-configured", dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, "no-prestop-exit", dir, false); !errors.Is(err, harness.ErrOutHoldsRun) || !strings.Contains(err.Error(), "ha-well-configured") {
		t.Fatalf("second run into the same --out: %v", err)
	}
	out, err := execute(t, "no-prestop-exit", dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if out.Report.Scenario != "no-prestop-exit" || out.Report.Verdict != report.Fail {
		t.Errorf("after --force: %s %s", out.Report.Scenario, out.Report.Verdict)
	}
}

// TestThinLoadIsInconclusive: load that stops early, fades out, or is too sparse to see a
// one-second disruption never lets a failing scenario pass.
func TestThinLoadIsInconclusive(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*scenarios.Scenario)
	}{
		{"one second of load", func(sc *scenarios.Scenario) { sc.Spec.Load.Duration = "1s" }},
		{"a linear pacer falling to zero", func(sc *scenarios.Scenario) {
			slope := -1.0
			sc.Spec.Load.Pacer = &scenarios.Pacer{Type: scenarios.PacerLinear, Slope: &slope}
		}},
		{"one request a second", func(sc *scenarios.Scenario) {
			rate := 1.0
			sc.Spec.Load.Rate = &rate
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runSim(t, "no-prestop-exit", tc.edit)
			if r.Verdict == report.Pass {
				t.Fatalf("thin load passed: %s", r.VerdictReason)
			}
			c := criterion(r, "load-coverage")
			if c == nil || c.Outcome != report.OutcomeInconclusive || !strings.Contains(c.Detail, "could go unseen") {
				t.Errorf("load-coverage = %+v, want inconclusive with the resolution stated", c)
			}
		})
	}
}
