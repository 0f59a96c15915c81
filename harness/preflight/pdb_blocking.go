package preflight

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "pdb-blocking-drain", Run: pdbBlockingDrain})
}

// pdbBlockingDrain fails for every PodDisruptionBudget that would stall a drain for ever (no
// disruption allowed, minAvailable at or above the replicas, maxUnavailable 0), for PDBs that
// select no pod, and for pods selected by several PDBs, which the eviction API refuses to evict.
func pdbBlockingDrain(in *Input) []model.CheckResult {
	replicas := map[string]int{}
	for _, w := range in.Inventory.Workloads {
		replicas[w.Name] = w.Replicas
	}
	var out []model.CheckResult
	fail := func(msg, fix string) {
		out = append(out, model.CheckResult{Status: model.CheckFail, Message: msg, Fix: fix})
	}
	pdbsOf := map[string][]string{}
	for _, b := range in.Inventory.PDBs {
		expected := b.ExpectedPods
		if expected == 0 {
			for _, w := range b.Workloads {
				expected += replicas[w]
			}
		}
		if len(b.Workloads) == 0 || expected == 0 {
			fail(fmt.Sprintf("PDB %s selects no pod: it protects nothing, and the workload it was meant for can lose every replica in one drain", b.Name),
				fmt.Sprintf("make spec.selector of PDB %s match the labels of the pods it protects (kubectl get pods -l ...), or delete it", b.Name))
			continue
		}
		for _, w := range b.Workloads {
			pdbsOf[w] = append(pdbsOf[w], b.Name)
		}
		pods := func() string { return plural(expected, "pod") + " of " + strings.Join(b.Workloads, ", ") }
		switch {
		case b.MinAvailable != "" && atLeast(b.MinAvailable, expected):
			fail(fmt.Sprintf("PDB %s has minAvailable %s for %s: no pod may ever be evicted, so every drain of a node running one stalls until nodeDrainTimeout (for ever by default)", b.Name, b.MinAvailable, pods()),
				minAvailableFix(b.Name, b.MinAvailable, expected))
		case b.MaxUnavailable != "" && atMost0(b.MaxUnavailable, expected):
			fail(fmt.Sprintf("PDB %s has maxUnavailable %s for %s: no pod may ever be evicted, so every drain of a node running one stalls until nodeDrainTimeout (for ever by default)", b.Name, b.MaxUnavailable, pods()),
				fmt.Sprintf("set maxUnavailable: 1 on PDB %s (with at least 2 replicas)", b.Name))
		case b.DisruptionsAllowed <= 0:
			fail(fmt.Sprintf("PDB %s allows 0 disruptions now (%d healthy of %s, %d needed): every eviction answers 429 and the drain stalls", b.Name, b.CurrentHealthy, pods(), b.DesiredHealthy),
				fmt.Sprintf("make the pods of %s Ready before upgrading (kubectl describe pods), or set unhealthyPodEvictionPolicy: AlwaysAllow on PDB %s so that drains may evict the unhealthy ones", strings.Join(b.Workloads, ", "), b.Name))
		}
	}
	workloads := make([]string, 0, len(pdbsOf))
	for w := range pdbsOf {
		workloads = append(workloads, w)
	}
	sort.Strings(workloads)
	for _, w := range workloads {
		if names := pdbsOf[w]; len(names) > 1 {
			fail(fmt.Sprintf("the pods of %s are selected by %d PDBs (%s): the eviction API refuses to evict them (500: more than one PodDisruptionBudget) and the drain stalls", w, len(names), strings.Join(names, ", ")),
				fmt.Sprintf("keep one PDB per pod: merge %s into one, or make their selectors disjoint", strings.Join(names, " and ")))
		}
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("%s, each selecting pods, allowing a disruption, and no pod under two", plural(len(in.Inventory.PDBs), "PDB")),
	}}
}

// minAvailableFix says how to lower a minAvailable that requires every pod.
func minAvailableFix(pdb, minAvailable string, expected int) string {
	fix := fmt.Sprintf("lower minAvailable of PDB %s so that it stays below the %d pods it selects, or use maxUnavailable: 1 instead", pdb, expected)
	if !strings.HasSuffix(minAvailable, "%") {
		fix += fmt.Sprintf(", or run more than %s replicas", minAvailable)
	}
	return fix
}

// atLeast reports whether minAvailable (an int or a percent, rounded up as Kubernetes does)
// requires every one of expected pods.
func atLeast(minAvailable string, expected int) bool {
	v := intstr.Parse(minAvailable)
	n, err := intstr.GetScaledValueFromIntOrPercent(&v, expected, true)
	return err == nil && n >= expected
}

// atMost0 reports whether maxUnavailable (rounded up as Kubernetes does) allows no pod down.
func atMost0(maxUnavailable string, expected int) bool {
	v := intstr.Parse(maxUnavailable)
	n, err := intstr.GetScaledValueFromIntOrPercent(&v, expected, true)
	return err == nil && n <= 0
}
