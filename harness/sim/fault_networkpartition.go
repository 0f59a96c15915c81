package sim

import "github.com/zdt-dev/zdt/scenarios/faults"

func init() { registerFault(faults.NetworkPartition, injectNetworkPartition) }

// injectNetworkPartition cuts nodes off the network: processes keep running, but neither the
// load balancers nor other nodes reach them, and their kubelets cannot report.
func injectNetworkPartition(c *Cluster, f *faults.Fault) (string, func()) {
	return c.onNodes(f, func(n *node) func() {
		c.beforeNodeChange(n)
		n.partitioned = true
		c.afterNodeChange(n)
		c.markPodsUnreachable(n)
		c.watchNodeHealth(n)
		return func() {
			c.beforeNodeChange(n)
			n.partitioned = false
			c.afterNodeChange(n)
			c.nodeRecovered(n)
		}
	})
}
