package world

import "github.com/zdt-dev/zdt/model"

// MarkPodsUnreachable: requests to the node's pods now go nowhere; kept-alive connections to
// them hang.
func (c *World) MarkPodsUnreachable(n *Node) {
	for _, p := range n.Pods {
		p.W.Route.Dirty = true
	}
	c.LBDirty = true
}

// WatchNodeHealth is the node lifecycle controller: a node that stops reporting is NotReady after
// the node-monitor grace period, its pods are marked not ready, and after the default
// tolerations they are evicted (deleted; they stay Terminating while the kubelet is away).
func (c *World) WatchNodeHealth(n *Node) {
	c.Clock.After(c.Cal.NodeMonitorGrace.Duration, func() {
		if n.Gone || (n.Up && !n.Partitioned && !n.KubeletDown) {
			return
		}
		c.Flush()
		n.Ready = false
		c.Instant(model.Error, LocNode(n), model.ReasonNodeNotReady, n.Name+" NotReady: kubelet stopped posting status")
		for _, p := range append([]*Pod(nil), n.Pods...) {
			c.SetReady(p, false)
		}
		c.RetryPending()
		c.Wake()
		c.Clock.After(c.Cal.PodEvictionToleration.Duration, func() {
			if n.Gone || n.Ready {
				return
			}
			for _, p := range append([]*Pod(nil), n.Pods...) {
				c.DeletePod(p)
			}
		})
	})
}

// NodeRecovered: the kubelet reports again; the node is Ready.
func (c *World) NodeRecovered(n *Node) {
	if n.Gone || !n.Up || n.Partitioned || n.KubeletDown {
		return
	}
	c.Flush()
	if !n.Ready && n.Joined {
		n.Ready = true
		for _, p := range append([]*Pod(nil), n.Pods...) {
			if p.Terminating {
				c.PodGone(p)
			} else if p.Serving {
				c.SetReady(p, true)
			}
		}
	}
	c.RetryPending()
	c.Wake()
}
