package preflight

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

const (
	gi = int64(1) << 30
	mi = int64(1) << 20
)

// goodInventory is a cluster every check passes: three control plane nodes, three workers of
// pool md-0 each running one pod of web and one of api, both well configured.
func goodInventory(version string) *model.Inventory {
	inv := &model.Inventory{APIServerVersion: version, APIAvailable: true}
	for i := 1; i <= 3; i++ {
		cp := fmt.Sprintf("cp-%d", i)
		inv.Nodes = append(inv.Nodes, model.NodeInfo{
			Name: cp, Role: model.RoleControlPlane, Version: version, Ready: true,
			AllocatableCPUMilli: 2000, AllocatableMemory: 4 * gi, AllocatablePods: 110,
		})
		for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
			inv.SystemPods = append(inv.SystemPods, model.SystemPod{Name: c + "-" + cp, Component: c, Node: cp, Version: version, Ready: true})
		}
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{Name: "etcd-" + cp, Component: "etcd", Node: cp, Version: "3.6.8-0", Ready: true})
	}
	for i, suffix := range []string{"a", "b", "c"} {
		w := "md-0-" + suffix
		inv.Nodes = append(inv.Nodes, model.NodeInfo{
			Name: w, Role: model.RoleWorker, Pool: "md-0", Version: version, Ready: true,
			AllocatableCPUMilli: 4000, AllocatableMemory: 8 * gi, AllocatablePods: 110,
			RequestedCPUMilli: 500, RequestedMemory: 512 * mi, Pods: 2,
		})
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{Name: "kube-proxy-" + suffix, Component: "kube-proxy", Node: w, Version: version, Ready: true})
		for _, app := range []string{"web", "api"} {
			inv.Pods = append(inv.Pods, model.PodInfo{Name: fmt.Sprintf("%s-%d", app, i), Workload: app, Node: w, Ready: true})
		}
	}
	inv.SystemPods = append(inv.SystemPods, model.SystemPod{Name: "coredns-1", Component: "coredns", Node: "md-0-a", Version: "v1.14.2", Ready: true})
	for _, app := range []string{"web", "api"} {
		inv.Workloads = append(inv.Workloads, model.WorkloadInfo{
			Name: app, Replicas: 3, ReadyReplicas: 3, RequestsCPUMilli: 250, RequestsMemory: 256 * mi,
			HasReadinessProbe: true, PreStop: 5 * time.Second, TerminationGracePeriod: 30 * time.Second,
			SpreadKey: scenarios.TopologyHostname, Service: app,
		})
		inv.PDBs = append(inv.PDBs, model.PDBInfo{
			Name: app, MaxUnavailable: "1", Workloads: []string{app}, ExpectedPods: 3,
			CurrentHealthy: 3, DesiredHealthy: 2, DisruptionsAllowed: 1, UnhealthyPolicy: "IfHealthyBudget",
		})
	}
	inv.Addons = []model.Addon{{Name: "flannel", Kind: "cni", Healthy: true}, {Name: "ingress-nginx", Kind: "ingress", Healthy: true}}
	inv.Objects = []model.ObjectRef{
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web", Source: "live"},
		{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: "default", Name: "web", Source: "live"},
	}
	inv.EtcdSnapshot = &model.EtcdSnapshot{Path: "/var/lib/zdt/etcd-preflight.db", Size: 24 * mi, Revision: 4242, Verified: true}
	inv.Usage = model.Usage{CPUMilli: 3000, MemoryBytes: 6 * gi, Pods: 30}
	return inv
}

func intOrStr(s string) *intstr.IntOrString { v := intstr.Parse(s); return &v }

// goodInput is a preflight input every check passes: goodInventory upgraded v1.35.2 -> v1.36.3
// with pool md-0 rolled by Cluster API's defaults (maxSurge 1, maxUnavailable 0).
func goodInput() *Input {
	return &Input{
		Inventory: goodInventory("v1.35.2"),
		Scenario: &scenarios.Scenario{Spec: scenarios.Spec{Cluster: scenarios.Cluster{
			WorkerPools: []scenarios.WorkerPool{{Name: "md-0", MaxSurge: intOrStr("1"), MaxUnavailable: intOrStr("0")}},
		}}},
		Plan: []string{"v1.35.2", "v1.36.3"},
	}
}

// goodPostInput is a postflight input every check passes.
func goodPostInput() *PostInput {
	after := goodInventory("v1.36.3")
	after.Usage = model.Usage{CPUMilli: 3300, MemoryBytes: 6*gi + 512*mi, Pods: 30}
	return &PostInput{Before: goodInventory("v1.35.2"), After: after, Scenario: goodInput().Scenario, Target: "v1.36.3"}
}

// expect checks that results hold the wanted worst status, that one of them mentions every
// wanted text, and that every result that is not a pass tells the user what to fix.
func expect(t *testing.T, results []model.CheckResult, want model.CheckStatus, texts ...string) {
	t.Helper()
	if len(results) == 0 {
		t.Fatal("no result")
	}
	worst := model.CheckPass
	var all []string
	for _, r := range results {
		switch {
		case r.Status == model.CheckFail:
			worst = model.CheckFail
		case r.Status == model.CheckWarn && worst == model.CheckPass:
			worst = model.CheckWarn
		}
		if r.Status != model.CheckPass && r.Fix == "" {
			t.Errorf("%s result without a fix: %s", r.Status, r.Message)
		}
		if r.Message == "" {
			t.Errorf("%s result without a message", r.Status)
		}
		all = append(all, fmt.Sprintf("[%s] %s (fix: %s)", r.Status, r.Message, r.Fix))
	}
	joined := strings.Join(all, "\n")
	t.Log("\n" + joined)
	if worst != want {
		t.Errorf("worst status %s, want %s:\n%s", worst, want, joined)
	}
	for _, s := range texts {
		if !strings.Contains(joined, s) {
			t.Errorf("no result mentions %q:\n%s", s, joined)
		}
	}
}
