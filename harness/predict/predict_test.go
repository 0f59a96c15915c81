package predict

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/scenarios"
)

func node(name string, labels map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{
			NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "v1.35.2"},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")},
		}}
}

func deployment(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: name, Image: name,
					Resources:      corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}},
					ReadinessProbe: &corev1.Probe{PeriodSeconds: 2, FailureThreshold: 2},
					Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}}}}}}}
}

func service(ns, name string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}}}
}

// The twin of a cluster with one single-replica workload and one whose PDB allows no
// disruption: the first drops requests, the second stalls the drain, and the reading said both.
func TestTwinOfALiveCluster(t *testing.T) {
	md := func(zone string) map[string]string {
		return map[string]string{"cluster.x-k8s.io/deployment-name": "md-0", "topology.kubernetes.io/zone": zone}
	}
	cp := map[string]string{"node-role.kubernetes.io/control-plane": ""}
	zero := intstr.FromInt32(0)
	objs := []runtime.Object{
		node("cp-1", cp), node("cp-2", cp), node("cp-3", cp),
		node("w-1", md("a")), node("w-2", md("b")), node("w-3", md("a")),
		deployment("shop", "cart", 1), service("shop", "cart"),
		deployment("shop", "web", 3), service("shop", "web"),
		&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec:   policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &zero, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
			Status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: 1, CurrentHealthy: 3, DesiredHealthy: 3}},
		deployment("kube-system", "coredns", 2),
	}
	cs := fake.NewClientset(objs...)
	base, err := scenarios.OpenAsWritten("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	base.Spec.Criteria.UpgradeDeadline = &metav1.Duration{Duration: 30 * 60 * 1e9}
	tw, err := Read(context.Background(), cs, base, "v1.36.3", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range cs.Actions() {
		if a.GetVerb() != "list" {
			t.Errorf("the twin %s %s: it must only read", a.GetVerb(), a.GetResource().Resource)
		}
	}
	notes := strings.Join(tw.Notes, "\n")
	for _, want := range []string{"pool md-0: 3 node(s)", "PodDisruptionBudget shop/web allows no disruption now", "kube-* namespaces left out"} {
		if !strings.Contains(notes, want) {
			t.Errorf("the notes lack %q:\n%s", want, notes)
		}
	}
	data, err := tw.YAML([]string{"fake"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("twin.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if got := len(sc.Spec.Workloads); got != 2 {
		t.Fatalf("%d workloads, want cart and web (coredns is the cluster's own)", got)
	}
	if *sc.Spec.Cluster.ControlPlane.Replicas != 3 || *sc.Spec.Cluster.WorkerPools[0].Replicas != 3 || strings.Join(sc.Spec.Cluster.Zones, ",") != "a,b" {
		t.Errorf("cluster %+v", sc.Spec.Cluster)
	}
	if sc.Spec.Versions.From != "v1.35.2" {
		t.Errorf("from %s, want the kubelets' v1.35.2", sc.Spec.Versions.From)
	}
	o, err := Play(context.Background(), sc, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Prediction{}
	for _, p := range o.Workloads {
		byName[p.Workload] = p
	}
	if p := byName["cart"]; p.MaxDropped == 0 || p.MinReady != 0 {
		t.Errorf("cart, one replica: %+v; want drops and 0 ready at its lowest", p)
	}
	if p := byName["web"]; p.StallSeconds < 60 || p.PDB != "web" || p.MaxDropped != 0 {
		t.Errorf("web, a PDB allowing no disruption: %+v; want a long stall on PDB web and no drop", p)
	}
	if pf := strings.Join(o.Preflight, "\n"); !strings.Contains(pf, "pdb-blocking-drain") {
		t.Errorf("the preflight failures that would stop the upgrade lack the blocking PDB: %q", pf)
	}
	if o.Failed != 3 || len(o.Failures) == 0 || o.Failures[0].Fix == "" {
		t.Errorf("%d of 3 failed, failures %+v; want every seed failing with a fix", o.Failed, o.Failures)
	}
}

// With the management cluster read (zdt predict --cluster), nodes are pooled by their Machines
// and each pool rolls with its MachineDeployment's strategy: a drain timeout of 2 minutes ends
// the stall on web's PDB that waits for ever without it.
func TestTwinWithItsManagementCluster(t *testing.T) {
	zero := intstr.FromInt32(0)
	objs := []runtime.Object{
		node("cp-1", nil), node("w-1", nil), node("w-2", nil), node("w-3", nil),
		deployment("shop", "web", 3), service("shop", "web"),
		&policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &zero, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
	}
	topo := &capi.Topology{Namespace: "default", Name: "prod", Version: "v1.35.2", ControlPlaneReplicas: 3,
		Pools: []capi.Pool{{Name: "md-0", MachineDeployment: "prod-md-0-x7k2p", Replicas: 3,
			MaxSurge: intstr.FromInt32(0), MaxUnavailable: intstr.FromInt32(1), NodeDrainTimeout: 2 * time.Minute}},
		NodePools: map[string]string{"cp-1": "", "w-1": "md-0", "w-2": "md-0", "w-3": "md-0"},
		NodeZones: map[string]string{"w-1": "fd-a", "w-2": "fd-b", "w-3": "fd-a"},
	}
	base, err := scenarios.OpenAsWritten("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	base.Spec.Criteria.UpgradeDeadline = &metav1.Duration{Duration: 30 * time.Minute}
	tw, err := Read(context.Background(), fake.NewClientset(objs...), base, "v1.36.3", topo)
	if err != nil {
		t.Fatal(err)
	}
	if notes := strings.Join(tw.Notes, "\n"); !strings.Contains(notes, "MachineDeployment default/prod-md-0-x7k2p, 3 node(s)") || !strings.Contains(notes, "nodeDrainTimeout 2m0s") {
		t.Errorf("the notes do not name the MachineDeployment and its strategy:\n%s", notes)
	}
	data, err := tw.YAML([]string{"fake"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("twin.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	c := sc.Spec.Cluster
	if len(c.WorkerPools) != 1 || *c.ControlPlane.Replicas != 3 || sc.Spec.Versions.From != "v1.35.2" || strings.Join(c.Zones, ",") != "fd-a,fd-b" {
		t.Fatalf("cluster %+v from %s: want one pool md-0, 3 control plane nodes (the KCP's, though one node was listed), zones from the Machines' failure domains", c, sc.Spec.Versions.From)
	}
	p := c.WorkerPools[0]
	if p.Name != "md-0" || p.MaxSurge.String() != "0" || p.MaxUnavailable.String() != "1" || p.NodeDrainTimeout.Duration != 2*time.Minute {
		t.Errorf("pool %+v: want the MachineDeployment's 0/1 and 2m drain timeout", p)
	}
	o, err := Play(context.Background(), sc, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w := o.Workloads[0]; w.PDB != "web" || w.StallSeconds < 60 || w.StallSeconds > 180 {
		t.Errorf("web: %+v; want a stall on PDB web that the 2m drain timeout ends", w)
	}
}
