package capi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/capi/internal/capitest"
	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
)

// epoch is where the fake clock of a test cluster starts.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testCluster(objs ...runtime.Object) (*Cluster, *dynamicfake.FakeDynamicClient) {
	dyn := capitest.NewDynamic(objs...)
	c := &Cluster{
		w: wiring{namespace: "default", name: "wl", mgmt: dyn, workload: fake.NewSimpleClientset(),
			clock: testingclock.NewFakeClock(epoch), start: epoch},
		opts: Tuning{AppNamespace: DefaultAppNamespace, PollInterval: 10 * time.Millisecond},
		res:  objects.ResourcesAt(""),
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
	c, dyn := testCluster(capitest.Cluster("v1.35.2"))
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
	cl, err := dyn.Resource(c.res.Clusters).Namespace("default").Get(context.Background(), "wl", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := objects.Str(cl, "spec", "topology", "version"); v != "v1.36.3" {
		t.Errorf("spec.topology.version = %s after the patch", v)
	}
	if v := objects.Str(cl, "spec", "topology", "classRef", "name"); v != "quick-start" {
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
	cp := func(name, version, node string, opts ...capitest.MachineOpt) *unstructured.Unstructured {
		return capitest.Machine(name, version, node, append([]capitest.MachineOpt{capitest.ControlPlaneMachine}, opts...)...)
	}
	atVersion := cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3"),
		capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0")))
	tests := []struct {
		name     string
		kcp      *unstructured.Unstructured
		machines []unstructured.Unstructured
		want     bool
	}{
		{"all at version", capitest.KCP(v, v, 3, 3, 3), atVersion, true},
		{"spec not yet changed", capitest.KCP("v1.35.2", "v1.35.2", 3, 3, 3), atVersion, false},
		{"surge machine still there", capitest.KCP(v, v, 4, 4, 3), atVersion, false},
		{"one replica not ready", capitest.KCP(v, v, 3, 2, 3), atVersion, false},
		{"old machine left", capitest.KCP(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", "v1.35.2", "n3")), false},
		{"old machine being deleted", capitest.KCP(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3", capitest.BeingDeleted)), false},
		{"new machine without node", capitest.KCP(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "")), false},
		{"node not ready", capitest.KCP(v, v, 3, 3, 3), cpMachines(cp("cp-1", v, "n1"), cp("cp-2", v, "n2"), cp("cp-3", v, "n3", capitest.WithCondition("NodeReady", "False", "NodeNotReady", ""))), false},
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
	pool := cpMachines(capitest.Machine("md-1", v, "w1", capitest.InPool("md-0")), capitest.Machine("md-2", v, "w2", capitest.InPool("md-0")), cp("cp-1", "v1.35.2", "n1"))
	poolTests := []struct {
		name     string
		md       *unstructured.Unstructured
		machines []unstructured.Unstructured
		want     bool
	}{
		{"all at version", capitest.MachineDeployment("md-0", v, 2, 2, 2), pool, true},
		{"rolling", capitest.MachineDeployment("md-0", v, 3, 3, 2), pool, false},
		{"template not changed", capitest.MachineDeployment("md-0", "v1.35.2", 2, 2, 2), pool, false},
		{"old machine left", capitest.MachineDeployment("md-0", v, 2, 2, 2), cpMachines(capitest.Machine("md-1", v, "w1", capitest.InPool("md-0")), capitest.Machine("md-2", "v1.35.2", "w2", capitest.InPool("md-0"))), false},
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

// TestRolloutSaysWhatTheWaitIsFor checks what an interrupted or timed-out wait reports: the
// machines on their way in and out, by name.
func TestRolloutSaysWhatTheWaitIsFor(t *testing.T) {
	const v = "v1.36.3"
	ms := []unstructured.Unstructured{
		*capitest.Machine("md-1", v, "w1", capitest.InPool("md-0")),
		*capitest.Machine("md-2", "v1.35.2", "w2", capitest.InPool("md-0"), capitest.BeingDeleted,
			capitest.WithCondition("Deleting", "True", "DrainingNode", capitest.PDBDrainMessage)),
		*capitest.Machine("md-3", v, "", capitest.InPool("md-0")),
		*capitest.Machine("md-4", "v1.35.2", "w4", capitest.InPool("md-0")),
	}
	_, why := poolAt(capitest.MachineDeployment("md-0", v, 3, 2, 2), ms, v)
	for _, want := range []string{"pool md-0: 1 machine(s) Ready at v1.36.3, 1 old", "machine md-3 provisioning, not yet Ready",
		"machine md-2 draining: refused by PDB web (pods web-5d8f-a)", "3 replicas, 2 ready"} {
		if !strings.Contains(why, want) {
			t.Errorf("poolAt says %q, want it to contain %q", why, want)
		}
	}
}

func TestAwait(t *testing.T) {
	const v = "v1.36.3"
	done := []runtime.Object{capitest.Cluster(v), capitest.KCP(v, v, 3, 3, 3), capitest.MachineDeployment("md-0", "v1.35.2", 2, 2, 2),
		capitest.Machine("cp-1", v, "n1", capitest.ControlPlaneMachine), capitest.Machine("cp-2", v, "n2", capitest.ControlPlaneMachine), capitest.Machine("cp-3", v, "n3", capitest.ControlPlaneMachine),
		capitest.Machine("md-1", "v1.35.2", "w1", capitest.InPool("md-0")), capitest.Machine("md-2", "v1.35.2", "w2", capitest.InPool("md-0"))}
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
			fc := c.w.clock.(*testingclock.FakeClock)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			result := make(chan error, 1)
			go func() { result <- c.Await(ctx, tt.m, tt.timeout) }()
			// Once Await waits on its timers, move the clock past the timeout (or cancel).
			var err error
			select {
			case err = <-result:
			case <-waiting(fc):
				if tt.cancel {
					cancel()
				} else {
					fc.Step(tt.timeout)
				}
				err = <-result
			}
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Errorf("Await = %v, want %v", err, tt.want)
			}
			// A wait that is stopped says what it was waiting for.
			var w *harness.WaitError
			if tt.cancel && (!errors.As(err, &w) || !strings.Contains(w.Waiting, "template version is v1.35.2")) {
				t.Errorf("cancelled Await = %v, want a WaitError naming the pool's template version", err)
			}
		})
	}
}

// waiting is closed once something waits on the fake clock.
func waiting(fc *testingclock.FakeClock) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for i := 0; i < 10000 && !fc.HasWaiters(); i++ {
			time.Sleep(time.Millisecond)
		}
	}()
	return ch
}

func TestAwaitReachesPoolMidway(t *testing.T) {
	const v = "v1.36.3"
	c, dyn := testCluster(capitest.Cluster(v), capitest.MachineDeployment("md-0", v, 3, 3, 2),
		capitest.Machine("md-1", v, "w1", capitest.InPool("md-0")), capitest.Machine("md-2", "v1.35.2", "w2", capitest.InPool("md-0")))
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
		list.Items = []unstructured.Unstructured{*capitest.Machine("md-1", v, "w1", capitest.InPool("md-0")), *capitest.Machine("md-3", v, "w3", capitest.InPool("md-0"))}
		return true, list, nil
	})
	dyn.PrependReactor("list", "machinedeployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if !settled() {
			return false, nil, nil
		}
		list := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeploymentList"}}
		list.Items = []unstructured.Unstructured{*capitest.MachineDeployment("md-0", v, 2, 2, 2)}
		return true, list, nil
	})
	fc := c.w.clock.(*testingclock.FakeClock)
	result := make(chan error, 1)
	go func() {
		result <- c.Await(context.Background(), harness.Milestone{Pool: "md-0", Version: v}, time.Hour)
	}()
	var err error
	for done := false; !done; {
		select {
		case err = <-result:
			done = true
		case <-waiting(fc):
			fc.Step(c.opts.PollInterval) // the next poll
		}
	}
	if err != nil {
		t.Fatalf("Await = %v, want the pool reached", err)
	}
	if !settled() {
		t.Errorf("Await returned after %d polls, before the rollout finished", polls)
	}
}
