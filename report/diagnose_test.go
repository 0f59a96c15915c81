package report

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/report/internal/fixtures"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// TestDiagnoses checks that a failed criterion's cause and fix follow from what the timeline
// and the states show around the failure.
func TestDiagnoses(t *testing.T) {
	// dropWebAt100 makes web drop every request sent over 100-103s.
	dropWeb := func(r *fixtures.Run, at time.Duration, n int, err string) {
		for i := range n {
			r.Samples = append(r.Samples, model.Sample{Target: "web", Conn: model.ConnReused, At: at + time.Duration(i)*100*time.Millisecond, Error: err})
		}
	}
	dropWebAt100 := func(r *fixtures.Run) { dropWeb(r, 100*time.Second, 30, "connection reset by peer") }
	timeoutsAt100 := func(r *fixtures.Run) { dropWeb(r, 100*time.Second, 30, "timeout awaiting response headers") }
	notReadyAt98 := func(r *fixtures.Run) {
		r.Timeline = append(r.Timeline, model.Interval{Level: model.Warning, Reason: model.ReasonNodeNotReady,
			Locator: model.Locator{Node: "md-0-old-b"}, From: 98 * time.Second, To: 140 * time.Second})
	}
	for _, tc := range []struct {
		name      string
		change    func(r *fixtures.Run)
		criterion string
		want      []string
	}{
		{"node crash", func(r *fixtures.Run) {
			timeoutsAt100(r)
			r.Scenario.Spec.Faults = append(r.Scenario.Spec.Faults, faults.Fault{Name: "crash-1", Kind: faults.NodeCrash})
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonFaultInjected,
				Locator: model.Locator{Fault: "crash-1", Node: "md-0-old-a"}, From: 99 * time.Second, To: 160 * time.Second})
		}, "dropped-requests", []string{"injected fault crash-1 (NodeCrash on node md-0-old-a) took a node away", "spread replicas across nodes"}},
		{"node not ready", func(r *fixtures.Run) {
			timeoutsAt100(r)
			notReadyAt98(r)
		}, "dropped-requests", []string{"while these nodes were NotReady: md-0-old-b"}},
		// Resets are not what a lost node does: the NotReady node is not blamed.
		{"resets while a node is NotReady", func(r *fixtures.Run) {
			dropWebAt100(r)
			notReadyAt98(r)
		}, "dropped-requests", []string{"no cluster event overlapping"}},
		// An apiserver restart cannot fail a workload's requests, whatever overlaps it.
		{"apiserver restart over workload drops", func(r *fixtures.Run) {
			dropWebAt100(r)
			r.Scenario.Spec.Faults = append(r.Scenario.Spec.Faults, faults.Fault{Name: "restart", Kind: faults.APIServerRestart})
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonFaultInjected,
				Locator: model.Locator{Fault: "restart"}, From: 99 * time.Second, To: 110 * time.Second})
		}, "dropped-requests", []string{"no cluster event overlapping"}},
		// Of two overlapping faults, the one whose mechanism failed the requests is blamed.
		{"overlapping faults", func(r *fixtures.Run) {
			timeoutsAt100(r)
			r.Scenario.Spec.Faults = append(r.Scenario.Spec.Faults, faults.Fault{Name: "restart", Kind: faults.APIServerRestart},
				faults.Fault{Name: "cut", Kind: faults.NetworkPartition})
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonFaultInjected,
				Locator: model.Locator{Fault: "restart"}, From: 98 * time.Second, To: 110 * time.Second},
				model.Interval{Level: model.Error, Reason: model.ReasonFaultInjected,
					Locator: model.Locator{Fault: "cut", Node: "md-0-old-a"}, From: 99 * time.Second, To: 130 * time.Second})
		}, "dropped-requests", []string{"injected fault cut (NetworkPartition on node md-0-old-a)"}},
		// Several windows of one cause are one diagnosis with the totals.
		{"windows of one cause", func(r *fixtures.Run) {
			dropWeb(r, 100*time.Second, 1, "connection refused")
			dropWeb(r, 200*time.Second, 12, "connection refused")
		}, "dropped-requests", []string{"web dropped 13 requests in 2 windows (t+1m40s-t+1m40.1s, t+3m20s-t+3m21.2s)"}},
		// A pod without a readiness probe is Ready before it serves.
		{"readiness gap", func(r *fixtures.Run) {
			r.Scenario.Spec.Workloads[0].ReadinessProbe = nil
			r.Scenario.Spec.Workloads[0].StartupTime = &metav1.Duration{Duration: 3 * time.Second}
			dropWeb(r, 100*time.Second, 20, "connection refused")
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Info, Reason: model.ReasonPodNotReady,
				Locator: model.Locator{Node: "md-0-new-a", Workload: "web", Pod: "web-new-a"}, From: 99 * time.Second, To: 100 * time.Second})
		}, "dropped-requests", []string{"got traffic before they served", "no readiness probe", "pod web-new-a on node md-0-new-a", "give web a readiness probe"}},
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
		// etcd losing quorum is the member being added, not the machine being removed.
		{"quorum lost as a member joins", func(r *fixtures.Run) {
			r.Timeline = append(r.Timeline, model.Interval{Level: model.Error, Reason: model.ReasonAPIUnavailable, From: 90 * time.Second, To: 100 * time.Second,
				Message: "Kubernetes API unavailable: etcdserver: no leader (etcd lost quorum)"})
		}, "api-downtime", []string{"was added: its etcd member joined before its etcd ran, and etcd lost quorum"}},
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
