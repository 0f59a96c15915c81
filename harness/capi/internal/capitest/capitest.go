// Package capitest builds fake Cluster API management clusters, objects, recorders and clocks
// for the tests of zdt's Cluster API adapter.
package capitest

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/model"
)

// Recorder keeps what a provider records, for tests.
type Recorder struct {
	mu        sync.Mutex
	intervals []model.Interval
	states    []model.StateSample
	samples   []model.Sample
}

// Sample implements model.Recorder.
func (r *Recorder) Sample(s *model.Sample) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, *s)
	return nil
}

// Samples returns the samples recorded so far.
func (r *Recorder) Samples() []model.Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]model.Sample(nil), r.samples...)
}

// Interval implements model.Recorder.
func (r *Recorder) Interval(iv *model.Interval) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intervals = append(r.intervals, *iv)
	return nil
}

// State implements model.Recorder.
func (r *Recorder) State(s *model.StateSample) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, *s)
	return nil
}

// States returns the state samples recorded so far.
func (r *Recorder) States() []model.StateSample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]model.StateSample(nil), r.states...)
}

// ByReason returns the intervals of a reason recorded so far.
func (r *Recorder) ByReason(reason model.Reason) []model.Interval {
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

// Clock is a clock tests move by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Duration
}

// Now returns the clock's offset.
func (c *Clock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to d.
func (c *Clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = d
}

// Cluster API objects as the management cluster serves them (v1beta2).

// Object is an object of a kind in namespace default.
func Object(apiVersion, kind, name string, labels map[string]string, fields map[string]any) *unstructured.Unstructured {
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

// Cluster is the Cluster wl with a managed topology at version.
func Cluster(version string) *unstructured.Unstructured {
	return Object("cluster.x-k8s.io/v1beta2", "Cluster", "wl", nil, map[string]any{
		"spec": map[string]any{
			"topology":        map[string]any{"version": version, "classRef": map[string]any{"name": "quick-start"}},
			"controlPlaneRef": map[string]any{"apiGroup": objects.ControlPlaneGroup, "kind": "KubeadmControlPlane", "name": "wl-cp"},
		},
	})
}

// KCP is the KubeadmControlPlane wl-cp of three replicas with the given status.
func KCP(spec, status string, replicas, ready, upToDate int64) *unstructured.Unstructured {
	return Object("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane", "wl-cp", map[string]string{objects.LabelClusterName: "wl"}, map[string]any{
		"spec":   map[string]any{"version": spec, "replicas": int64(3)},
		"status": map[string]any{"version": status, "replicas": replicas, "readyReplicas": ready, "upToDateReplicas": upToDate},
	})
}

// MachineDeployment is the MachineDeployment of a pool of two replicas with the given status.
func MachineDeployment(pool, version string, replicas, ready, upToDate int64) *unstructured.Unstructured {
	return Object("cluster.x-k8s.io/v1beta2", "MachineDeployment", "wl-"+pool+"-abcde",
		map[string]string{objects.LabelClusterName: "wl", objects.LabelTopologyMDName: pool}, map[string]any{
			"spec":   map[string]any{"replicas": int64(2), "template": map[string]any{"spec": map[string]any{"version": version}}},
			"status": map[string]any{"replicas": replicas, "readyReplicas": ready, "upToDateReplicas": upToDate},
		})
}

// MachineOpt changes a Machine.
type MachineOpt func(*unstructured.Unstructured)

// Machine is a Machine of cluster wl at version, with its node when node is not empty.
func Machine(name, version, node string, opts ...MachineOpt) *unstructured.Unstructured {
	status := map[string]any{}
	if node != "" {
		status["nodeRef"] = map[string]any{"name": node}
	}
	m := Object("cluster.x-k8s.io/v1beta2", "Machine", name, map[string]string{objects.LabelClusterName: "wl"}, map[string]any{
		"spec":   map[string]any{"clusterName": "wl", "version": version},
		"status": status,
	})
	for _, o := range opts {
		o(m)
	}
	return m
}

// ControlPlaneMachine labels a Machine as the control plane's.
func ControlPlaneMachine(m *unstructured.Unstructured) {
	l := m.GetLabels()
	l[objects.LabelControlPlane] = ""
	m.SetLabels(l)
}

// InPool labels a Machine as one of a pool's MachineDeployment.
func InPool(pool string) MachineOpt {
	return func(m *unstructured.Unstructured) {
		l := m.GetLabels()
		l[objects.LabelDeploymentName], l[objects.LabelTopologyMDName] = "wl-"+pool+"-abcde", pool
		m.SetLabels(l)
	}
}

// BeingDeleted gives a Machine a deletion timestamp.
func BeingDeleted(m *unstructured.Unstructured) {
	m.SetDeletionTimestamp(&metav1.Time{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
}

// WithCondition adds a condition to a Machine.
func WithCondition(typ, status, reason, msg string) MachineOpt {
	return func(m *unstructured.Unstructured) {
		conds, _, _ := unstructured.NestedSlice(m.Object, "status", "conditions")
		conds = append(conds, map[string]any{"type": typ, "status": status, "reason": reason, "message": msg})
		_ = unstructured.SetNestedSlice(m.Object, conds, "status", "conditions")
	}
}

// NewDynamic returns a fake management cluster holding objs.
func NewDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	res := objects.ResourcesAt("")
	kinds := map[schema.GroupVersionResource]string{
		res.Clusters: "ClusterList", res.Machines: "MachineList", res.MachineDeployments: "MachineDeploymentList",
		res.KubeadmControlPlanes: "KubeadmControlPlaneList", SecretsGVR: "SecretList",
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), kinds, objs...)
}

// SecretsGVR is the resource of Secrets in a fake management cluster.
var SecretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// PDBDrainMessage is Cluster API's drain message for a pod of web that PDB web protects.
const PDBDrainMessage = `Drain not completed yet (started at 2026-01-01T00:00:10Z):
* Pod zdt/web-5d8f-a: cannot evict pod as it would violate the pod's disruption budget. The disruption budget web needs 2 healthy pods and has 2 currently`
