package world

import (
	"github.com/zdt-dev/zdt/harness/sim/internal/reuse"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// AddNode adds a machine's node, not up yet: a control plane node when pool is "", a worker of
// the pool otherwise.
func (c *World) AddNode(name, pool, zone, version string, capacity *scenarios.Capacity) *Node {
	n := reuse.Take(&c.spareNodes)
	*n = Node{
		idx: len(c.Nodes), Name: name, Pool: pool, Zone: zone, Version: version, Created: c.Clock.Now(),
		Pods: n.Pods,
	}
	if pool == "" {
		n.Role = model.RoleControlPlane
		c.CPNodes = append(c.CPNodes, n)
	} else {
		n.Role = model.RoleWorker
		c.Workers = append(c.Workers, n)
		c.live = nil
	}
	n.CPU = capacity.CPU.MilliValue()
	n.Mem = capacity.Memory.Value()
	n.MaxPods = int(*capacity.Pods)
	z, ok := c.zones[zone]
	if !ok {
		if c.zones == nil {
			c.zones = map[string]int32{}
		}
		z = int32(len(c.zones))
		c.zones[zone] = z
	}
	n.zone = z
	n.Bucket = c.Rng.IntN(Buckets)
	c.Nodes = append(c.Nodes, n)
	c.NodeChanged(n)
	return n
}

// StaticPods are the components kubeadm runs as static pods on every control plane node.
var StaticPods = [...]string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}

// StaticPodNames are the names of node n's static pods, in the order of StaticPods (made once;
// a released node keeps the room for them).
func (c *World) StaticPodNames(n *Node) *[len(StaticPods)]string {
	if n.staticPods == nil {
		n.staticPods = new([len(StaticPods)]string)
	}
	if n.staticPods[0] == "" {
		for i, comp := range StaticPods {
			n.staticPods[i] = c.Names.Text(comp, "-", n.Name)
		}
	}
	return n.staticPods
}

// ProxyPodName is the name of node n's kube-proxy pod (made once).
func (c *World) ProxyPodName(n *Node) string {
	if n.proxyPod == "" {
		n.proxyPod = c.Names.Text("kube-proxy-", n.Name)
	}
	return n.proxyPod
}

// MachineUp: the machine's infrastructure runs.
func (c *World) MachineUp(n *Node) {
	c.BeforeNodeChange(n)
	n.Up = true
	c.AfterNodeChange(n)
}

// NodeJoined: the Node is registered and Ready (and, on the control plane, its etcd member and
// apiserver run); it joins its load balancer.
func (c *World) NodeJoined(n *Node) {
	c.Flush()
	n.Joined, n.Ready = true, true
	n.JoinedAt = c.Clock.Now()
	c.NodeChanged(n)
	if n.Role == model.RoleControlPlane {
		n.EtcdMember, n.EtcdRunning = true, true
		c.BeforeNodeChange(n)
		n.APIServerUp = true
		c.AfterNodeChange(n)
		c.APIChanged()
		n.DaemonsReady = true // the API load balancer checks the apiserver, not the DaemonSets
		c.joinLB(n)
		return
	}
	// A worker's NodePort answers once its kube-proxy and CNI agent run: the edge load
	// balancer sends it traffic only then.
	d := c.Cal.DaemonSetStart.Duration
	if c.Settling {
		d = 0
	}
	c.nodeTimer.After(d, nodeEvent{n: n, kind: nodeDaemonsStarted})
}

// nodeEvent is something that happens to a node at an instant of its own (World.nodeTimer).
type nodeEvent struct {
	n       *Node
	gen     int // the load balancer's checks the event was armed by (LBMember.Gen)
	kind    nodeEventKind
	ok, api bool // nodeHealthChecked's
}

type nodeEventKind uint8

const (
	nodeHealthChecked  nodeEventKind = iota // the load balancer's checks changed its mind
	nodeDaemonsStarted                      // a worker's DaemonSet pods run
)

// nodeEventRan is nodeEvent's handler.
func (c *World) nodeEventRan(e nodeEvent) {
	n := e.n
	switch e.kind {
	case nodeHealthChecked:
		c.healthChecked(n, e.gen, e.ok, e.api)
	case nodeDaemonsStarted:
		if n.Joined && !n.Gone && !n.DaemonsReady {
			n.DaemonsReady = true
			c.joinLB(n)
			c.Wake()
		}
	}
}

// PowerDown removes the machine's infrastructure: nothing on it answers, its processes end.
func (c *World) PowerDown(n *Node) {
	c.BeforeNodeChange(n)
	n.Up = false
	n.APIServerUp = false
	c.AfterNodeChange(n)
	c.APIChanged()
	for _, p := range append([]*Pod(nil), n.Pods...) {
		if !p.Exited && p.Started {
			c.ProcessExit(p, false)
		}
	}
}

// RemoveNode deletes the Node object: it leaves its load balancer and its pods are gone.
func (c *World) RemoveNode(n *Node) {
	c.Flush()
	c.leaveLB(n)
	n.Gone, n.Ready, n.Joined = true, false, false
	for _, p := range n.Pods {
		c.answerMayChange(p)
	}
	c.NodeChanged(n)
	c.live = nil
	for _, p := range append([]*Pod(nil), n.Pods...) {
		c.PodGone(p)
	}
}

// Discard removes a machine that never joined.
func (c *World) Discard(n *Node) {
	c.BeforeNodeChange(n)
	n.Up = false
	c.AfterNodeChange(n)
	n.Gone = true
	for _, p := range n.Pods {
		c.answerMayChange(p)
	}
	c.NodeChanged(n)
	c.live = nil
}

// StopEtcdMember takes a control plane node's etcd member out of the cluster.
func (c *World) StopEtcdMember(n *Node) {
	c.Flush()
	n.EtcdMember, n.EtcdRunning = false, false
	c.APIChanged()
}

// AddEtcdMember adds a joining control plane node's etcd member, not running yet.
func (c *World) AddEtcdMember(n *Node) {
	c.Flush()
	n.EtcdMember = true
	c.APIChanged()
}

// Reboot brings a crashed node back: terminating pods are cleaned up, the others restart.
func (c *World) Reboot(n *Node) {
	if n.Gone {
		return
	}
	c.BeforeNodeChange(n)
	n.Up = true
	n.APIServerUp = n.Role == model.RoleControlPlane
	c.AfterNodeChange(n)
	if n.Role == model.RoleControlPlane {
		c.APIChanged()
	}
	for _, p := range append([]*Pod(nil), n.Pods...) {
		if p.Terminating {
			c.PodGone(p)
			continue
		}
		p.Gen++
		p.Exited, p.Serving, p.Started = false, false, false
		c.answerMayChange(p)
		c.SetReady(p, false)
		gen := p.Gen
		c.Clock.After(c.Cal.ContainerStart.Duration, func() {
			if p.Gen == gen && n.Reachable() {
				c.containerStarted(p)
			}
		})
	}
	c.NodeRecovered(n)
}
