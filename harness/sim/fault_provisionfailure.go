package sim

import (
	"fmt"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.MachineProvisionFailure, injectProvisionFailure) }

// injectProvisionFailure makes the next machines fail to provision; the controllers replace
// them.
func injectProvisionFailure(c *Cluster, f *faults.Fault) (string, func(), error) {
	n := f.Count()
	c.w.Effects.ProvisionFails += n
	return fmt.Sprintf("the next %d machine(s) fail to provision", n), nil, nil
}
