package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NodeCrash, injectNodeCrash) }

// injectNodeCrash powers nodes off: nothing on them answers, kept-alive connections to their
// pods hang, and the node lifecycle controller takes over. When the fault ends, the machine
// reboots and its containers start again.
func injectNodeCrash(c *Cluster, f *faults.Fault) (string, func(), error) {
	return c.onNodes(f, func(n *world.Node) func() {
		c.w.PowerOff(n)
		return func() { c.w.Reboot(n) }
	})
}
