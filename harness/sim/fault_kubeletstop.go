package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.KubeletStop, injectKubeletStop) }

// injectKubeletStop stops the kubelet: the node's pods keep serving, but the node stops
// reporting, goes NotReady after the grace period, and no pod on it can be stopped.
func injectKubeletStop(c *Cluster, f *faults.Fault) (string, func(), error) {
	return c.onNodes(f, func(n *world.Node) func() {
		n.KubeletDown = true
		c.w.WatchNodeHealth(n)
		return func() {
			n.KubeletDown = false
			c.w.NodeRecovered(n)
		}
	})
}
