package sim

import (
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.NodeCrash, injectNodeCrash) }

// injectNodeCrash powers nodes off: nothing on them answers, kept-alive connections to their
// pods hang, and the node lifecycle controller takes over. When the fault ends, the machine
// reboots and its containers start again.
func injectNodeCrash(c *Cluster, f *faults.Fault) (string, func()) {
	return c.onNodes(f, func(n *node) func() {
		c.beforeNodeChange(n)
		n.up, n.apiserverUp = false, false
		c.afterNodeChange(n)
		if n.role == model.RoleControlPlane {
			c.apiChanged()
		}
		c.markPodsUnreachable(n)
		c.watchNodeHealth(n)
		return func() { c.rebootNode(n) }
	})
}

// rebootNode brings a crashed node back: terminating pods are cleaned up, the others restart.
func (c *Cluster) rebootNode(n *node) {
	if n.gone {
		return
	}
	c.beforeNodeChange(n)
	n.up = true
	n.apiserverUp = n.role == model.RoleControlPlane
	c.afterNodeChange(n)
	if n.role == model.RoleControlPlane {
		c.apiChanged()
	}
	for _, p := range append([]*pod(nil), n.pods...) {
		if p.terminating {
			c.podGone(p)
			continue
		}
		p.gen++
		p.exited, p.serving, p.started = false, false, false
		c.setReady(p, false)
		gen := p.gen
		c.clock.after(c.cal.ContainerStart.Duration, func() {
			if p.gen == gen && n.reachable() {
				c.containerStarted(p)
			}
		})
	}
	c.nodeRecovered(n)
}
