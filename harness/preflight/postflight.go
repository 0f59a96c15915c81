package preflight

import (
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// PostInput is what a postflight check looks at.
type PostInput struct {
	// Before is the inventory taken in preflight (the baseline); After the one taken at the end.
	Before, After *model.Inventory
	Scenario      *scenarios.Scenario
	// Target is the version the upgrade ended at.
	Target string
	// Brief is Input.Brief.
	Brief bool
}

// PostCheck is one postflight check. Each lives in its own file.
type PostCheck struct {
	Name string
	Run  func(in *PostInput) []model.CheckResult
}

var postRegistry []PostCheck

func registerPost(c PostCheck) { postRegistry = append(postRegistry, c) }

// PostChecks returns every postflight check, in the order they run.
func PostChecks() []PostCheck { return append([]PostCheck(nil), postRegistry...) }

// RunPostflight runs every postflight check.
func RunPostflight(in *PostInput) []model.CheckResult {
	var out []model.CheckResult
	for _, c := range postRegistry {
		for _, r := range c.Run(in) {
			if r.Name == "" {
				r.Name = c.Name
			}
			out = append(out, r)
		}
	}
	return out
}
