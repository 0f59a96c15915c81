package capi

import (
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/zdt-dev/zdt/model"
)

// memRecorder keeps what a provider records, for tests.
type memRecorder struct {
	mu        sync.Mutex
	intervals []model.Interval
	states    []model.StateSample
	samples   []model.Sample
}

func (r *memRecorder) Sample(s *model.Sample) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, *s)
	return nil
}

func (r *memRecorder) allSamples() []model.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]model.Sample(nil), r.samples...)
}

func (r *memRecorder) Interval(iv *model.Interval) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intervals = append(r.intervals, *iv)
	return nil
}

func (r *memRecorder) State(s *model.StateSample) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, *s)
	return nil
}

func (r *memRecorder) byReason(reason model.Reason) []model.Interval {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []model.Interval
	for _, iv := range r.intervals {
		if iv.Reason == reason {
			out = append(out, iv)
		}
	}
	return out
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Duration
}

func (c *fakeClock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = d
}

// Cluster API objects as the management cluster serves them (v1beta2).

func obj(apiVersion, kind, name string, labels map[string]string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	for k, v := range fields {
		u.Object[k] = v
	}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace("default")
	u.SetName(name)
	u.SetLabels(labels)
	return u
}

func capiCluster(version string) *unstructured.Unstructured {
	return obj("cluster.x-k8s.io/v1beta2", "Cluster", "wl", nil, map[string]any{
		"spec": map[string]any{
			"topology":        map[string]any{"version": version, "classRef": map[string]any{"name": "quick-start"}},
			"controlPlaneRef": map[string]any{"apiGroup": controlPlaneGroup, "kind": "KubeadmControlPlane", "name": "wl-cp"},
		},
	})
}

func kcp(spec, status string, replicas, ready, upToDate int64) *unstructured.Unstructured {
	return obj("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane", "wl-cp", map[string]string{labelClusterName: "wl"}, map[string]any{
		"spec":   map[string]any{"version": spec, "replicas": int64(3)},
		"status": map[string]any{"version": status, "replicas": replicas, "readyReplicas": ready, "upToDateReplicas": upToDate},
	})
}

func machineDeployment(pool, version string, replicas, ready, upToDate int64) *unstructured.Unstructured {
	return obj("cluster.x-k8s.io/v1beta2", "MachineDeployment", "wl-"+pool+"-abcde",
		map[string]string{labelClusterName: "wl", labelTopologyMDName: pool}, map[string]any{
			"spec":   map[string]any{"replicas": int64(2), "template": map[string]any{"spec": map[string]any{"version": version}}},
			"status": map[string]any{"replicas": replicas, "readyReplicas": ready, "upToDateReplicas": upToDate},
		})
}

type machineOpt func(*unstructured.Unstructured)

func machine(name, version, node string, opts ...machineOpt) *unstructured.Unstructured {
	status := map[string]any{}
	if node != "" {
		status["nodeRef"] = map[string]any{"name": node}
	}
	m := obj("cluster.x-k8s.io/v1beta2", "Machine", name, map[string]string{labelClusterName: "wl"}, map[string]any{
		"spec":   map[string]any{"clusterName": "wl", "version": version},
		"status": status,
	})
	for _, o := range opts {
		o(m)
	}
	return m
}

func controlPlaneMachine(m *unstructured.Unstructured) {
	l := m.GetLabels()
	l[labelControlPlane] = ""
	m.SetLabels(l)
}

func inPool(pool string) machineOpt {
	return func(m *unstructured.Unstructured) {
		l := m.GetLabels()
		l[labelDeploymentName], l[labelTopologyMDName] = "wl-"+pool+"-abcde", pool
		m.SetLabels(l)
	}
}

func beingDeleted(m *unstructured.Unstructured) {
	m.SetDeletionTimestamp(&metav1.Time{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func withCondition(typ, status, reason, msg string) machineOpt {
	return func(m *unstructured.Unstructured) {
		conds, _, _ := unstructured.NestedSlice(m.Object, "status", "conditions")
		conds = append(conds, map[string]any{"type": typ, "status": status, "reason": reason, "message": msg})
		_ = unstructured.SetNestedSlice(m.Object, conds, "status", "conditions")
	}
}

// newDynamic returns a fake management cluster holding objs.
func newDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	res := resourcesAt("")
	kinds := map[schema.GroupVersionResource]string{
		res.Clusters: "ClusterList", res.Machines: "MachineList", res.MachineDeployments: "MachineDeploymentList",
		res.KubeadmControlPlanes: "KubeadmControlPlaneList", secretsGVR: "SecretList",
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds, objs...)
}

// Workload cluster objects.

func node(name, version string, ready, unschedulable bool, labels map[string]string) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Unschedulable: unschedulable},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: version},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods: resource.MustParse("110"),
			},
		},
	}
}

func pod(namespace, name, workload, nodeName string, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: name,
			Labels:          map[string]string{"app": workload, "pod-template-hash": "5d8f"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: workload + "-5d8f", Controller: &yes}},
		},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "app",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

var (
	metav1GetOptions = metav1.GetOptions{}
)
