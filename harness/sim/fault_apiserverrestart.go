package sim

import "github.com/zdt-dev/zdt/scenarios/faults"

func init() { registerFault(faults.APIServerRestart, injectAPIServerRestart) }

// injectAPIServerRestart restarts apiservers: each is down for the fault's duration (default:
// the calibrated apiserver start time) while its load balancer still sends to it until the
// health checks notice.
func injectAPIServerRestart(c *Cluster, f *faults.Fault) (string, func()) {
	down := c.cal.APIServerStart.Duration
	if f.Length() > 0 {
		down = f.Length()
	}
	target := *f
	if target.Target.Node == "" {
		target.Target.Node = "control-plane"
	}
	msg, _ := c.onNodes(&target, func(n *node) func() {
		c.beforeNodeChange(n)
		n.apiserverUp = false
		c.afterNodeChange(n)
		c.apiChanged()
		c.clock.after(down, func() {
			if n.gone || n.deleting || !n.up {
				return
			}
			c.beforeNodeChange(n)
			n.apiserverUp = true
			c.afterNodeChange(n)
			c.apiChanged()
		})
		return nil
	})
	return msg, nil
}
