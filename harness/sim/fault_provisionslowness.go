package sim

import (
	"fmt"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.MachineProvisionSlowness, injectProvisionSlowness) }

// injectProvisionSlowness makes machines created during the fault take longer to provision.
func injectProvisionSlowness(c *Cluster, f *faults.Fault) (string, func(), error) {
	d := f.Extra()
	c.w.Effects.ProvisionSlow += d
	return fmt.Sprintf("machines take %s longer to provision", d), func() { c.w.Effects.ProvisionSlow -= d }, nil
}
