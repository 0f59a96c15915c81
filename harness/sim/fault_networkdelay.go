package sim

import "github.com/zdt-dev/zdt/scenarios"

func init() { registerFault(scenarios.FaultNetworkDelay, injectNetworkDelay) }

// injectNetworkDelay adds latency to requests answered by pods on the nodes.
func injectNetworkDelay(c *Cluster, f *scenarios.Fault) (string, func()) {
	d := faultDelay(f)
	return c.onNodes(f, func(n *node) func() {
		n.extraDelay += d
		return func() { n.extraDelay -= d }
	})
}
