package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "workloads-available", Run: workloadsAvailable})
}

// workloadsAvailable fails unless every workload present before the upgrade is back to its
// desired replicas, all Ready.
func workloadsAvailable(in *PostInput) []model.CheckResult {
	after := map[string]model.WorkloadInfo{}
	for _, w := range in.After.Workloads {
		after[w.Name] = w
	}
	var bad []string
	for _, b := range in.Before.Workloads {
		a, ok := after[b.Name]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%s (gone)", b.Name))
		case a.Replicas < b.Replicas:
			bad = append(bad, fmt.Sprintf("%s (%d replicas desired, %d before)", b.Name, a.Replicas, b.Replicas))
		case a.ReadyReplicas < a.Replicas:
			bad = append(bad, fmt.Sprintf("%s (%d of %d Ready)", b.Name, a.ReadyReplicas, a.Replicas))
		}
	}
	if len(bad) > 0 {
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%d of %d workloads not back to their desired replicas: %s", len(bad), len(in.Before.Workloads), list(bad)),
			Fix:     "look at their pods (kubectl get pods -o wide; kubectl describe pod): Pending pods lack capacity, pods not Ready fail their probe on the new nodes",
		}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("all %s back to their desired replicas and Ready", plural(len(in.Before.Workloads), "workload")),
	}}
}
