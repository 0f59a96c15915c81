package preflight

import (
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// Input is what a preflight check looks at.
type Input struct {
	// Inventory is the cluster as read before the upgrade.
	Inventory *model.Inventory
	// Scenario is the scenario being run.
	Scenario *scenarios.Scenario
	// Plan is the versions the cluster will go through, "from" first.
	Plan []string
	// Brief says that no passing check's message is read (a sweep judges each run by its
	// verdict): a check may leave it out rather than format it.
	Brief bool
}

// Check is one preflight check. Each lives in its own file.
type Check struct {
	// Name identifies the check in reports and in spec.preflight.ignore.
	Name string
	// Run returns the check's results (usually one).
	Run func(in *Input) []model.CheckResult
}

// briefPass is a passing check's result without its message (Input.Brief).
func briefPass() []model.CheckResult { return []model.CheckResult{{Status: model.CheckPass}} }

// registry holds every preflight check, in the order they run.
var registry []Check

func register(c Check) { registry = append(registry, c) }

// Checks returns every preflight check, in the order they run.
func Checks() []Check { return append([]Check(nil), registry...) }

// Run runs every preflight check. Failures of checks named in the scenario's
// spec.preflight.ignore become warnings that say so.
func Run(in *Input) []model.CheckResult {
	ignored := map[string]bool{}
	if p := in.Scenario.Spec.Preflight; p != nil {
		for _, n := range p.Ignore {
			ignored[n] = true
		}
	}
	var out []model.CheckResult
	for _, c := range registry {
		for _, r := range c.Run(in) {
			if r.Name == "" {
				r.Name = c.Name
			}
			if r.Status == model.CheckFail && ignored[c.Name] {
				r.Status = model.CheckWarn
				r.Message = "ignored by spec.preflight.ignore: " + r.Message
			}
			out = append(out, r)
		}
	}
	return out
}
