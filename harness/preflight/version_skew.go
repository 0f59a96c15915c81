package preflight

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "version-skew", Run: versionSkew})
}

// maxKubeletSkew is how many minors a kubelet may be older than the API server (Kubernetes
// version skew policy, since v1.28).
const maxKubeletSkew = 3

// controlPlaneComponents must run the API server's minor before an upgrade starts.
var controlPlaneComponents = map[string]bool{
	"kube-apiserver": true, "kube-controller-manager": true, "kube-scheduler": true,
}

// versionSkew fails when the plan skips a minor or goes backwards, when the cluster does not run
// the plan's "from" version, when control plane components differ in minor, or when a kubelet is
// newer than the API server or would be more than three minors older than it at a step of the plan.
func versionSkew(in *Input) []model.CheckResult {
	var out []model.CheckResult
	fail := func(msg, fix string) {
		out = append(out, model.CheckResult{Status: model.CheckFail, Message: msg, Fix: fix})
	}
	// Most nodes and components run one version or two: each is parsed once.
	var lastS string
	var lastV *version.Version
	parseVersion := func(s string) (*version.Version, error) {
		if lastV != nil && s == lastS {
			return lastV, nil
		}
		v, err := parseVersion(s)
		if err == nil {
			lastS, lastV = s, v
		}
		return v, err
	}
	if len(in.Plan) < 2 {
		fail(fmt.Sprintf("the plan %v has no target version", in.Plan), "set spec.versions.from and spec.versions.to")
		return out
	}
	plan := make([]*version.Version, len(in.Plan))
	for i, s := range in.Plan {
		v, err := parseVersion(s)
		if err != nil {
			fail(fmt.Sprintf("the plan's step %d: %v", i, err), "write versions as v1.36.3 in spec.versions")
			return out
		}
		plan[i] = v
	}

	// The plan: one minor at a time, forwards only.
	for i := 1; i < len(plan); i++ {
		prev, cur := plan[i-1], plan[i]
		step := in.Plan[i-1] + " -> " + in.Plan[i]
		switch {
		case cur.Major() != prev.Major():
			fail(fmt.Sprintf("step %s changes the major version", step), "upgrade within one major version")
		case !prev.LessThan(cur):
			fail(fmt.Sprintf("step %s does not go forwards: Kubernetes does not support downgrades", step),
				"set spec.versions.to newer than spec.versions.from; restore the etcd snapshot to go back")
		case cur.Minor()-prev.Minor() > 1:
			fail(fmt.Sprintf("step %s skips %d minor(s): kubeadm and the version skew policy allow one minor per step", step, cur.Minor()-prev.Minor()-1),
				"upgrade one minor at a time: name the patch of each intermediate minor in spec.versions.via (zdt plans v1.X.0 otherwise)")
		}
	}

	// The cluster must run what the plan starts from.
	api, err := parseVersion(in.Inventory.APIServerVersion)
	if err != nil {
		fail(fmt.Sprintf("the API server's version cannot be read: %v", err), "check that the API server answers /version")
		return out
	}
	from := plan[0]
	if api.Major() != from.Major() || api.Minor() != from.Minor() || api.Patch() != from.Patch() {
		fail(fmt.Sprintf("the plan starts from %s but the API server runs %s", in.Plan[0], in.Inventory.APIServerVersion),
			fmt.Sprintf("set spec.versions.from to %s, or bring the control plane to %s before upgrading", in.Inventory.APIServerVersion, in.Plan[0]))
	}

	// Control plane components at one minor.
	var mixed []string
	for _, p := range in.Inventory.SystemPods {
		if !controlPlaneComponents[p.Component] {
			continue
		}
		v, err := parseVersion(p.Version)
		if err != nil || v.Major() != api.Major() || v.Minor() != api.Minor() {
			mixed = append(mixed, fmt.Sprintf("%s on %s (%s)", p.Component, p.Node, p.Version))
		}
	}
	if len(mixed) > 0 {
		fail(fmt.Sprintf("control plane components not at the API server's minor %s: %s", minorOf(api), list(mixed)),
			"finish the previous control plane upgrade first (kubectl get kubeadmcontrolplane, and the Machines still at the old version)")
	}

	// Kubelets: never newer than the API server, at most three minors older at every step.
	// The control plane of a step is upgraded before the pools, so the widest skew of the upgrade
	// is between the first step's control plane and the nodes as they are now.
	firstStep := plan[1]
	var newer, tooOld, tooOldAtStep []string
	for _, n := range in.Inventory.Nodes {
		v, err := parseVersion(n.Version)
		if err != nil {
			fail(fmt.Sprintf("node %s: kubelet %v", n.Name, err), "check the node's kubelet (kubectl get node -o wide)")
			continue
		}
		desc := func() string { return n.Name + " (" + n.Version + ")" }
		switch {
		case v.Minor() > api.Minor():
			newer = append(newer, desc())
		case int(api.Minor())-int(v.Minor()) > maxKubeletSkew:
			tooOld = append(tooOld, desc())
		case int(firstStep.Minor())-int(v.Minor()) > maxKubeletSkew:
			tooOldAtStep = append(tooOldAtStep, desc())
		}
	}
	if len(newer) > 0 {
		fail(fmt.Sprintf("kubelet newer than the API server (%s) on %s: the version skew policy forbids it", in.Inventory.APIServerVersion, list(newer)),
			"upgrade the control plane before these nodes, or replace them with nodes at the control plane's version")
	}
	if len(tooOld) > 0 {
		fail(fmt.Sprintf("kubelet more than %d minors older than the API server (%s) on %s", maxKubeletSkew, in.Inventory.APIServerVersion, list(tooOld)),
			fmt.Sprintf("upgrade these nodes to %s or later before upgrading the control plane", fmt.Sprintf("v%d.%d", api.Major(), int(api.Minor())-maxKubeletSkew)))
	}
	if len(tooOldAtStep) > 0 {
		fail(fmt.Sprintf("once the control plane is at %s, kubelets on %s would be more than %d minors older than it", in.Plan[1], list(tooOldAtStep), maxKubeletSkew),
			fmt.Sprintf("upgrade these nodes to v%d.%d or later before starting this upgrade", firstStep.Major(), int(firstStep.Minor())-maxKubeletSkew))
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status: model.CheckPass,
		Message: fmt.Sprintf("plan %s goes one minor at a time from the API server's %s; %s within the kubelet skew policy",
			strings.Join(in.Plan, " -> "), in.Inventory.APIServerVersion, plural(len(in.Inventory.Nodes), "kubelet")),
	}}
}
