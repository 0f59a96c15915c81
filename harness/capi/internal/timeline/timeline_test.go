package timeline

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness/capi/internal/capitest"
	"github.com/zdt-dev/zdt/harness/internal/kube/kubetest"
	"github.com/zdt-dev/zdt/model"
)

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
	rec := &capitest.Recorder{}
	clk := &capitest.Clock{}
	tl := New(rec, clk.Now)
	at := func(s int) { clk.Set(time.Duration(s) * time.Second) }

	// Before the run: one worker with a pod of web on it.
	tl.OnNode(kubetest.Node("w1", "v1.35.2", true, false, nil))
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0")), true)
	tl.OnPod(kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true))
	tl.OnEndpointSlice(slice("web-x", "web", map[string]bool{"web-5d8f-a": true}))

	// t=10: the surge machine is created; its node joins at 40.
	at(10)
	tl.OnMachine(capitest.Machine("md-2", "v1.36.3", "", capitest.InPool("md-0")), false)
	at(30)
	tl.OnMachine(capitest.Machine("md-2", "v1.36.3", "w2", capitest.InPool("md-0")), false)
	tl.OnNode(kubetest.Node("w2", "v1.36.3", false, false, nil))
	at(40)
	tl.OnNode(kubetest.Node("w2", "v1.36.3", true, false, nil))

	// t=50: the old machine is deleted, its node cordoned, the drain blocked by PDB web.
	at(50)
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.BeingDeleted), false)
	tl.OnNode(kubetest.Node("w1", "v1.35.2", true, true, nil))
	at(55)
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.BeingDeleted,
		capitest.WithCondition("Deleting", "True", "DrainingNode", capitest.PDBDrainMessage)), false)
	at(75)
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.BeingDeleted,
		capitest.WithCondition("Deleting", "True", "DrainingNode", capitest.PDBDrainMessage)), false)

	// t=95: the eviction goes through: the pod terminates, its endpoint goes.
	at(95)
	gone := kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true)
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	tl.OnPod(gone)
	at(96)
	tl.OnEndpointSlice(slice("web-x", "web", map[string]bool{"web-5d8f-a": false}))
	at(100)
	tl.OnPodDeleted("zdt", "web-5d8f-a")
	at(101)
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.BeingDeleted,
		capitest.WithCondition("Deleting", "True", "DeletingInfrastructure", "")), false)
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
			got := rec.ByReason(tt.reason)
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
	if got := rec.ByReason(model.ReasonEvictionBlocked); len(got) == 1 && got[0].Message != "drain of w1 blocked 2 time(s): cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently" {
		t.Errorf("stall message %q", got[0].Message)
	}
	if got := rec.ByReason(model.ReasonNodeNotReady); len(got) != 0 {
		t.Errorf("a node that joined NotReady and became Ready is not a NodeNotReady interval: %+v", got)
	}
}

func TestTimelineNodeNotReadyAndPodNotReady(t *testing.T) {
	rec := &capitest.Recorder{}
	clk := &capitest.Clock{}
	tl := New(rec, clk.Now)
	tl.OnNode(kubetest.Node("w1", "v1.35.2", true, false, nil))
	tl.OnPod(kubetest.Pod("zdt", "web-5d8f-b", "web", "w1", false))
	clk.Set(20 * time.Second)
	tl.OnNode(kubetest.Node("w1", "v1.35.2", false, false, nil))
	tl.OnPod(kubetest.Pod("zdt", "web-5d8f-b", "web", "w1", true))
	clk.Set(50 * time.Second)
	tl.OnNode(kubetest.Node("w1", "v1.35.2", true, false, nil))
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	nr := rec.ByReason(model.ReasonNodeNotReady)
	if len(nr) != 1 || nr[0].From != 20*time.Second || nr[0].To != 50*time.Second || nr[0].Level != model.Error {
		t.Errorf("NodeNotReady intervals %+v, want one Error from 20s to 50s", nr)
	}
	pr := rec.ByReason(model.ReasonPodNotReady)
	if len(pr) != 1 || pr[0].From != 0 || pr[0].To != 20*time.Second || pr[0].Locator.Workload != "web" {
		t.Errorf("PodNotReady intervals %+v, want one for web from 0s to 20s", pr)
	}
}

// TestCloseCutsShortWhatIsUnderWay stops a run while a surge machine provisions and an old one
// drains behind a PDB: each is closed at the stop and marked cut short.
func TestCloseCutsShortWhatIsUnderWay(t *testing.T) {
	rec := &capitest.Recorder{}
	clk := &capitest.Clock{}
	tl := New(rec, clk.Now)
	at := func(s int) { clk.Set(time.Duration(s) * time.Second) }
	tl.OnNode(kubetest.Node("w1", "v1.35.2", true, false, nil))
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0")), true)
	tl.OnPod(kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true))
	at(10)
	tl.OnMachine(capitest.Machine("md-2", "v1.36.3", "", capitest.InPool("md-0")), false)
	at(20)
	tl.OnMachine(capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.BeingDeleted,
		capitest.WithCondition("Deleting", "True", "DrainingNode", capitest.PDBDrainMessage)), false)
	at(35)
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[model.Reason]time.Duration{
		model.ReasonMachineCreated:  10 * time.Second,
		model.ReasonMachineDeleted:  20 * time.Second,
		model.ReasonNodeDrain:       20 * time.Second,
		model.ReasonEvictionBlocked: 20 * time.Second,
	}
	for reason, from := range want {
		ivs := rec.ByReason(reason)
		if len(ivs) != 1 {
			t.Errorf("%s: %d intervals, want 1: %+v", reason, len(ivs), ivs)
			continue
		}
		if iv := ivs[0]; iv.From != from || iv.To != 35*time.Second || !iv.CutShort {
			t.Errorf("%s: %s-%s cutShort %v, want %s-35s cut short", reason, iv.From, iv.To, iv.CutShort, from)
		}
	}
	// A second Close records nothing more.
	at(40)
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.ByReason(model.ReasonMachineCreated)); n != 1 {
		t.Errorf("a second Close recorded again: %d MachineCreated intervals", n)
	}
}
