package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.APIServerRestart, injectAPIServerRestart) }

// injectAPIServerRestart restarts apiservers: each is stopped for the fault's duration, then
// starts again, which takes the calibrated apiserver start time, while its load balancer still
// sends to it until the health checks notice. This is what a real restart does: on kind, an API
// server stopped for 20 s answered again 18.6 s after it was started.
func injectAPIServerRestart(c *Cluster, f *faults.Fault) (string, func(), error) {
	down := f.Length() + c.w.Cal.APIServerStart.Duration
	target := *f
	target.Target.Node = f.Node()
	msg, _, err := c.onNodes(&target, func(n *world.Node) func() {
		c.w.BeforeNodeChange(n)
		n.APIServerUp = false
		c.w.AfterNodeChange(n)
		c.w.APIChanged()
		c.w.Clock.After(down, func() {
			if n.Gone || n.Deleting || !n.Up {
				return
			}
			c.w.BeforeNodeChange(n)
			n.APIServerUp = true
			c.w.AfterNodeChange(n)
			c.w.APIChanged()
		})
		return nil
	})
	return msg, nil, err
}
