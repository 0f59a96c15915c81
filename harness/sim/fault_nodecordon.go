package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NodeCordon, injectNodeCordon) }

// injectNodeCordon marks nodes unschedulable; when the fault ends they are schedulable again,
// unless Cluster API has cordoned them since to drain them.
func injectNodeCordon(c *Cluster, f *faults.Fault) (string, func(), error) {
	return c.onNodes(f, func(n *world.Node) func() {
		if n.Cordoned {
			return nil
		}
		c.w.Flush()
		n.Cordoned = true
		c.w.NodeChanged(n)
		return func() {
			if n.Deleting || n.Gone {
				return
			}
			n.Cordoned = false
			c.w.NodeChanged(n)
			c.w.RetryPending()
			c.w.Wake()
		}
	})
}
