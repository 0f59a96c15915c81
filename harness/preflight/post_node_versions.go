package preflight

import (
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "nodes-at-target", Run: nodesAtTarget})
}

// nodesAtTarget fails unless every node is Ready at the target version.
func nodesAtTarget(in *PostInput) []model.CheckResult {
	var bad []string
	for _, n := range in.After.Nodes {
		if !n.Ready || n.Version != in.Target {
			state := "Ready"
			if !n.Ready {
				state = "NotReady"
			}
			bad = append(bad, fmt.Sprintf("%s (%s, %s)", n.Name, n.Version, state))
		}
	}
	if len(bad) > 0 {
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%d of %d nodes not Ready at %s: %s", len(bad), len(in.After.Nodes), in.Target, strings.Join(bad, ", ")),
			Fix:     "look at the Machines that did not roll (kubectl get machines -o wide) and their conditions",
		}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("all %d nodes Ready at %s", len(in.After.Nodes), in.Target),
	}}
}
