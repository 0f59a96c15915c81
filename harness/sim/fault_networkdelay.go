package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NetworkDelay, injectNetworkDelay) }

// injectNetworkDelay adds latency to requests answered by pods on the nodes.
func injectNetworkDelay(c *Cluster, f *faults.Fault) (string, func(), error) {
	d := f.Extra()
	return c.onNodes(f, func(n *world.Node) func() {
		n.ExtraDelay += d
		return func() { n.ExtraDelay -= d }
	})
}
