package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// intervals returns the timeline's intervals of a reason whose locator passes keep.
func (o *outcome) intervals(reason model.Reason, keep func(model.Locator) bool) []model.Interval {
	var out []model.Interval
	for _, iv := range o.mem.Intervals {
		if iv.Reason == reason && (keep == nil || keep(iv.Locator)) {
			out = append(out, iv)
		}
	}
	return out
}

func controlPlane(l model.Locator) bool {
	return l.Pool == "" && strings.Contains(l.Node, "control-plane")
}

// CoreDNS starts on the control plane, so replacing a control plane machine drains it: the drain
// waits for CoreDNS's pods to go, which Cluster API sees at its next pass (evictionRetry), and
// the pods come back elsewhere, Ready, without being measured as a scenario workload.
func TestControlPlaneDrainEvictsCoreDNS(t *testing.T) {
	o := runScenario(t, "single-control-plane", 1, func(sc *scenarios.Scenario) { sc.Spec.Faults = nil })
	drains := o.intervals(model.ReasonNodeDrain, controlPlane)
	if len(drains) != 1 {
		t.Fatalf("control plane drains: %+v, want one", drains)
	}
	retry := scenarios.DefaultCalibration().EvictionRetry.Duration
	if d := drains[0].Duration(); d < retry {
		t.Errorf("the control plane drain took %s: CoreDNS's pods on it should hold it one requeue (%s)", d, retry)
	}
	moved := 0
	for _, iv := range o.intervals(model.ReasonPodTerminating, func(l model.Locator) bool { return l.Workload == "coredns" }) {
		if iv.Locator.Node == drains[0].Locator.Node {
			moved++
		}
	}
	if moved != 2 {
		t.Errorf("%d CoreDNS pods left the drained control plane node, want 2", moved)
	}
	for _, st := range o.mem.States {
		for _, w := range st.Workloads {
			if w.Name == "coredns" {
				t.Fatalf("CoreDNS measured as a workload in the state samples: %+v", w)
			}
		}
	}
	if o.info.Postflight == nil {
		t.Fatal("no postflight")
	}
	for _, c := range o.info.Postflight {
		if c.Status == model.CheckFail {
			t.Errorf("postflight %s failed: %s", c.Name, c.Message)
		}
	}
}

// A control plane machine is deleted only controlPlaneSettle after its replacement is Ready, a
// worker workerSettle after the new worker; a new worker takes traffic daemonSetStart after it
// is Ready.
func TestSettleTimesDelayTheNextDeletion(t *testing.T) {
	gap := func(o *outcome, keep func(model.Locator) bool) time.Duration {
		c := o.intervals(model.ReasonMachineCreated, keep)
		d := o.intervals(model.ReasonMachineDeleted, keep)
		if len(c) == 0 || len(d) == 0 {
			t.Fatalf("machines created %d, deleted %d", len(c), len(d))
		}
		return d[0].From - c[0].To
	}
	worker := func(l model.Locator) bool { return l.Pool != "" }
	base := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
		sc.Spec.Calibration.ControlPlaneSettle.Duration = 0
		sc.Spec.Calibration.WorkerSettle.Duration = 0
	})
	slow := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
		sc.Spec.Calibration.ControlPlaneSettle.Duration = 25 * time.Second
		sc.Spec.Calibration.WorkerSettle.Duration = 3 * time.Second
	})
	if g0, g1 := gap(base, controlPlane), gap(slow, controlPlane); g1-g0 < 25*time.Second {
		t.Errorf("control plane: new node Ready to old machine deleted %s, then %s with controlPlaneSettle 25s", g0, g1)
	}
	if g0, g1 := gap(base, worker), gap(slow, worker); g1-g0 < 3*time.Second {
		t.Errorf("workers: new node Ready to old machine deleted %s, then %s with workerSettle 3s", g0, g1)
	}
	if b, s := base.phase(model.PhaseControlPlane), slow.phase(model.PhaseControlPlane); s.To-s.From <= b.To-b.From {
		t.Errorf("control plane phase %s with the settle times, %s without", s.To-s.From, b.To-b.From)
	}
}
