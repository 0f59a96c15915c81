package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/harness/audit"
	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "removed-apis", Run: removedAPIs})
}

// removedAPIs fails when an object of the cluster, of the scenario's manifests (spec.manifests,
// --manifests), or an API the API server saw requests for uses an API the target version no
// longer serves (applying it fails once the control plane is there), and warns for APIs the
// target deprecates.
func removedAPIs(in *Input) []model.CheckResult {
	if len(in.Plan) == 0 {
		return []model.CheckResult{{Status: model.CheckFail, Message: "no target version to check APIs against", Fix: "set spec.versions.to"}}
	}
	target := in.Plan[len(in.Plan)-1]
	minor, err := audit.ParseTarget(target)
	if err != nil {
		return []model.CheckResult{{Status: model.CheckFail, Message: err.Error(), Fix: "write spec.versions.to as v1.36.3"}}
	}
	objects := append(append([]model.ObjectRef(nil), in.Inventory.Objects...), in.Scenario.Objects...)
	findings := audit.Check(minor, objects)
	var removed, deprecated []string
	for _, f := range findings {
		o := f.Object
		name := o.Name
		if o.Namespace != "" {
			name = o.Namespace + "/" + o.Name
		}
		src := ""
		if o.Source != "" {
			src = " in " + o.Source
		}
		if f.Status == audit.Removed {
			removed = append(removed, fmt.Sprintf("%s %s %s%s (removed in %s; use %s)", o.APIVersion, o.Kind, name, src, audit.Version(f.RemovedIn), f.Replacement))
		} else {
			deprecated = append(deprecated, fmt.Sprintf("%s %s %s%s (deprecated in %s; use %s)", o.APIVersion, o.Kind, name, src, audit.Version(f.DeprecatedIn), f.Replacement))
		}
	}
	var out []model.CheckResult
	if len(removed) > 0 {
		out = append(out, model.CheckResult{
			Status:  model.CheckFail,
			Message: fmt.Sprintf("%s %s APIs %s no longer serves, so applying them fails once the control plane is upgraded: %s", plural(len(removed), "object"), verb(len(removed), "uses", "use"), target, list(removed)),
			Fix:     fmt.Sprintf("rewrite these objects with the replacement API (kubectl convert --output-version), apply them, and check the manifests with zdt audit --to %s", audit.Version(minor)),
		})
	}
	if len(deprecated) > 0 {
		out = append(out, model.CheckResult{
			Status:  model.CheckWarn,
			Message: fmt.Sprintf("%s %s APIs %s deprecates: a later release will stop serving them: %s", plural(len(deprecated), "object"), verb(len(deprecated), "uses", "use"), target, list(deprecated)),
			Fix:     "move these objects to the replacement API before the release that removes it",
		})
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	msg := fmt.Sprintf("none of %s (%d in the cluster, %d in the scenario's manifests) uses an API %s deprecates or removes",
		plural(len(objects), "object"), len(in.Inventory.Objects), len(in.Scenario.Objects), target)
	if in.Inventory.APIUseUnread != "" {
		msg += "; the API server's record of deprecated API use could not be read (" + in.Inventory.APIUseUnread + ")"
	}
	return []model.CheckResult{{Status: model.CheckPass, Message: msg}}
}
