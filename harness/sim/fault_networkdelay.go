package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NetworkDelay, injectNetworkDelay) }

// injectNetworkDelay delays every packet leaving the nodes: requests whose path crosses them
// are late by world.PathDelay.
func injectNetworkDelay(c *Cluster, f *faults.Fault) (string, func(), error) {
	d := f.Extra()
	return c.onNodes(f, func(n *world.Node) func() {
		c.w.Flush()
		n.ExtraDelay += d
		c.w.Effects.DelayedNodes++
		return func() {
			c.w.Flush()
			n.ExtraDelay -= d
			c.w.Effects.DelayedNodes--
		}
	})
}
