package capi

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness/capi/internal/capitest"
	"github.com/zdt-dev/zdt/harness/internal/kube/kubetest"
	"github.com/zdt-dev/zdt/model"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
)

// TestRecorderWithInformers runs the informers of a Cluster against fake clusters: changes made
// through the clients reach the timeline and the state samples.
func TestRecorderWithInformers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dyn := capitest.NewDynamic(capitest.Cluster("v1.35.2"), capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0")))
	cs := fake.NewSimpleClientset(kubetest.Node("w1", "v1.35.2", true, false, nil), kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true),
		kubetest.WebDeployment())
	rec := &capitest.Recorder{}
	c, err := newCluster(ctx, nil, rec, wiring{name: "wl", mgmt: dyn, workload: cs}, Tuning{StateInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())

	terminating := kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true)
	terminating.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	if _, err := cs.CoreV1().Pods("zdt").Update(ctx, terminating, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods("zdt").Delete(ctx, "web-5d8f-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(c.res.Machines).Namespace("default").Update(ctx,
		capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0"), capitest.WithCondition("Deleting", "True", "DrainingNode", capitest.PDBDrainMessage)), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := dyn.Resource(c.res.Machines).Namespace("default").Delete(ctx, "md-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []model.Reason{model.ReasonPodTerminating, model.ReasonEvictionBlocked, model.ReasonNodeDrain, model.ReasonMachineDeleted}
	for _, r := range want {
		for len(rec.ByReason(r)) == 0 && ctx.Err() == nil {
			pause(ctx, 5*time.Millisecond)
		}
		if len(rec.ByReason(r)) == 0 {
			t.Errorf("no %s interval recorded", r)
		}
	}
	for ctx.Err() == nil && len(rec.States()) < 2 {
		pause(ctx, 5*time.Millisecond)
	}
	states := rec.States()
	if len(states) < 2 {
		t.Fatalf("%d state samples, want periodic ones", len(states))
	}
	s := states[len(states)-1]
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

var _ runtime.Object = kubetest.WebDeployment()
