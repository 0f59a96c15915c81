package capi

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/zdt-dev/zdt/harness"
)

func testCluster(objs ...runtime.Object) (*Cluster, *dynamicfake.FakeDynamicClient) {
	dyn := newDynamic(objs...)
	c := &Cluster{
		w:    wiring{namespace: "default", name: "wl", mgmt: dyn, workload: fake.NewSimpleClientset(), clock: time.Now, start: time.Now()},
		opts: Tuning{AppNamespace: DefaultAppNamespace, PollInterval: 10 * time.Millisecond},
		res:  resourcesAt(""),
	}
	return c, dyn
}

func TestVersionPatch(t *testing.T) {
	got, err := versionPatch("v1.36.3")
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"spec":{"topology":{"version":"v1.36.3"}}}`; string(got) != want {
		t.Errorf("VersionPatch = %s, want %s", got, want)
	}
}

func TestSetVersion(t *testing.T) {
	c, dyn := testCluster(capiCluster("v1.35.2"))
	if err := c.SetVersion(context.Background(), "v1.36.3"); err != nil {
		t.Fatal(err)
	}
	var patches []k8stesting.PatchAction
	for _, a := range dyn.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok {
			patches = append(patches, p)
		}
	}
	if len(patches) != 1 {
		t.Fatalf("%d patches sent, want exactly one", len(patches))
	}
	p := patches[0]
	if p.GetPatchType() != types.MergePatchType || p.GetName() != "wl" || p.GetResource().Resource != "clusters" {
		t.Errorf("patch %s %s/%s, want a merge patch of clusters/wl", p.GetPatchType(), p.GetResource().Resource, p.GetName())
	}
	if want := `{"spec":{"topology":{"version":"v1.36.3"}}}`; string(p.GetPatch()) != want {
		t.Errorf("patch body %s, want %s", p.GetPatch(), want)
	}
	cl, err := dyn.Resource(c.res.Clusters).Namespace("default").Get(context.Background(), "wl", metav1GetOptions)
	if err != nil {
		t.Fatal(err)
	}
	if v := str(cl, "spec", "topology", "version"); v != "v1.36.3" {
		t.Errorf("spec.topology.version = %s after the patch", v)
	}
	if v := str(cl, "spec", "topology", "classRef", "name"); v != "quick-start" {
		t.Errorf("the patch changed spec.topology.classRef.name to %q", v)
	}
}

func TestControlPlaneAndPoolAt(t *testing.T) {
	const v = "v1.36.3"
	cpMachines := func(ms ...*unstructured.Unstructured) []unstructured.Unstructured {
		var out []unstructured.Unstructured
		for _, m := range ms {
			out = append(out, *m)
		}
		return out
	}
	cp := func(name, version, node string, opts ...machineOpt) *unstructured.Unstructured {
		return machine(name, version, node, append([]machineOpt{controlPlaneMachine}, opts...)...)
	}
	atVersion := cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3"),
		machine("md-1", "v1.35.2", "w1", inPool("md-0")))
	tests := []struct {
		name     string
		kcp      *unstructured.Unstructured
		machines []unstructured.Unstructured
		want     bool
	}{
		{"all at version", kcp(v, v, 3, 3, 3), atVersion, true},
		{"spec not yet changed", kcp("v1.35.2", "v1.35.2", 3, 3, 3), atVersion, false},
		{"surge machine still there", kcp(v, v, 4, 4, 3), atVersion, false},
		{"one replica not ready", kcp(v, v, 3, 2, 3), atVersion, false},
		{"old machine left", kcp(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", "v1.35.2", "n3")), false},
		{"old machine being deleted", kcp(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3", beingDeleted)), false},
		{"new machine without node", kcp(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "")), false},
		{"node not ready", kcp(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3", withCondition("NodeReady", "False", "NodeNotReady", ""))), false},
	}
	for _, tt := range tests {
		t.Run("control plane/"+tt.name, func(t *testing.T) {
			got, why := controlPlaneAt(tt.kcp, tt.machines, v)
			if got != tt.want {
				t.Errorf("ControlPlaneAt = %v (%s), want %v", got, why, tt.want)
			}
			if !got && why == "" {
				t.Error("ControlPlaneAt gave no reason")
			}
		})
	}
	pool := cpMachines(machine("md-1", v, "w1", inPool("md-0")), machine("md-2", v, "w2", inPool("md-0")), cp("cp-1", "v1.35.2", "n1"))
	poolTests := []struct {
		name     string
		md       *unstructured.Unstructured
		machines []unstructured.Unstructured
		want     bool
	}{
		{"all at version", machineDeployment("md-0", v, 2, 2, 2), pool, true},
		{"rolling", machineDeployment("md-0", v, 3, 3, 2), pool, false},
		{"template not changed", machineDeployment("md-0", "v1.35.2", 2, 2, 2), pool, false},
		{"old machine left", machineDeployment("md-0", v, 2, 2, 2), cpMachines(machine("md-1", v, "w1", inPool("md-0")), machine("md-2", "v1.35.2", "w2", inPool("md-0"))), false},
	}
	for _, tt := range poolTests {
		t.Run("pool/"+tt.name, func(t *testing.T) {
			got, why := poolAt(tt.md, tt.machines, v)
			if got != tt.want {
				t.Errorf("PoolAt = %v (%s), want %v", got, why, tt.want)
			}
		})
	}
}

func TestAwait(t *testing.T) {
	const v = "v1.36.3"
	done := []runtime.Object{capiCluster(v), kcp(v, v, 3, 3, 3), machineDeployment("md-0", "v1.35.2", 2, 2, 2),
		machine("cp-1", v, "n1", controlPlaneMachine), machine("cp-2", v, "n2", controlPlaneMachine), machine("cp-3", v, "n3", controlPlaneMachine),
		machine("md-1", "v1.35.2", "w1", inPool("md-0")), machine("md-2", "v1.35.2", "w2", inPool("md-0"))}
	tests := []struct {
		name    string
		m       harness.Milestone
		timeout time.Duration
		cancel  bool
		want    error
	}{
		{"control plane reached", harness.Milestone{Version: v}, time.Second, false, nil},
		{"pool times out", harness.Milestone{Pool: "md-0", Version: v}, 50 * time.Millisecond, false, harness.ErrDeadline},
		{"unknown pool times out", harness.Milestone{Pool: "md-9", Version: v}, 50 * time.Millisecond, false, harness.ErrDeadline},
		{"cancelled", harness.Milestone{Pool: "md-0", Version: v}, time.Minute, true, context.Canceled},
		{"no time left", harness.Milestone{Version: v}, 0, false, harness.ErrDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := testCluster(done...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(30*time.Millisecond, cancel)
			}
			start := time.Now()
			err := c.Await(ctx, tt.m, tt.timeout)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Errorf("Await = %v, want %v", err, tt.want)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("Await took %s", el)
			}
		})
	}
}

func TestAwaitReachesPoolMidway(t *testing.T) {
	const v = "v1.36.3"
	c, dyn := testCluster(capiCluster(v), machineDeployment("md-0", v, 3, 3, 2),
		machine("md-1", v, "w1", inPool("md-0")), machine("md-2", "v1.35.2", "w2", inPool("md-0")))
	// The rollout finishes after a few polls: the old machine is gone, the MachineDeployment
	// settled. Reactors answer for the settled cluster (the fake client cannot be called back
	// from a reactor).
	var mu sync.Mutex
	polls := 0
	settled := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return polls >= 3
	}
	dyn.PrependReactor("list", "machines", func(k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		polls++
		mu.Unlock()
		if !settled() {
			return false, nil, nil
		}
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineList"}}
		list.Items = []unstructured.Unstructured{*machine("md-1", v, "w1", inPool("md-0")), *machine("md-3", v, "w3", inPool("md-0"))}
		return true, list, nil
	})
	dyn.PrependReactor("list", "machinedeployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !settled() {
			return false, nil, nil
		}
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeploymentList"}}
		list.Items = []unstructured.Unstructured{*machineDeployment("md-0", v, 2, 2, 2)}
		return true, list, nil
	})
	if err := c.Await(context.Background(), harness.Milestone{Pool: "md-0", Version: v}, 2*time.Second); err != nil {
		t.Fatalf("Await = %v, want the pool reached", err)
	}
	if !settled() {
		t.Errorf("Await returned after %d polls, before the rollout finished", polls)
	}
}
