package sim

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// TestNodeCordonLeavesLessRoom cordons two of three workers before the pool's roll: the surge
// machine alone takes the evicted pods, capacity falls, and the fault is in the timeline.
func TestNodeCordonLeavesLessRoom(t *testing.T) {
	cordon := func(count int32) func(*scenarios.Scenario) {
		return func(sc *scenarios.Scenario) {
			sc.Spec.Faults = []faults.Fault{{Name: "cordon", Kind: faults.NodeCordon,
				Target: faults.Target{Node: "pool/md-0", Count: &count},
				At:     faults.Time{Phase: model.PhaseUpgrade}, Duration: &metav1.Duration{Duration: 20 * time.Minute}}}
		}
	}
	calm := runScenario(t, "ha-well-configured", 1, nil)
	o := runScenario(t, "ha-well-configured", 1, cordon(2))
	injected := false
	for _, iv := range o.mem.Intervals {
		injected = injected || iv.Reason == model.ReasonFaultInjected && iv.Locator.Fault == "cordon"
	}
	if !injected {
		t.Fatal("the cordon is not in the timeline")
	}
	lowest := func(o *outcome) int {
		low := -1
		for _, s := range o.mem.States {
			if low < 0 || s.SchedulableNodes < low {
				low = s.SchedulableNodes
			}
		}
		return low
	}
	if lowest(o) >= lowest(calm) {
		t.Errorf("lowest schedulable workers %d with two cordoned, %d without", lowest(o), lowest(calm))
	}
	if p := o.phase(model.PoolPhase("md-0")); p == nil || p.Outcome != model.PhaseSucceeded {
		t.Errorf("pool phase %+v: a cordon must not stop the rollout", p)
	}
}
