package harness

import (
	"fmt"

	"github.com/zdt-dev/zdt/scenarios"
)

// Plan turns the scenario's versions into the list of versions the cluster goes through, one
// minor at a time as the version skew policy requires: v1.35.2 -> v1.37.2 gives
// [v1.35.2 v1.36.0 v1.37.2] (or the patch named in versions.via for v1.36).
func Plan(v scenarios.Versions) ([]string, error) {
	from, err := scenarios.ParseVersion(v.From)
	if err != nil {
		return nil, fmt.Errorf("spec.versions.from: %w", err)
	}
	to, err := scenarios.ParseVersion(v.To)
	if err != nil {
		return nil, fmt.Errorf("spec.versions.to: %w", err)
	}
	via := map[uint]string{}
	for _, s := range v.Via {
		vv, err := scenarios.ParseVersion(s)
		if err != nil {
			return nil, fmt.Errorf("spec.versions.via: %w", err)
		}
		via[vv.Minor()] = s
	}
	plan := []string{v.From}
	for minor := from.Minor() + 1; minor < to.Minor(); minor++ {
		step, ok := via[minor]
		if !ok {
			step = fmt.Sprintf("v%d.%d.0", from.Major(), minor)
		}
		plan = append(plan, step)
	}
	return append(plan, v.To), nil
}
