package sim

import "github.com/zdt-dev/zdt/model"

// markPodsUnreachable: requests to the node's pods now go nowhere; kept-alive connections to
// them hang.
func (c *Cluster) markPodsUnreachable(n *node) {
	for _, p := range n.pods {
		p.w.route.dirty = true
	}
	c.lbDirty = true
}

// watchNodeHealth is the node lifecycle controller: a node that stops reporting is NotReady after
// the node-monitor grace period, its pods are marked not ready, and after the default
// tolerations they are evicted (deleted; they stay Terminating while the kubelet is away).
func (c *Cluster) watchNodeHealth(n *node) {
	c.clock.after(c.cal.NodeMonitorGrace.Duration, func() {
		if n.gone || (n.up && !n.partitioned && !n.kubeletDown) {
			return
		}
		c.flush()
		n.ready = false
		c.instant(model.Error, locNode(n), model.ReasonNodeNotReady, n.name+" NotReady: kubelet stopped posting status")
		for _, p := range append([]*pod(nil), n.pods...) {
			c.setReady(p, false)
		}
		c.retryPending()
		c.wake()
		c.clock.after(c.cal.PodEvictionToleration.Duration, func() {
			if n.gone || n.ready {
				return
			}
			for _, p := range append([]*pod(nil), n.pods...) {
				c.deletePod(p)
			}
		})
	})
}

// nodeRecovered: the kubelet reports again; the node is Ready.
func (c *Cluster) nodeRecovered(n *node) {
	if n.gone || !n.up || n.partitioned || n.kubeletDown {
		return
	}
	c.flush()
	if !n.ready && n.joined {
		n.ready = true
		for _, p := range append([]*pod(nil), n.pods...) {
			if p.terminating {
				c.podGone(p)
			} else if p.serving {
				c.setReady(p, true)
			}
		}
	}
	c.retryPending()
	c.wake()
}
