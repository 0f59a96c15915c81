package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	registerPost(PostCheck{Name: "system-pods-at-target", Run: systemPodsAtTarget})
}

// versionedComponents carry the Kubernetes version; etcd and CoreDNS have versions of their own.
var versionedComponents = map[string]bool{
	"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true, "kube-proxy": true,
}

// systemPodsAtTarget fails unless every kube-system component is Ready and every Kubernetes
// component runs the target version.
func systemPodsAtTarget(in *PostInput) []model.CheckResult {
	pods := in.After.SystemPods
	if len(pods) == 0 {
		return []model.CheckResult{{Status: model.CheckWarn,
			Message: "the cluster reported no kube-system component: their versions were not checked",
			Fix:     "make sure the provider lists the kube-system pods (kubectl -n kube-system get pods)"}}
	}
	var bad []string
	for _, p := range pods {
		switch {
		case !p.Ready:
			bad = append(bad, fmt.Sprintf("%s on %s (%s, not Ready)", p.Name, p.Node, p.Version))
		case versionedComponents[p.Component] && p.Version != in.Target:
			bad = append(bad, fmt.Sprintf("%s on %s (%s)", p.Name, p.Node, p.Version))
		}
	}
	if len(bad) > 0 {
		return []model.CheckResult{{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%d of %d system pods not Ready at %s: %s", len(bad), len(pods), in.Target, list(bad)),
			Fix:     "look at those pods (kubectl -n kube-system describe pod) and at the static pod manifests or DaemonSets that should have moved them to the target version",
		}}
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("all %d system pods Ready, Kubernetes components at %s", len(pods), in.Target),
	}}
}
