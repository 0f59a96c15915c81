package report

import (
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/report/internal/fixtures"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// TestDiagnoses checks that a failed criterion's cause and fix follow from what the timeline
// and the states show around the failure.
func TestDiagnoses(t *testing.T) {
	// dropWebAt100 makes web drop every request sent over 100-103s.
	dropWebAt100 := func(r *fixtures.Run) {
		for i := range 30 {
			r.Samples = append(r.Samples, model.Sample{Target: "web", Conn: model.ConnReused, At: 100*time.Second + time.Duration(i)*100*time.Millisecond,
				Error: "connection reset by peer"})
		}
	}
	for _, tc := range []struct {
		name      string
		change    func(r *fixtures.Run)
		criterion string
		want      []string
	}{
		{"node crash", func(r *fixtures.Run) {
			dropWebAt100(r)
			r.Scenario.Spec.Faults = append(r.Scenario.Spec.Faults, faults.Fault{Name: "crash-1", Kind: faults.NodeCrash})
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonFaultInjected,
				Locator: model.Locator{Fault: "crash-1", Node: "md-0-old-a"}, From: 99 * time.Second, To: 160 * time.Second})
		}, "dropped-requests", []string{"injected fault crash-1 (NodeCrash on node md-0-old-a) took a node away", "spread replicas across nodes"}},
		{"node not ready", func(r *fixtures.Run) {
			dropWebAt100(r)
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Warning, Reason: model.ReasonNodeNotReady,
				Locator: model.Locator{Node: "md-0-old-b"}, From: 98 * time.Second, To: 140 * time.Second})
		}, "dropped-requests", []string{"while node md-0-old-b was NotReady"}},
		{"single replica", func(r *fixtures.Run) {
			dropWebAt100(r)
			one := int32(1)
			r.Scenario.Spec.Workloads[0].Replicas = &one
			for i := range r.States {
				for j := range r.States[i].Workloads {
					if w := &r.States[i].Workloads[j]; w.Name == "web" {
						w.Desired, w.Ready, w.PDBFloor = 1, 1, -1
						if r.States[i].At >= 100*time.Second && r.States[i].At <= 103*time.Second {
							w.Ready = 0
						}
					}
				}
			}
		}, "dropped-requests", []string{"single ready replica", "run at least 2 replicas of web with a PDB"}},
		{"unexplained", dropWebAt100, "dropped-requests", []string{"no cluster event overlapping"}},
		{"single control plane", func(r *fixtures.Run) {
			one := int32(1)
			r.Scenario.Spec.Cluster.ControlPlane.Replicas = &one
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonAPIUnavailable, From: 90 * time.Second, To: 150 * time.Second})
		}, "api-downtime", []string{"control plane machine cp-old-0 was removed", "control plane has 1 replica", "run 3 control plane replicas"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustBuild(t, fixtures.All[fixtures.Healthy])
			tc.change(r)
			rep := Evaluate(r.Scenario, r.Info, r.Samples, r.Timeline, r.States)
			for _, c := range rep.Criteria {
				if c.Name != tc.criterion {
					continue
				}
				if c.Outcome != OutcomeFail {
					t.Fatalf("%s is %s, want fail", c.Name, c.Outcome)
				}
				text := c.Cause + " | " + c.Fix
				for _, w := range tc.want {
					if !strings.Contains(text, w) {
						t.Errorf("cause and fix %q lack %q", text, w)
					}
				}
				return
			}
			t.Fatalf("no criterion %s", tc.criterion)
		})
	}
}
