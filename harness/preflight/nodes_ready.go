package preflight

import (
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "nodes-ready", Run: nodesReady})
}

// nodesReady fails when any node is NotReady or cordoned: an upgrade starts from a healthy
// cluster. Draining around a sick node hides its cause and removes capacity the upgrade needs; a
// cordoned node is someone's maintenance, or a drain that never finished, and its capacity is
// missing while the upgrade drains the others.
func nodesReady(in *Input) []model.CheckResult {
	var notReady, cordoned []string
	for _, n := range in.Inventory.Nodes {
		switch {
		case !n.Ready:
			notReady = append(notReady, n.Name)
		case n.Unschedulable:
			cordoned = append(cordoned, n.Name)
		}
	}
	var out []model.CheckResult
	if len(notReady) > 0 {
		out = append(out, model.CheckResult{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%d of %d nodes NotReady before the upgrade: %s", len(notReady), len(in.Inventory.Nodes), strings.Join(notReady, ", ")),
			Fix:     "repair or replace the NotReady nodes (kubectl describe node) before upgrading",
		})
	}
	if len(cordoned) > 0 {
		out = append(out, model.CheckResult{
			Status: model.CheckFail,
			Message: fmt.Sprintf("%d of %d nodes cordoned before the upgrade: %s (a maintenance in progress, or a drain that never finished; their capacity is missing while the upgrade drains the others)",
				len(cordoned), len(in.Inventory.Nodes), strings.Join(cordoned, ", ")),
			Fix: "finish the maintenance and uncordon the nodes (kubectl uncordon), or delete their machines, before upgrading",
		})
	}
	if m := in.Inventory.MachinesWithoutNode; len(m) > 0 {
		out = append(out, model.CheckResult{
			Status: model.CheckFail,
			Message: fmt.Sprintf("%d machine(s) not matched to a Node by Cluster API (no status.nodeRef): %s. The rollout waits for them, and deletes a Machine without a nodeRef without draining it: the pods of its node are killed, not evicted",
				len(m), strings.Join(m, ", ")),
			Fix: "wait until every Machine has a nodeRef (kubectl get machines -o wide); a Node without spec.providerID is not matched: check the infrastructure provider's logs",
		})
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("all %d nodes Ready and schedulable", len(in.Inventory.Nodes)),
	}}
}
