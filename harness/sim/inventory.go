package sim

import (
	"slices"
	"strings"
	"sync"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// inventories are the inventories of closed clusters, whose lists the next ones reuse: a sweep
// takes two per run.
var inventories = sync.Pool{New: func() any { return new(model.Inventory) }}

// inventory reads the simulated cluster as the preflight and postflight checks see it, into
// inv's lists (emptied) and a fresh record otherwise.
func inventory(c *world.World, inv *model.Inventory) *model.Inventory {
	*inv = model.Inventory{At: c.Clock.Now(), APIAvailable: c.APIUp,
		Nodes: inv.Nodes[:0], SystemPods: inv.SystemPods[:0], Workloads: inv.Workloads[:0],
		Pods: inv.Pods[:0], Objects: inv.Objects[:0], PDBs: inv.PDBs[:0], Addons: inv.Addons[:0]}
	pods, systemPods := 0, len(c.Nodes)+len(world.StaticPods)*len(c.CPNodes)
	for _, w := range c.Workloads {
		if w.System {
			systemPods += len(w.Active)
		} else {
			pods += len(w.Active)
		}
	}
	inv.Nodes = slices.Grow(inv.Nodes, len(c.Nodes))
	inv.SystemPods = slices.Grow(inv.SystemPods, systemPods)
	inv.Workloads = slices.Grow(inv.Workloads, len(c.Workloads))
	inv.Pods = slices.Grow(inv.Pods, pods)
	inv.Objects = slices.Grow(inv.Objects, 2*len(c.Workloads)+len(c.PDBs))
	inv.PDBs = slices.Grow(inv.PDBs, len(c.PDBs))
	lowest := ""
	for _, n := range c.Nodes {
		if n.Gone || !n.Joined {
			continue
		}
		ni := model.NodeInfo{
			Name: n.Name, Role: n.Role, Zone: n.Zone, Version: n.Version, Ready: n.Ready,
			Unschedulable: n.Cordoned, AllocatableCPUMilli: n.CPU, AllocatableMemory: n.Mem,
			AllocatablePods: n.MaxPods, RequestedCPUMilli: n.UsedCPU, RequestedMemory: n.UsedMem,
			Pods: len(n.Pods),
		}
		ni.Pool = n.Pool
		inv.Nodes = append(inv.Nodes, ni)
		inv.Usage.CPUMilli += n.UsedCPU
		inv.Usage.MemoryBytes += n.UsedMem
		inv.Usage.Pods += len(n.Pods)
		if n.Role == model.RoleControlPlane && n.APIServerUp {
			if lowest == "" || scenarios.VersionLess(n.Version, lowest) {
				lowest = n.Version
			}
			names := c.StaticPodNames(n)
			for i, comp := range world.StaticPods {
				inv.SystemPods = append(inv.SystemPods, model.SystemPod{
					Name: names[i], Component: comp, Node: n.Name, Version: n.Version, Ready: n.Ready,
				})
			}
		}
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{
			Name: c.ProxyPodName(n), Component: "kube-proxy", Node: n.Name, Version: n.Version, Ready: n.Ready && n.DaemonsReady,
		})
	}
	inv.APIServerVersion = lowest
	for _, w := range c.Workloads {
		if w.System {
			for _, p := range w.Active {
				sp := model.SystemPod{Name: p.Name, Component: w.Name, Version: scenarios.CoreDNSVersion, Ready: p.Ready}
				if p.Node != nil {
					sp.Node = p.Node.Name
				}
				inv.SystemPods = append(inv.SystemPods, sp)
			}
			continue
		}
		wi := model.WorkloadInfo{
			Name: w.Name, Replicas: w.Replicas, ReadyReplicas: w.ReadyCount,
			RequestsCPUMilli: w.CPU, RequestsMemory: w.Mem, HasReadinessProbe: w.Spec.ReadinessProbe != nil,
			TerminationGracePeriod: w.Spec.TerminationGracePeriod.Duration,
			OnSigterm:              string(w.Spec.Shutdown.OnSigterm),
			Service:                w.Name,
		}
		if w.Spec.PreStop != nil {
			wi.PreStop = w.Spec.PreStop.Sleep.Duration
		}
		if ts := w.Spec.TopologySpread; ts != nil {
			wi.SpreadKey, wi.SpreadHard = ts.TopologyKey, ts.WhenUnsatisfiable == "DoNotSchedule"
		}
		inv.Workloads = append(inv.Workloads, wi)
		for _, p := range w.Active {
			pi := model.PodInfo{Name: p.Name, Workload: w.Name, Ready: p.Ready}
			if p.Node != nil {
				pi.Node = p.Node.Name
			}
			inv.Pods = append(inv.Pods, pi)
		}
		inv.Objects = append(inv.Objects,
			model.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "zdt", Name: w.Name, Source: "live"},
			model.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "zdt", Name: w.Name, Source: "live"})
	}
	slices.SortFunc(inv.Pods, func(a, b model.PodInfo) int { return strings.Compare(a.Name, b.Name) })
	for _, b := range c.PDBs {
		expected, desired, healthy := c.PDBStatus(b)
		bi := model.PDBInfo{
			Name: b.Name, ExpectedPods: expected, DesiredHealthy: desired, CurrentHealthy: healthy,
			DisruptionsAllowed: max(0, healthy-desired), UnhealthyPolicy: string(b.Spec.UnhealthyPodEvictionPolicy),
		}
		if b.Spec.MinAvailable != nil {
			bi.MinAvailable = b.Spec.MinAvailable.String()
		}
		if b.Spec.MaxUnavailable != nil {
			bi.MaxUnavailable = b.Spec.MaxUnavailable.String()
		}
		for _, w := range b.Workloads {
			bi.Workloads = append(bi.Workloads, w.Name)
		}
		inv.PDBs = append(inv.PDBs, bi)
		inv.Objects = append(inv.Objects, model.ObjectRef{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: "zdt", Name: b.Name, Source: "live"})
	}
	cniHealthy := true
	for _, n := range c.Nodes {
		if n.Joined && !n.Gone && !n.Ready {
			cniHealthy = false
		}
	}
	inv.Addons = append(inv.Addons, model.Addon{Name: "cni", Kind: "cni", Healthy: cniHealthy})
	return inv
}
