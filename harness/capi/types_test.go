package capi

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func TestDeletingMachinesAreTheClustersBeingDeleted(t *testing.T) {
	now := metav1.Now()
	machine := func(name, cluster string, deleting bool) *clusterv1.Machine {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
			Labels: map[string]string{clusterv1.ClusterNameLabel: cluster}}, Spec: clusterv1.MachineSpec{ClusterName: cluster}}
		if deleting {
			m.DeletionTimestamp, m.Finalizers = &now, []string{"machine.cluster.x-k8s.io"}
		}
		return m
	}
	c := fake.NewClientBuilder().WithScheme(Scheme()).WithObjects(
		machine("wl-cp-a", "wl", false), machine("wl-md-0-b", "wl", true), machine("other-md-0-c", "other", true)).Build()
	all, err := ClusterMachines(context.Background(), c, "default", "wl")
	if err != nil || len(all) != 2 {
		t.Fatalf("ClusterMachines = %d machines, %v; want wl's 2", len(all), err)
	}
	del, err := DeletingMachines(context.Background(), c, "default", "wl")
	if err != nil {
		t.Fatal(err)
	}
	if len(del) != 1 || del[0].Name != "wl-md-0-b" {
		t.Fatalf("DeletingMachines = %v, want [wl-md-0-b]", del)
	}
}

// TestControllerRuntimeLogs checks that controller-runtime's logger is set when the package
// loads: its log lines go to klog, and it prints no "SetLogger was never called" stack trace
// half a minute into a run.
func TestControllerRuntimeLogs(t *testing.T) {
	if !ctrllog.Log.GetSink().Enabled(0) {
		t.Fatal("controller-runtime's logger drops its messages: no logger was set")
	}
}
