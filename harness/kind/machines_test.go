package kind

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func machine(name string, node string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
		"metadata": map[string]any{"name": name, "namespace": "default", "labels": map[string]any{"cluster.x-k8s.io/cluster-name": "wl"}},
		"spec":     map[string]any{"infrastructureRef": map[string]any{"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": name}},
	}}
	if node != "" {
		_ = unstructured.SetNestedField(u.Object, node, "status", "nodeRef", "name")
	}
	return u
}

// A Node that exists without a providerID gets its DockerMachine requeued once it has waited
// the grace period, then not again before requeueEvery; a Machine still booting (no Node) and
// one already matched are left alone.
func TestMachineMatcherRequeuesUnmatchedDockerMachines(t *testing.T) {
	dm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerMachine",
		"metadata": map[string]any{"name": "wl-md-0-a", "namespace": "default"},
	}}
	machines := schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta2", Resource: "machines"}
	mgmt := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{machines: "MachineList", dockerMachines: "DockerMachineList"},
		machine("wl-md-0-a", ""), machine("wl-md-0-b", ""), machine("wl-cp-x", "wl-cp-x"), dm)
	workload := fake.NewClientset(
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "wl-md-0-a"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "wl-cp-x"}, Spec: corev1.NodeSpec{ProviderID: "docker:////wl-cp-x"}},
	)
	var logs []string
	m := newMachineMatcher(mgmt, workload, "wl", func(f string, a ...any) { logs = append(logs, f) })
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	requeues := func() int {
		n := 0
		for _, a := range mgmt.Actions() {
			if a.GetVerb() == "patch" {
				if a.GetResource() != dockerMachines {
					t.Errorf("patched %v: only DockerMachines may be", a.GetResource())
				}
				n++
			}
		}
		return n
	}
	for _, step := range []struct {
		after time.Duration
		want  int
	}{{0, 0}, {5 * time.Second, 0}, {11 * time.Second, 1}, {15 * time.Second, 1}, {32 * time.Second, 2}} {
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(step.after)
		names, err := m.step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(names, ",") != "wl-md-0-a,wl-md-0-b" {
			t.Fatalf("unmatched %v, want the two machines without a nodeRef", names)
		}
		if got := requeues(); got != step.want {
			t.Errorf("at +%s: %d requeues, want %d", step.after, got, step.want)
		}
	}
	got, err := mgmt.Resource(dockerMachines).Namespace("default").Get(ctx, "wl-md-0-a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetAnnotations()["zdt.dev/requeued-at"] == "" || len(logs) != 2 {
		t.Errorf("annotations %v, %d log lines; want the requeue annotation and a line per requeue", got.GetAnnotations(), len(logs))
	}
}

func TestMachineContainerFollowsCAPD(t *testing.T) {
	for _, c := range []struct{ cluster, machine, want string }{
		{"zdt-wl-1", "zdt-wl-1-md-0-abc", "zdt-wl-1-md-0-abc"},
		{"zdt-wl-1", "worker-abc", "zdt-wl-1-worker-abc"},
	} {
		m := &clusterv1.Machine{ObjectMeta: metav1.ObjectMeta{Name: c.machine}, Spec: clusterv1.MachineSpec{ClusterName: c.cluster}}
		if got := machineContainer(m); got != c.want {
			t.Errorf("machineContainer(%s, %s) = %s, want %s", c.cluster, c.machine, got, c.want)
		}
	}
}
