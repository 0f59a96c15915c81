package kube

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-dev/zdt/harness/internal/kube/kubetest"
	"github.com/zdt-dev/zdt/model"
)

func ptr[T any](v T) *T { return &v }

func TestReadInventory(t *testing.T) {
	maxUnavailable := intstr.FromInt32(1)
	cs := fake.NewSimpleClientset(
		kubetest.Node("cp1", "v1.35.2", true, false, map[string]string{LabelControlPlaneNode: ""}),
		kubetest.Node("w1", "v1.35.2", true, false, nil),
		kubetest.Node("w2", "v1.35.2", false, true, map[string]string{corev1.LabelTopologyZone: "zone-b"}),
		kubetest.WebDeployment(),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "zdt", Name: "web-svc"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
		&policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Namespace: "zdt", Name: "web"},
			Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &maxUnavailable, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
			Status:     policyv1.PodDisruptionBudgetStatus{ExpectedPods: 3, CurrentHealthy: 2, DesiredHealthy: 2, DisruptionsAllowed: 0},
		},
		kubetest.Pod("zdt", "web-5d8f-a", "web", "w1", true),
		kubetest.Pod("zdt", "web-5d8f-b", "web", "w2", false),
		kubetest.SystemPod("kube-apiserver-cp1", "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.35.2", "cp1"),
		kubetest.SystemPod("etcd-cp1", "etcd", "registry.k8s.io/etcd:3.6.8-0", "cp1"),
		&appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "zdt-routeagent"},
			Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 3}},
	)
	inv, err := ReadInventory(context.Background(), cs, "zdt", map[string]string{"w1": "md-0", "w2": "md-0"}, map[string]string{"w1": "zone-a"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("nodes", func(t *testing.T) {
		want := []model.NodeInfo{
			{Name: "cp1", Role: model.RoleControlPlane, Version: "v1.35.2", Ready: true, AllocatableCPUMilli: 4000, AllocatableMemory: 8 << 30, AllocatablePods: 110,
				RequestedCPUMilli: 500, RequestedMemory: 512 << 20, Pods: 2},
			{Name: "w1", Role: model.RoleWorker, Pool: "md-0", Zone: "zone-a", Version: "v1.35.2", Ready: true, AllocatableCPUMilli: 4000, AllocatableMemory: 8 << 30, AllocatablePods: 110,
				RequestedCPUMilli: 250, RequestedMemory: 256 << 20, Pods: 1},
			{Name: "w2", Role: model.RoleWorker, Pool: "md-0", Zone: "zone-b", Version: "v1.35.2", Unschedulable: true, AllocatableCPUMilli: 4000, AllocatableMemory: 8 << 30, AllocatablePods: 110,
				RequestedCPUMilli: 250, RequestedMemory: 256 << 20, Pods: 1},
		}
		if len(inv.Nodes) != len(want) {
			t.Fatalf("nodes %+v", inv.Nodes)
		}
		for i := range want {
			if inv.Nodes[i] != want[i] {
				t.Errorf("node %d:\n got %+v\nwant %+v", i, inv.Nodes[i], want[i])
			}
		}
	})
	t.Run("workloads", func(t *testing.T) {
		want := model.WorkloadInfo{Name: "web", Replicas: 3, ReadyReplicas: 2, HasReadinessProbe: true, PreStop: 5 * time.Second,
			TerminationGracePeriod: 45 * time.Second, OnSigterm: "Exit", SpreadKey: "kubernetes.io/hostname", SpreadHard: true, Service: "web-svc"}
		if len(inv.Workloads) != 1 || inv.Workloads[0] != want {
			t.Errorf("workloads %+v, want %+v", inv.Workloads, want)
		}
		if len(inv.Pods) != 2 || inv.Pods[0].Workload != "web" || !inv.Pods[0].Ready || inv.Pods[1].Ready {
			t.Errorf("pods %+v", inv.Pods)
		}
	})
	t.Run("pdbs", func(t *testing.T) {
		if len(inv.PDBs) != 1 {
			t.Fatalf("pdbs %+v", inv.PDBs)
		}
		b := inv.PDBs[0]
		if b.MaxUnavailable != "1" || b.DisruptionsAllowed != 0 || b.DesiredHealthy != 2 || b.UnhealthyPolicy != "IfHealthyBudget" || len(b.Workloads) != 1 || b.Workloads[0] != "web" {
			t.Errorf("pdb %+v", b)
		}
	})
	t.Run("system pods and add-ons", func(t *testing.T) {
		want := []model.SystemPod{
			{Name: "etcd-cp1", Component: "etcd", Node: "cp1", Version: "3.6.8-0", Ready: true},
			{Name: "kube-apiserver-cp1", Component: "kube-apiserver", Node: "cp1", Version: "v1.35.2", Ready: true},
		}
		if len(inv.SystemPods) != 2 || inv.SystemPods[0] != want[0] || inv.SystemPods[1] != want[1] {
			t.Errorf("system pods %+v, want %+v", inv.SystemPods, want)
		}
		if len(inv.Addons) != 1 || inv.Addons[0].Kind != "cni" || inv.Addons[0].Healthy {
			t.Errorf("add-ons %+v, want the CNI unhealthy (2 of 3 ready)", inv.Addons)
		}
		if inv.APIServerVersion != "v1.35.2" {
			t.Errorf("API server version %q", inv.APIServerVersion)
		}
	})
	t.Run("objects", func(t *testing.T) {
		kinds := map[string]string{}
		for _, o := range inv.Objects {
			kinds[o.Kind] = o.APIVersion
		}
		if kinds["Deployment"] != "apps/v1" || kinds["Service"] != "v1" || kinds["PodDisruptionBudget"] != "policy/v1" {
			t.Errorf("objects %+v", inv.Objects)
		}
	})
}

func TestObjectRefKeepsAppliedVersion(t *testing.T) {
	d := kubetest.WebDeployment()
	d.Annotations[lastApplied] = `{"apiVersion":"extensions/v1beta1","kind":"Deployment"}`
	if got := objectRef(d, "apps/v1", "Deployment"); got.APIVersion != "extensions/v1beta1" {
		t.Errorf("objectRef apiVersion %q, want the applied extensions/v1beta1", got.APIVersion)
	}
}

func TestImageTag(t *testing.T) {
	tests := map[string]string{
		"registry.k8s.io/kube-proxy:v1.36.3":          "v1.36.3",
		"localhost:5000/kube-proxy:v1.36.3@sha256:ab": "v1.36.3",
		"localhost:5000/kube-proxy":                   "",
		"coredns/coredns:v1.14.2":                     "v1.14.2",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := ImageTag(in); got != want {
				t.Errorf("ImageTag(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

// A drained node's kube-proxy may stay Terminating until its kubelet answers, and the pods of a
// deleted node stay until the pod garbage collector removes them: neither is a component of the
// cluster, so postflight must not fail on them.
func TestReadInventorySkipsSystemPodsOnTheirWayOut(t *testing.T) {
	terminating := kubetest.SystemPod("kube-proxy-w1", "kube-proxy", "registry.k8s.io/kube-proxy:v1.35.2", "w1")
	terminating.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	cs := fake.NewSimpleClientset(
		kubetest.Node("cp1", "v1.36.0", true, false, map[string]string{LabelControlPlaneNode: ""}),
		kubetest.Node("w1", "v1.36.0", true, false, nil),
		kubetest.SystemPod("kube-apiserver-cp1", "kube-apiserver", "registry.k8s.io/kube-apiserver:v1.36.0", "cp1"),
		kubetest.SystemPod("kube-proxy-new", "kube-proxy", "registry.k8s.io/kube-proxy:v1.36.0", "w1"),
		terminating,
		kubetest.SystemPod("kube-proxy-old", "kube-proxy", "registry.k8s.io/kube-proxy:v1.35.2", "w-deleted"),
	)
	inv, err := ReadInventory(context.Background(), cs, "zdt", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range inv.SystemPods {
		names = append(names, p.Name)
	}
	if len(names) != 2 || names[0] != "kube-apiserver-cp1" || names[1] != "kube-proxy-new" {
		t.Errorf("system pods %v, want kube-apiserver-cp1 and kube-proxy-new only", names)
	}
}
