package harness_test

import (
	"context"
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
	r := runSim(t, "ha-well-configured", func(sc *scenarios.Scenario) {
		sc.Spec.Faults = []faults.Fault{{Name: "crash-draining", Kind: faults.NodeCrash,
			Target:   faults.Target{Node: faults.NodeDraining},
			At:       faults.Time{Phase: model.PhaseWorkers, After: metav1.Duration{Duration: 25 * time.Second}},
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
