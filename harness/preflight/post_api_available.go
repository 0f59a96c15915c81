package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "api-available", Run: apiAvailable})
}

// apiAvailable fails unless the Kubernetes API answers after the upgrade, at the target version.
func apiAvailable(in *PostInput) []model.CheckResult {
	switch {
	case !in.After.APIAvailable:
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: "the Kubernetes API does not answer after the upgrade",
			Fix:     "check the API load balancer and the kube-apiserver static pods on the control plane nodes (crictl ps, crictl logs)",
		}}
	case in.After.APIServerVersion != in.Target:
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("the Kubernetes API answers %s, not the target %s", in.After.APIServerVersion, in.Target),
			Fix:     "look at the KubeadmControlPlane's Machines: some control plane node still runs the old version",
		}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{Status: model.CheckPass, Message: "the Kubernetes API answers at " + in.Target}}
}
