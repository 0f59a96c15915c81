package sim

import (
	"fmt"

	"github.com/zdt-dev/zdt/scenarios"
)

func init() { registerFault(scenarios.FaultProvisionSlowness, injectProvisionSlowness) }

// injectProvisionSlowness makes machines created during the fault take longer to provision.
func injectProvisionSlowness(c *Cluster, f *scenarios.Fault) (string, func()) {
	d := faultDelay(f)
	c.faults.provisionSlow += d
	return fmt.Sprintf("machines take %s longer to provision", d), func() { c.faults.provisionSlow -= d }
}
