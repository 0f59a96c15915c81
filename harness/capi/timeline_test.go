package capi

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-dev/zdt/model"
)

const pdbMsg = `Drain not completed yet (started at 2026-01-01T00:00:10Z):
* Pod zdt/web-5d8f-a: cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently`

func slice(name, service string, eps map[string]bool) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "zdt", Name: name,
		Labels: map[string]string{discoveryv1.LabelServiceName: service}}}
	for p, ready := range eps {
		r, n := ready, "w1"
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: &r},
			NodeName: &n, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: p}})
	}
	return es
}

// TestTimeline scripts one worker replacement as Cluster API does it and checks the intervals.
func TestTimeline(t *testing.T) {
	rec := &memRecorder{}
	clk := &fakeClock{}
	tl := newTimeline(rec, clk.Now)
	at := func(s int) { clk.set(time.Duration(s) * time.Second) }

	// Before the run: one worker with a pod of web on it.
	tl.OnNode(node("w1", "v1.35.2", true, false, nil))
	tl.OnMachine(machine("md-1", "v1.35.2", "w1", inPool("md-0")), true)
	tl.OnPod(pod("zdt", "web-5d8f-a", "web", "w1", true))
	tl.OnEndpointSlice(slice("web-x", "web", map[string]bool{"web-5d8f-a": true}))

	// t=10: the surge machine is created; its node joins at 40.
	at(10)
	tl.OnMachine(machine("md-2", "v1.36.3", "", inPool("md-0")), false)
	at(30)
	tl.OnMachine(machine("md-2", "v1.36.3", "w2", inPool("md-0")), false)
	tl.OnNode(node("w2", "v1.36.3", false, false, nil))
	at(40)
	tl.OnNode(node("w2", "v1.36.3", true, false, nil))

	// t=50: the old machine is deleted, its node cordoned, the drain blocked by PDB web.
	at(50)
	tl.OnMachine(machine("md-1", "v1.35.2", "w1", inPool("md-0"), beingDeleted), false)
	tl.OnNode(node("w1", "v1.35.2", true, true, nil))
	at(55)
	tl.OnMachine(machine("md-1", "v1.35.2", "w1", inPool("md-0"), beingDeleted,
		withCondition("Deleting", "True", "DrainingNode", pdbMsg)), false)
	at(75)
	tl.OnMachine(machine("md-1", "v1.35.2", "w1", inPool("md-0"), beingDeleted,
		withCondition("Deleting", "True", "DrainingNode", pdbMsg)), false)

	// t=95: the eviction goes through: the pod terminates, its endpoint goes.
	at(95)
	gone := pod("zdt", "web-5d8f-a", "web", "w1", true)
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	tl.OnPod(gone)
	at(96)
	tl.OnEndpointSlice(slice("web-x", "web", map[string]bool{"web-5d8f-a": false}))
	at(100)
	tl.OnPodDeleted("zdt", "web-5d8f-a")
	at(101)
	tl.OnMachine(machine("md-1", "v1.35.2", "w1", inPool("md-0"), beingDeleted,
		withCondition("Deleting", "True", "DeletingInfrastructure", "")), false)
	at(120)
	tl.OnNodeDeleted("w1")
	tl.OnMachineDeleted("md-1")
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		reason   model.Reason
		level    model.Level
		loc      model.Locator
		from, to int
	}{
		{model.ReasonMachineCreated, model.Info, model.Locator{Machine: "md-2", Node: "w2", Pool: "md-0"}, 10, 40},
		{model.ReasonNodeCordoned, model.Info, model.Locator{Machine: "md-1", Node: "w1", Pool: "md-0"}, 50, 120},
		{model.ReasonEvictionBlocked, model.Warning, model.Locator{Machine: "md-1", Node: "w1", Pool: "md-0", Pod: "web-5d8f-a", PDB: "web", Workload: "web"}, 55, 95},
		{model.ReasonNodeDrain, model.Info, model.Locator{Machine: "md-1", Node: "w1", Pool: "md-0"}, 55, 101},
		{model.ReasonPodTerminating, model.Info, model.Locator{Workload: "web", Pod: "web-5d8f-a", Node: "w1"}, 95, 100},
		{model.ReasonEndpointRemoved, model.Warning, model.Locator{Workload: "web", Pod: "web-5d8f-a", Node: "w1"}, 96, 96},
		{model.ReasonMachineDeleted, model.Info, model.Locator{Machine: "md-1", Node: "w1", Pool: "md-0"}, 50, 120},
	}
	for _, tt := range tests {
		t.Run(string(tt.reason), func(t *testing.T) {
			got := rec.byReason(tt.reason)
			if len(got) != 1 {
				t.Fatalf("%d %s intervals, want 1: %+v", len(got), tt.reason, got)
			}
			iv := got[0]
			if iv.Level != tt.level || iv.Locator != tt.loc {
				t.Errorf("%s: level %s locator %+v, want %s %+v", tt.reason, iv.Level, iv.Locator, tt.level, tt.loc)
			}
			if iv.From != time.Duration(tt.from)*time.Second || iv.To != time.Duration(tt.to)*time.Second {
				t.Errorf("%s: from %s to %s, want %ds to %ds", tt.reason, iv.From, iv.To, tt.from, tt.to)
			}
		})
	}
	if got := rec.byReason(model.ReasonEvictionBlocked); len(got) == 1 && got[0].Message != "drain of w1 blocked 2 time(s): cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently" {
		t.Errorf("stall message %q", got[0].Message)
	}
	if got := rec.byReason(model.ReasonNodeNotReady); len(got) != 0 {
		t.Errorf("a node that joined NotReady and became Ready is not a NodeNotReady interval: %+v", got)
	}
}

func TestTimelineNodeNotReadyAndPodNotReady(t *testing.T) {
	rec := &memRecorder{}
	clk := &fakeClock{}
	tl := newTimeline(rec, clk.Now)
	tl.OnNode(node("w1", "v1.35.2", true, false, nil))
	tl.OnPod(pod("zdt", "web-5d8f-b", "web", "w1", false))
	clk.set(20 * time.Second)
	tl.OnNode(node("w1", "v1.35.2", false, false, nil))
	tl.OnPod(pod("zdt", "web-5d8f-b", "web", "w1", true))
	clk.set(50 * time.Second)
	tl.OnNode(node("w1", "v1.35.2", true, false, nil))
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	nr := rec.byReason(model.ReasonNodeNotReady)
	if len(nr) != 1 || nr[0].From != 20*time.Second || nr[0].To != 50*time.Second || nr[0].Level != model.Error {
		t.Errorf("NodeNotReady intervals %+v, want one Error from 20s to 50s", nr)
	}
	pr := rec.byReason(model.ReasonPodNotReady)
	if len(pr) != 1 || pr[0].From != 0 || pr[0].To != 20*time.Second || pr[0].Locator.Workload != "web" {
		t.Errorf("PodNotReady intervals %+v, want one for web from 0s to 20s", pr)
	}
}

// TestRecorderWithInformers runs the informers of a Cluster against fake clusters: changes made
// through the clients reach the timeline and the state samples.
func TestRecorderWithInformers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dyn := newDynamic(capiCluster("v1.35.2"), machine("md-1", "v1.35.2", "w1", inPool("md-0")))
	cs := fake.NewSimpleClientset(node("w1", "v1.35.2", true, false, nil), pod("zdt", "web-5d8f-a", "web", "w1", true),
		&appsDeployment)
	rec := &memRecorder{}
	c, err := newCluster(ctx, nil, rec, wiring{name: "wl", mgmt: dyn, workload: cs}, Tuning{StateInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())

	terminating := pod("zdt", "web-5d8f-a", "web", "w1", true)
	terminating.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if _, err := cs.CoreV1().Pods("zdt").Update(ctx, terminating, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods("zdt").Delete(ctx, "web-5d8f-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(c.res.Machines).Namespace("default").Update(ctx,
		machine("md-1", "v1.35.2", "w1", inPool("md-0"), withCondition("Deleting", "True", "DrainingNode", pdbMsg)), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := dyn.Resource(c.res.Machines).Namespace("default").Delete(ctx, "md-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []model.Reason{model.ReasonPodTerminating, model.ReasonEvictionBlocked, model.ReasonNodeDrain, model.ReasonMachineDeleted}
	for _, r := range want {
		for len(rec.byReason(r)) == 0 && ctx.Err() == nil {
			pause(ctx, 5*time.Millisecond)
		}
		if len(rec.byReason(r)) == 0 {
			t.Errorf("no %s interval recorded", r)
		}
	}
	for ctx.Err() == nil {
		rec.mu.Lock()
		n := len(rec.states)
		rec.mu.Unlock()
		if n >= 2 {
			break
		}
		pause(ctx, 5*time.Millisecond)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.states) < 2 {
		t.Fatalf("%d state samples, want periodic ones", len(rec.states))
	}
	s := rec.states[len(rec.states)-1]
	if len(s.Workloads) != 1 || s.Workloads[0].Name != "web" || s.Workloads[0].Desired != 3 || s.NodesByVersion["v1.35.2"] != 1 || !s.APIAvailable {
		t.Errorf("last state sample %+v", s)
	}
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

var _ runtime.Object = &appsDeployment
