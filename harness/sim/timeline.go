package sim

import (
	"sort"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

func locNode(n *node) model.Locator {
	l := model.Locator{Node: n.name, Machine: n.name}
	if n.pool != nil {
		l.Pool = n.pool.name
	}
	return l
}

func locPod(p *pod) model.Locator {
	l := model.Locator{Workload: p.w.name, Pod: p.name}
	if p.node != nil {
		l.Node = p.node.name
	}
	return l
}

// interval records a timeline interval that has ended.
func (c *Cluster) interval(level model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration) {
	if c.settling {
		return
	}
	c.record(c.rec.Interval(&model.Interval{Level: level, Locator: loc, Reason: reason, Message: msg, From: from, To: to}))
}

// instant records an event that has no duration.
func (c *Cluster) instant(level model.Level, loc model.Locator, reason model.Reason, msg string) {
	c.interval(level, loc, reason, msg, c.clock.now, c.clock.now)
}

// stateSample records the periodic picture of the cluster.
func (c *Cluster) stateSample() {
	if c.settling {
		return
	}
	s := model.StateSample{At: c.clock.now, NodesByVersion: map[string]int{}, APIAvailable: c.apiUp}
	for _, w := range c.workloads {
		ws := model.WorkloadState{Name: w.name, Desired: w.replicas, Ready: w.readyCount, Endpoints: w.endpoints, PDBFloor: -1}
		if len(w.pdbs) > 0 {
			_, desired, _ := c.pdbStatus(w.pdbs[0])
			ws.PDBFloor = desired
		}
		s.Workloads = append(s.Workloads, ws)
	}
	for _, n := range c.nodes {
		if n.gone || !n.ready {
			continue
		}
		s.NodesByVersion[n.version]++
		if c.schedulable(n) {
			s.SchedulableNodes++
			s.FreeCPUMilli += n.cpu - n.usedCPU
			s.FreeMemoryBytes += n.mem - n.usedMem
		}
	}
	c.record(c.rec.State(&s))
}

// Inventory implements the inventory part of harness.Cluster.
func (c *Cluster) inventory() *model.Inventory {
	inv := &model.Inventory{At: c.clock.now, APIAvailable: c.apiUp}
	lowest := ""
	for _, n := range c.nodes {
		if n.gone || !n.joined {
			continue
		}
		ni := model.NodeInfo{
			Name: n.name, Role: n.role, Zone: n.zone, Version: n.version, Ready: n.ready,
			Unschedulable: n.cordoned, AllocatableCPUMilli: n.cpu, AllocatableMemory: n.mem,
			AllocatablePods: n.maxPods, RequestedCPUMilli: n.usedCPU, RequestedMemory: n.usedMem,
			Pods: len(n.pods),
		}
		if n.pool != nil {
			ni.Pool = n.pool.name
		}
		inv.Nodes = append(inv.Nodes, ni)
		inv.Usage.CPUMilli += n.usedCPU
		inv.Usage.MemoryBytes += n.usedMem
		inv.Usage.Pods += len(n.pods)
		if n.role == model.RoleControlPlane && n.apiserverUp {
			if lowest == "" || scenarios.VersionLess(n.version, lowest) {
				lowest = n.version
			}
			for _, comp := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"} {
				inv.SystemPods = append(inv.SystemPods, model.SystemPod{
					Name: comp + "-" + n.name, Component: comp, Node: n.name, Version: n.version, Ready: n.ready,
				})
			}
		}
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{
			Name: "kube-proxy-" + n.name, Component: "kube-proxy", Node: n.name, Version: n.version, Ready: n.ready,
		})
	}
	inv.APIServerVersion = lowest
	for _, w := range c.workloads {
		wi := model.WorkloadInfo{
			Name: w.name, Replicas: w.replicas, ReadyReplicas: w.readyCount,
			RequestsCPUMilli: w.cpu, RequestsMemory: w.mem, HasReadinessProbe: w.spec.ReadinessProbe != nil,
			TerminationGracePeriod: w.spec.TerminationGracePeriod.Duration,
			ExitsOnSigterm:         w.spec.Shutdown.OnSigterm == "Exit",
			Service:                w.name,
		}
		if w.spec.PreStop != nil {
			wi.PreStop = w.spec.PreStop.Sleep.Duration
		}
		if ts := w.spec.TopologySpread; ts != nil {
			wi.SpreadKey, wi.SpreadHard = ts.TopologyKey, ts.WhenUnsatisfiable == "DoNotSchedule"
		}
		inv.Workloads = append(inv.Workloads, wi)
		for _, p := range w.active {
			pi := model.PodInfo{Name: p.name, Workload: w.name, Ready: p.ready}
			if p.node != nil {
				pi.Node = p.node.name
			}
			inv.Pods = append(inv.Pods, pi)
		}
		inv.Objects = append(inv.Objects,
			model.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "zdt", Name: w.name, Source: "live"},
			model.ObjectRef{APIVersion: "v1", Kind: "Service", Namespace: "zdt", Name: w.name, Source: "live"})
	}
	sort.Slice(inv.Pods, func(i, j int) bool { return inv.Pods[i].Name < inv.Pods[j].Name })
	for _, b := range c.pdbs {
		expected, desired, healthy := c.pdbStatus(b)
		bi := model.PDBInfo{
			Name: b.name, ExpectedPods: expected, DesiredHealthy: desired, CurrentHealthy: healthy,
			DisruptionsAllowed: max(0, healthy-desired), UnhealthyPolicy: string(b.spec.UnhealthyPodEvictionPolicy),
		}
		if b.spec.MinAvailable != nil {
			bi.MinAvailable = b.spec.MinAvailable.String()
		}
		if b.spec.MaxUnavailable != nil {
			bi.MaxUnavailable = b.spec.MaxUnavailable.String()
		}
		for _, w := range b.workloads {
			bi.Workloads = append(bi.Workloads, w.name)
		}
		inv.PDBs = append(inv.PDBs, bi)
		inv.Objects = append(inv.Objects, model.ObjectRef{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: "zdt", Name: b.name, Source: "live"})
	}
	cniHealthy := true
	for _, n := range c.nodes {
		if n.joined && !n.gone && !n.ready {
			cniHealthy = false
		}
	}
	inv.Addons = []model.Addon{{Name: "cni", Kind: "cni", Healthy: cniHealthy}}
	return inv
}
