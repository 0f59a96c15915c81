package capi

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/zdt-dev/zdt/harness/capi/internal/capitest"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
)

// ReadTopology reads each MachineDeployment's rollout in the v1beta2 shape, falls back to
// Cluster API's defaults where a field is left out, maps nodes to pools through their
// Machines, and takes the control plane size from the KubeadmControlPlane; it only reads.
func TestReadTopology(t *testing.T) {
	md0 := capitest.MachineDeployment("md-0", "v1.36.3", 2, 2, 2)
	_ = unstructured.SetNestedField(md0.Object, map[string]any{"type": "RollingUpdate",
		"rollingUpdate": map[string]any{"maxSurge": int64(0), "maxUnavailable": "50%"}}, "spec", "rollout", "strategy")
	_ = unstructured.SetNestedField(md0.Object, int64(300), "spec", "template", "spec", "deletion", "nodeDrainTimeoutSeconds")
	md1 := capitest.MachineDeployment("md-1", "v1.36.3", 2, 2, 2)
	kubeconfig := `apiVersion: v1
kind: Config
clusters: [{name: wl, cluster: {server: "https://172.18.0.4:6443"}}]
contexts: [{name: wl, context: {cluster: wl, user: admin}}]
current-context: wl
users: [{name: admin, user: {token: t}}]
`
	secret := capitest.Object("v1", "Secret", "wl-kubeconfig", nil, map[string]any{
		"data": map[string]any{"value": base64.StdEncoding.EncodeToString([]byte(kubeconfig))},
	})
	failure := func(fd string) capitest.MachineOpt {
		return func(m *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(m.Object, fd, "spec", "failureDomain")
		}
	}
	mgmt := capitest.NewDynamic(capitest.Cluster("v1.36.3"), capitest.KCP("v1.36.3", "v1.36.3", 3, 3, 3), md0, md1, secret,
		capitest.Machine("cp-a", "v1.36.3", "wl-cp-a", capitest.ControlPlaneMachine),
		capitest.Machine("md0-a", "v1.36.3", "wl-md0-a", capitest.InPool("md-0"), failure("fd-1")),
		capitest.Machine("md1-a", "v1.36.3", "wl-md1-a", capitest.InPool("md-1")),
		capitest.Machine("md1-b", "v1.36.3", "", capitest.InPool("md-1")), // no node yet
	)
	disc := &fakediscovery.FakeDiscovery{Fake: &k8stesting.Fake{Resources: []*metav1.APIResourceList{{GroupVersion: objects.ClusterGroup + "/v1beta2"}}}}
	topo, err := readTopology(context.Background(), mgmt, disc, "default", "wl")
	if err != nil {
		t.Fatal(err)
	}
	if topo.Version != "v1.36.3" || topo.ControlPlaneReplicas != 3 || topo.Workload.Host != "https://172.18.0.4:6443" {
		t.Errorf("version %s, control plane %d, workload %s; want v1.36.3, 3 (the KCP's, not the 1 Machine), the Secret's server",
			topo.Version, topo.ControlPlaneReplicas, topo.Workload.Host)
	}
	if len(topo.Pools) != 2 {
		t.Fatalf("pools %+v, want md-0 and md-1", topo.Pools)
	}
	p0, p1 := topo.Pools[0], topo.Pools[1]
	if p0.Name != "md-0" || p0.MaxSurge.String() != "0" || p0.MaxUnavailable.String() != "50%" || p0.NodeDrainTimeout != 5*time.Minute || p0.Replicas != 2 {
		t.Errorf("md-0 read as %+v; want maxSurge 0, maxUnavailable 50%%, drain timeout 5m, 2 replicas", p0)
	}
	if p1.Name != "md-1" || p1.MaxSurge.String() != "1" || p1.MaxUnavailable.String() != "0" || p1.NodeDrainTimeout != 0 {
		t.Errorf("md-1 read as %+v; want Cluster API's defaults 1/0 and no drain timeout", p1)
	}
	want := map[string]string{"wl-cp-a": "", "wl-md0-a": "md-0", "wl-md1-a": "md-1"}
	for n, p := range want {
		if got, ok := topo.NodePools[n]; !ok || got != p {
			t.Errorf("node %s in pool %q (%v), want %q", n, got, ok, p)
		}
	}
	if len(topo.NodePools) != len(want) || topo.NodeZones["wl-md0-a"] != "fd-1" || len(topo.Unmatched) != 1 || topo.Unmatched[0] != "md1-b" {
		t.Errorf("node pools %v, zones %v, unmatched %v (want md1-b)", topo.NodePools, topo.NodeZones, topo.Unmatched)
	}
	for _, a := range mgmt.Actions() {
		if v := a.GetVerb(); v != "get" && v != "list" {
			t.Errorf("ReadTopology made a %s call to %s", v, a.GetResource().Resource)
		}
	}

	// A v1beta1 MachineDeployment keeps its rollout under spec.strategy and the drain
	// timeout as a duration.
	old := capitest.MachineDeployment("md-2", "v1.36.3", 2, 2, 2)
	_ = unstructured.SetNestedField(old.Object, map[string]any{"maxSurge": int64(3)}, "spec", "strategy", "rollingUpdate")
	_ = unstructured.SetNestedField(old.Object, "2m30s", "spec", "template", "spec", "nodeDrainTimeout")
	if p := poolOf(old); p.MaxSurge.String() != "3" || p.MaxUnavailable.String() != "0" || p.NodeDrainTimeout != 150*time.Second {
		t.Errorf("v1beta1 md-2 read as %+v", p)
	}
}
