package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NetworkPartition, injectNetworkPartition) }

// injectNetworkPartition cuts nodes off the network: processes keep running, but neither the
// load balancers nor other nodes reach them, and their kubelets cannot report.
func injectNetworkPartition(c *Cluster, f *faults.Fault) (string, func(), error) {
	return c.onNodes(f, func(n *world.Node) func() {
		c.w.BeforeNodeChange(n)
		n.Partitioned = true
		c.w.AfterNodeChange(n)
		c.w.MarkPodsUnreachable(n)
		c.w.WatchNodeHealth(n)
		return func() {
			c.w.BeforeNodeChange(n)
			n.Partitioned = false
			c.w.AfterNodeChange(n)
			c.w.NodeRecovered(n)
		}
	})
}
