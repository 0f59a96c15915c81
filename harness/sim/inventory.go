package sim

import (
	"slices"
	"strings"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// inventory reads the simulated cluster as the preflight and postflight checks see it.
func inventory(c *world.World) *model.Inventory {
	inv := &model.Inventory{At: c.Clock.Now(), APIAvailable: c.APIUp}
	pods, systemPods := 0, len(c.Nodes)+len(world.StaticPods)*len(c.CPNodes)
	for _, w := range c.Workloads {
		if w.System {
			systemPods += len(w.Active)
		} else {
			pods += len(w.Active)
		}
	}
	inv.Nodes = make([]model.NodeInfo, 0, len(c.Nodes))
	inv.SystemPods = make([]model.SystemPod, 0, systemPods)
	inv.Workloads = make([]model.WorkloadInfo, 0, len(c.Workloads))
	inv.Pods = make([]model.PodInfo, 0, pods)
	inv.Objects = make([]model.ObjectRef, 0, 2*len(c.Workloads)+len(c.PDBs))
	inv.PDBs = make([]model.PDBInfo, 0, len(c.PDBs))
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
			names := n.StaticPodNames()
			for i, comp := range world.StaticPods {
				inv.SystemPods = append(inv.SystemPods, model.SystemPod{
					Name: names[i], Component: comp, Node: n.Name, Version: n.Version, Ready: n.Ready,
				})
			}
		}
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{
			Name: n.ProxyPodName(), Component: "kube-proxy", Node: n.Name, Version: n.Version, Ready: n.Ready && n.DaemonsReady,
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
	inv.Addons = []model.Addon{{Name: "cni", Kind: "cni", Healthy: cniHealthy}}
	return inv
}
