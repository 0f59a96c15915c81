package sim

import "github.com/zdt-dev/zdt/scenarios/faults"

func init() { registerFault(faults.NetworkDelay, injectNetworkDelay) }

// injectNetworkDelay adds latency to requests answered by pods on the nodes.
func injectNetworkDelay(c *Cluster, f *faults.Fault) (string, func()) {
	d := f.Extra()
	return c.onNodes(f, func(n *node) func() {
		n.extraDelay += d
		return func() { n.extraDelay -= d }
	})
}
