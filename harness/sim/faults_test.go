package sim

import (
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func TestEveryFaultKindHasAnInjector(t *testing.T) {
	for _, k := range faults.Kinds() {
		if injectors[k] == nil {
			t.Errorf("the simulator has no injector for %s", k)
		}
	}
}

// TestFaultEffects injects each kind alone into the well-configured scenario and checks the
// effect a real cluster would show.
func TestFaultEffects(t *testing.T) {
	d := func(v time.Duration) *metav1.Duration { return &metav1.Duration{Duration: v} }
	fault := func(kind faults.Kind, phase model.PhaseName, after, duration time.Duration) faults.Fault {
		return faults.Fault{Name: "f", Kind: kind, At: faults.Time{Phase: phase, After: metav1.Duration{Duration: after}},
			Duration: d(duration), Target: faults.Target{Count: ptr(int32(1))}}
	}
	has := func(o *outcome, reason model.Reason, cond func(model.Interval) bool) bool {
		for _, iv := range o.mem.Intervals {
			if iv.Reason == reason && (cond == nil || cond(iv)) {
				return true
			}
		}
		return false
	}
	baseline := runScenario(t, "ha-well-configured", 1, nil)
	cases := []struct {
		name  string
		fault func() faults.Fault
		check func(t *testing.T, o *outcome)
	}{
		{"node crash: NotReady after the grace period, requests dropped", func() faults.Fault {
			return fault(faults.NodeCrash, "upgrade", 0, 3*time.Minute)
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonNodeNotReady, nil) || o.dropped == 0 {
				t.Errorf("NotReady seen %v, %d dropped", has(o, model.ReasonNodeNotReady, nil), o.dropped)
			}
		}},
		{"kubelet stop: NotReady, pods keep serving", func() faults.Fault {
			return fault(faults.KubeletStop, "upgrade", 0, 2*time.Minute)
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonNodeNotReady, nil) {
				t.Error("no NodeNotReady")
			}
		}},
		{"network partition: NotReady and drops", func() faults.Fault {
			return fault(faults.NetworkPartition, "upgrade", 0, 2*time.Minute)
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonNodeNotReady, nil) || o.dropped == 0 {
				t.Errorf("NotReady seen %v, %d dropped", has(o, model.ReasonNodeNotReady, nil), o.dropped)
			}
		}},
		{"network delay: slower answers, new connections twice as slow", func() faults.Fault {
			f := fault(faults.NetworkDelay, "upgrade", 0, 2*time.Minute)
			f.Target.Count = ptr(int32(3))
			f.Delay = d(400 * time.Millisecond)
			return f
		}, func(t *testing.T, o *outcome) {
			// 400 ms on every worker: a kept-alive request pays 400 ms through its pod's node
			// and 1.2 s through another; a new connection twice that (800 ms or 2.4 s, which
			// the client's timeout may cut).
			slowest := map[model.ConnMode]time.Duration{}
			for _, s := range o.mem.Samples {
				if s.OK() && s.Target != model.APITarget && s.Latency > slowest[s.Conn] {
					slowest[s.Conn] = s.Latency
				}
			}
			if slowest[model.ConnReused] < 400*time.Millisecond || slowest[model.ConnNew] < 800*time.Millisecond {
				t.Errorf("slowest answers %v, want at least 400ms kept-alive and 800ms new", slowest)
			}
		}},
		{"pod kill: the pod is replaced", func() faults.Fault {
			f := fault(faults.PodKill, "upgrade", 0, 0)
			f.Target.Workload = "web"
			return f
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonFaultInjected, func(iv model.Interval) bool { return strings.Contains(iv.Message, "killed web-") }) {
				t.Error("no pod of web killed")
			}
		}},
		{"apiserver restart of every control plane node: API down", func() faults.Fault {
			f := fault(faults.APIServerRestart, "upgrade", 0, 20*time.Second)
			f.Target.Count = ptr(int32(3))
			return f
		}, func(t *testing.T, o *outcome) {
			if o.apiFailed == 0 {
				t.Error("no API probe failed")
			}
		}},
		{"slow readiness: new pods not ready for longer", func() faults.Fault {
			f := fault(faults.SlowReadiness, "upgrade", 0, time.Hour)
			f.Target.Workload = "web"
			f.Delay = d(time.Minute)
			return f
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonPodNotReady, func(iv model.Interval) bool {
				return iv.Locator.Workload == "web" && iv.Duration() > time.Minute
			}) {
				t.Error("no web pod took over a minute to be ready")
			}
		}},
		{"eviction errors: drain retries", func() faults.Fault {
			return fault(faults.EvictionError, "workers", 0, 2*time.Minute)
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonEvictionFailed, nil) {
				t.Error("no EvictionFailed interval")
			}
		}},
		{"provisioning failure: the machine is replaced", func() faults.Fault {
			return fault(faults.MachineProvisionFailure, "upgrade", 0, 0)
		}, func(t *testing.T, o *outcome) {
			if !has(o, model.ReasonMachineCreated, func(iv model.Interval) bool { return strings.Contains(iv.Message, "failed to provision") }) {
				t.Error("no failed machine")
			}
			if o.phase("control-plane").Outcome != model.PhaseSucceeded {
				t.Error("the control plane did not recover from one failed machine")
			}
		}},
		{"provisioning slowness: a longer control plane phase", func() faults.Fault {
			f := fault(faults.MachineProvisionSlowness, "upgrade", 0, time.Hour)
			f.Delay = d(time.Minute)
			return f
		}, func(t *testing.T, o *outcome) {
			slow, base := o.phase("control-plane"), baseline.phase("control-plane")
			if slow.To-slow.From < base.To-base.From+3*time.Minute {
				t.Errorf("control plane took %s with 1m slower machines, %s without", slow.To-slow.From, base.To-base.From)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
				sc.Spec.Faults = []faults.Fault{c.fault()}
			})
			if !has(o, model.ReasonFaultInjected, nil) {
				t.Fatal("the fault is not in the timeline")
			}
			c.check(t, o)
		})
	}
}

// TestFaultTimedToAnEvent crashes the node being drained 5 s after the second drain of pool
// md-0 began: the fault starts then, on that drain's node, whatever the phase's length; a fault
// waiting for a third drain of a pool that has fewer is recorded as not applied.
func TestFaultTimedToAnEvent(t *testing.T) {
	o := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
		sc.Spec.Faults = []faults.Fault{
			{Name: "crash", Kind: faults.NodeCrash, Target: faults.Target{Node: faults.NodeDraining},
				At: faults.Time{Phase: model.PoolPhase("md-0"), Event: faults.EventNodeDrain, Nth: 2, After: metav1.Duration{Duration: 5 * time.Second}}},
			{Name: "never", Kind: faults.NodeCordon,
				At: faults.Time{Phase: model.PoolPhase("md-0"), Event: faults.EventNodeDrain, Nth: 99}},
		}
	})
	var drains []model.Interval
	var crash, never *model.Interval
	for i, iv := range o.mem.Intervals {
		switch {
		case iv.Reason == model.ReasonNodeDrain && iv.Locator.Pool == "md-0":
			drains = append(drains, iv)
		case iv.Reason == model.ReasonFaultInjected && iv.Locator.Fault == "crash":
			crash = &o.mem.Intervals[i]
		case iv.Reason == model.ReasonFaultNotApplied && iv.Locator.Fault == "never":
			never = &o.mem.Intervals[i]
		}
	}
	if len(drains) < 2 || crash == nil {
		t.Fatalf("%d drains of md-0, crash %+v", len(drains), crash)
	}
	sort.Slice(drains, func(i, j int) bool { return drains[i].From < drains[j].From })
	second := drains[1]
	if crash.From != second.From+5*time.Second || crash.Locator.Node != second.Locator.Node {
		t.Errorf("crash at %s on %s; the second drain began at %s on %s", crash.From, crash.Locator.Node, second.From, second.Locator.Node)
	}
	if never == nil || !strings.Contains(never.Message, "99th NodeDrain in pool/md-0") {
		t.Errorf("a fault whose event never came: %+v", never)
	}
}
