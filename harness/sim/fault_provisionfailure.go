package sim

import (
	"fmt"

	"github.com/zdt-dev/zdt/scenarios"
)

func init() { registerFault(scenarios.FaultProvisionFailure, injectProvisionFailure) }

// injectProvisionFailure makes the next machines fail to provision; the controllers replace
// them.
func injectProvisionFailure(c *Cluster, f *scenarios.Fault) (string, func()) {
	n := int(*f.Target.Count)
	c.faults.provisionFails += n
	return fmt.Sprintf("the next %d machine(s) fail to provision", n), nil
}
