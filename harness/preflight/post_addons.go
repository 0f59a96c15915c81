package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "addons-healthy", Run: addonsHealthy})
}

// addonsHealthy fails when a CNI, CSI or ingress add-on is unhealthy after the upgrade.
func addonsHealthy(in *PostInput) []model.CheckResult {
	addons := in.After.Addons
	if len(addons) == 0 {
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: "the cluster reported no CNI, CSI or ingress add-on: their health was not checked",
			Fix:     "make sure the provider reports the cluster's add-ons and their health"}}
	}
	var out []model.CheckResult
	for _, a := range addons {
		if a.Healthy {
			continue
		}
		msg := fmt.Sprintf("%s %s is unhealthy after the upgrade", a.Kind, a.Name)
		if a.Message != "" {
			msg += ": " + a.Message
		}
		out = append(out, model.CheckResult{
			Status:  model.CheckFail,
			Message: msg,
			Fix:     fmt.Sprintf("check that the %s version supports the new Kubernetes version and look at its pods' logs", a.Name),
		})
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{Status: model.CheckPass, Message: fmt.Sprintf("all %s healthy", plural(len(addons), "add-on"))}}
}
