package preflight

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

func init() {
	register(Check{Name: "spare-capacity", Run: spareCapacity})
}

// spareCapacity checks, for every worker pool, that the pods of the nodes drained together (the
// busiest ones) can be scheduled on the other schedulable workers plus the surge nodes Cluster API
// creates first, given the pool's maxSurge and maxUnavailable. Pods that fit nowhere stay Pending
// until a new node joins: their workload runs short for that long.
func spareCapacity(in *Input) []model.CheckResult {
	requests := map[string]model.WorkloadInfo{}
	for _, w := range in.Inventory.Workloads {
		requests[w.Name] = w
	}
	var out []model.CheckResult
	for _, p := range pools(in) {
		out = append(out, poolCapacity(in.Inventory, p, requests, in.Brief)...)
	}
	if len(out) == 0 {
		return []model.CheckResult{{Status: model.CheckWarn, Message: "no worker pool to check: capacity for drains was not checked",
			Fix: "list the worker pools in spec.cluster.workerPools"}}
	}
	return out
}

// pools returns the scenario's worker pools, or, when it names none, the pools the nodes belong
// to with Cluster API's defaults (maxSurge 1, maxUnavailable 0).
func pools(in *Input) []scenarios.WorkerPool {
	if in.Scenario != nil && len(in.Scenario.Spec.Cluster.WorkerPools) > 0 {
		return in.Scenario.Spec.Cluster.WorkerPools
	}
	seen := map[string]bool{}
	var out []scenarios.WorkerPool
	for _, n := range in.Inventory.Nodes {
		if n.Role == model.RoleWorker && !seen[n.Pool] {
			seen[n.Pool] = true
			out = append(out, scenarios.WorkerPool{Name: n.Pool})
		}
	}
	return out
}

// podReq is one pod to place, or, when the inventory does not list a node's pods, all of them.
type podReq struct {
	name     string
	cpu, mem int64
	count    int
}

// bin is the free room of one node.
type bin struct {
	name     string
	cpu, mem int64
	pods     int
}

func poolCapacity(inv *model.Inventory, p scenarios.WorkerPool, requests map[string]model.WorkloadInfo, brief bool) []model.CheckResult {
	var nodes []model.NodeInfo
	for _, n := range inv.Nodes {
		if n.Role == model.RoleWorker && n.Pool == p.Name {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: fmt.Sprintf("pool %s has no node in the inventory: its capacity for drains was not checked", p.Name),
			Fix:     fmt.Sprintf("check that the nodes of pool %s carry its MachineDeployment's label", p.Name)}}
	}
	surge, err := scaled(p.MaxSurge, len(nodes), true, 1)
	if err != nil {
		return []model.CheckResult{{Status: model.CheckFail, Message: fmt.Sprintf("pool %s: maxSurge: %v", p.Name, err), Fix: "write maxSurge as a number or a percentage"}}
	}
	unavail, err := scaled(p.MaxUnavailable, len(nodes), false, 0)
	if err != nil {
		return []model.CheckResult{{Status: model.CheckFail, Message: fmt.Sprintf("pool %s: maxUnavailable: %v", p.Name, err), Fix: "write maxUnavailable as a number or a percentage"}}
	}
	settings := func() string {
		return fmt.Sprintf("pool %s (%s, maxSurge %d, maxUnavailable %d)", p.Name, plural(len(nodes), "node"), surge, unavail)
	}
	if surge == 0 && unavail == 0 {
		return []model.CheckResult{{Status: model.CheckFail,
			Message: settings() + ": Cluster API can neither add a node before draining one nor drain one first, so the rollout never starts",
			Fix:     fmt.Sprintf("set maxSurge: 1 on pool %s", p.Name)}}
	}
	// Busiest nodes first: they are the hardest to empty.
	slices.SortStableFunc(nodes, func(a, b model.NodeInfo) int {
		return cmp.Or(cmp.Compare(b.RequestedCPUMilli, a.RequestedCPUMilli), cmp.Compare(b.RequestedMemory, a.RequestedMemory))
	})
	// Two moments of the rollout: before the surge nodes are Ready, maxUnavailable nodes may be
	// drained with no new node; once they are, maxSurge+maxUnavailable old nodes may drain.
	type moment struct{ drained, added int }
	var moments []moment
	if unavail > 0 {
		moments = append(moments, moment{min(unavail, len(nodes)), 0})
	}
	if surge > 0 {
		moments = append(moments, moment{min(surge+unavail, len(nodes)), surge})
	}
	var res model.CheckResult
	for _, m := range moments {
		res = placeDrained(inv, settings, p.Name, nodes[:m.drained], m.added, requests, surge, brief)
		if res.Status == model.CheckFail {
			return []model.CheckResult{res}
		}
	}
	return []model.CheckResult{res}
}

// placeDrained places the pods of the drained nodes on the other schedulable workers and added
// new nodes (each with the allocatable of the first drained node), largest first.
// A pass leaves its message out when brief (Input.Brief).
func placeDrained(inv *model.Inventory, settings func() string, poolName string, drained []model.NodeInfo, added int, requests map[string]model.WorkloadInfo, surge int, brief bool) model.CheckResult {
	isDrained := map[string]bool{}
	var names []string
	var reqCPU, reqMem int64
	var reqPods int
	for _, n := range drained {
		isDrained[n.Name] = true
		names = append(names, n.Name)
		reqCPU += n.RequestedCPUMilli
		reqMem += n.RequestedMemory
		reqPods += n.Pods
	}
	var pods []podReq
	for _, p := range inv.Pods {
		if !isDrained[p.Node] || p.Terminating {
			continue
		}
		w := requests[p.Workload]
		pods = append(pods, podReq{name: p.Name, cpu: w.RequestsCPUMilli, mem: w.RequestsMemory, count: 1})
	}
	if len(pods) == 0 && reqPods > 0 {
		// The inventory does not list the pods: move the nodes' requests as a whole.
		pods = append(pods, podReq{name: fmt.Sprintf("the %d pods of %s", reqPods, list(names)), cpu: reqCPU, mem: reqMem, count: reqPods})
	}
	var bins []bin
	var freeCPU, freeMem int64
	for _, n := range inv.Nodes {
		if n.Role != model.RoleWorker || isDrained[n.Name] || !n.Ready || n.Unschedulable {
			continue
		}
		b := bin{n.Name, n.AllocatableCPUMilli - n.RequestedCPUMilli, n.AllocatableMemory - n.RequestedMemory, n.AllocatablePods - n.Pods}
		bins = append(bins, b)
		freeCPU += max(b.cpu, 0)
		freeMem += max(b.mem, 0)
	}
	tmpl := drained[0]
	for i := 0; i < added; i++ {
		bins = append(bins, bin{fmt.Sprintf("surge-%d", i+1), tmpl.AllocatableCPUMilli, tmpl.AllocatableMemory, tmpl.AllocatablePods})
		freeCPU += tmpl.AllocatableCPUMilli
		freeMem += tmpl.AllocatableMemory
	}
	slices.SortStableFunc(pods, func(a, b podReq) int { return cmp.Compare(b.cpu, a.cpu) })
	var pending []string
	unplaced := 0
	for _, p := range pods {
		placed := false
		for i := range bins {
			b := &bins[i]
			if b.cpu >= p.cpu && b.mem >= p.mem && b.pods >= 1 {
				b.cpu, b.mem, b.pods = b.cpu-p.cpu, b.mem-p.mem, b.pods-1
				placed = true
				break
			}
		}
		if !placed {
			unplaced += p.count
			pending = append(pending, fmt.Sprintf("%s (%s CPU, %s)", p.name, cpu(p.cpu), mem(p.mem)))
		}
	}
	if len(pending) == 0 && brief {
		return model.CheckResult{Status: model.CheckPass}
	}
	what := fmt.Sprintf("%s (the busiest: %d pods requesting %s CPU, %s)", list(names), reqPods, cpu(reqCPU), mem(reqMem))
	where := fmt.Sprintf("%s CPU and %s free on %s", cpu(freeCPU), mem(freeMem), plural(len(bins), "schedulable node"))
	if added > 0 {
		where += fmt.Sprintf(" (including %s)", plural(added, "new surge node"))
	}
	if len(pending) > 0 {
		fix := fmt.Sprintf("add worker capacity (more or larger nodes) or lower the pods' requests: %s CPU and %s must fit in %s CPU and %s", cpu(reqCPU), mem(reqMem), cpu(freeCPU), mem(freeMem))
		if surge == 0 {
			fix = fmt.Sprintf("set maxSurge: 1 on pool %s so that a new node joins before one is drained, or ", poolName) + fix
		}
		return model.CheckResult{Status: model.CheckFail,
			Message: fmt.Sprintf("%s: draining %s leaves %s; %s %s nowhere and %s Pending, their workloads short of replicas until a new node joins: %s",
				settings(), what, where, plural(unplaced, "pod"), verb(unplaced, "fits", "fit"), verb(unplaced, "stays", "stay"), list(pending)),
			Fix: fix}
	}
	return model.CheckResult{Status: model.CheckPass,
		Message: fmt.Sprintf("%s: the pods of %s fit in %s", settings(), what, where)}
}

// verb picks the singular or plural form for n subjects.
func verb(n int, singular, pluralForm string) string {
	if n == 1 {
		return singular
	}
	return pluralForm
}
