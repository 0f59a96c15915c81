package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "control-plane-redundancy", Run: controlPlaneRedundancy})
}

// controlPlaneRedundancy warns when the control plane cannot lose a member without losing the
// API: with one node, every replacement and apiserver restart is an outage and etcd has no
// copy; with two, etcd's quorum needs both. The upgrade may still pass (the replacement is
// added before the old machine goes), so this warns rather than fails: api-downtime judges what
// happened.
func controlPlaneRedundancy(in *Input) []model.CheckResult {
	cp := 0
	for _, n := range in.Inventory.Nodes {
		if n.Role == model.RoleControlPlane {
			cp++
		}
	}
	switch {
	case cp == 0:
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: "no control plane node in the inventory: the API's redundancy cannot be checked (a managed control plane?)",
			Fix:     "check that the provider's control plane runs 3 or more apiservers behind its endpoint"}}
	case cp == 1:
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: "1 control plane node: the Kubernetes API has no redundancy. While its machine is replaced, or its apiserver restarts, nothing else serves the API, and etcd has a single member: losing that node loses the cluster's state",
			Fix:     "run 3 control plane replicas (spec.cluster.controlPlane.replicas: 3, KubeadmControlPlane replicas: 3) behind the API load balancer"}}
	case cp%2 == 0:
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: fmt.Sprintf("%d control plane nodes: etcd's quorum is %d, so it tolerates no more failures than %d nodes would, and a rollout that adds a member first has an even count again", cp, cp/2+1, cp-1),
			Fix:     fmt.Sprintf("run an odd number of control plane replicas (%d)", cp+1)}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{Status: model.CheckPass,
		Message: fmt.Sprintf("%d control plane nodes: the API and etcd survive the loss of %d", cp, (cp-1)/2)}}
}
