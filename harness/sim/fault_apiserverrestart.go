package sim

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.APIServerRestart, injectAPIServerRestart) }

// injectAPIServerRestart restarts apiservers: each is down for the fault's duration (default:
// the calibrated apiserver start time) while its load balancer still sends to it until the
// health checks notice.
func injectAPIServerRestart(c *Cluster, f *faults.Fault) (string, func(), error) {
	down := c.w.Cal.APIServerStart.Duration
	if f.Length() > 0 {
		down = f.Length()
	}
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
