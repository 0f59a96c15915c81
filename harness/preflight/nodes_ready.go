package preflight

import (
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "nodes-ready", Run: nodesReady})
}

// nodesReady fails when any node is NotReady: draining around a sick node hides its cause and
// removes capacity the upgrade needs.
func nodesReady(in *Input) []model.CheckResult {
	var notReady []string
	for _, n := range in.Inventory.Nodes {
		if !n.Ready {
			notReady = append(notReady, n.Name)
		}
	}
	if len(notReady) > 0 {
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%d of %d nodes NotReady: %s", len(notReady), len(in.Inventory.Nodes), strings.Join(notReady, ", ")),
			Fix:     "repair or replace the NotReady nodes (kubectl describe node) before upgrading",
		}}
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("all %d nodes Ready", len(in.Inventory.Nodes)),
	}}
}
