package world

import "github.com/zdt-dev/zdt/model"

// MarkPodsUnreachable: requests to the node's pods now go nowhere; kept-alive connections to
// them hang.
func (c *World) MarkPodsUnreachable(n *Node) {
	for _, p := range n.Pods {
		p.W.Route.Dirty = true
		c.answerMayChange(p)
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
		c.markNotReady(n)
	})
}

// StartNotReady is a node whose kubelet stopped reporting before the run began: it is NotReady
// from the start, and the tolerations run from then.
func (c *World) StartNotReady(n *Node) {
	n.KubeletDown = true
	c.markNotReady(n)
}

// markNotReady is the node lifecycle controller's verdict on a node that stopped reporting.
func (c *World) markNotReady(n *Node) {
	c.Flush()
	n.Ready = false
	c.NodeChanged(n)
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
}

// StartCordoned is a node an operator cordoned before the run began.
func (c *World) StartCordoned(n *Node) {
	c.Flush()
	n.Cordoned = true
	c.NodeChanged(n)
	c.Instant(model.Warning, LocNode(n), model.ReasonNodeCordoned, n.Name+" cordoned before the run")
}

// NodeRecovered: the kubelet sees the API again and reports; the node is Ready. It catches up
// with what happened while it was away: containers of pods bound meanwhile start, pods deleted
// meanwhile are terminated (or, when their process is gone, removed), and the pods' readiness
// is reported as it is.
func (c *World) NodeRecovered(n *Node) {
	if n.Gone || !kubeletActs(n) {
		return
	}
	c.Flush()
	n.backAt = c.Clock.Now()
	wasNotReady := !n.Ready && n.Joined
	if wasNotReady {
		n.Ready = true
		c.NodeChanged(n)
	}
	for _, p := range append([]*Pod(nil), n.Pods...) {
		switch {
		case p.Terminating && (p.Exited || !p.Started):
			c.PodGone(p)
		case p.Terminating && !p.termStarted:
			c.kubeletTerminates(p)
		case p.Terminating:
		case p.startWaiting:
			p.startWaiting = false
			c.startContainer(p, false)
		case p.Serving && !p.Ready && wasNotReady:
			c.SetReady(p, true)
		case p.Exited && p.Ready:
			c.SetReady(p, false)
		}
	}
	c.RetryPending()
	c.Wake()
}

// PowerOff turns a node's machine off: nothing on it answers, its processes are gone without
// closing their connections (requests to them hang), and the node lifecycle controller takes
// over.
func (c *World) PowerOff(n *Node) {
	c.BeforeNodeChange(n)
	n.Up, n.APIServerUp = false, false
	c.AfterNodeChange(n)
	if n.Role == model.RoleControlPlane {
		c.APIChanged()
	}
	for _, p := range n.Pods {
		if p.Started && !p.Exited {
			p.Exited, p.Serving, p.lostWith = true, false, n.Name
			p.Gen++
			c.answerMayChange(p)
		}
	}
	c.MarkPodsUnreachable(n)
	c.WatchNodeHealth(n)
}
