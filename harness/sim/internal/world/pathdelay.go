package world

import (
	"slices"
	"time"
)

// PathDelay is the network delay a request to pod p pays when the edge load balancer sends it
// to worker e. A NetworkDelay fault delays every packet leaving a node (its egress, as tc netem
// or an NFQUEUE rule on a kind node's eth0 does), so the delay depends on the path:
//   - through the pod's own node, only the response leaves a delayed node: Dp;
//   - through another node, kube-proxy forwards the request out of e, the response leaves p's
//     node and then e again: 2·De + Dp;
//   - a new connection crosses the path twice, once for the handshake and once for the request.
//
// Measured on kind with 250 ms on both workers of kind-small: kept-alive requests 750 ms late
// (2·De + Dp), new connections 500 ms or 1.5 s (2·Dp, 2·(2·De + Dp)).
func PathDelay(e, p *Node, newConn bool) time.Duration {
	d := p.ExtraDelay
	if e != nil && e != p {
		d += 2 * e.ExtraDelay
	}
	if newConn {
		d *= 2
	}
	return d
}

// EdgeEntries are the workers the edge load balancer sends requests to now: members it
// believes healthy that answer. The slice is the world's, valid until the next call.
func (c *World) EdgeEntries() []*Node {
	out := c.entries[:0]
	for _, n := range c.Workers {
		if n.LB.In && n.LB.Healthy && n.Reachable() {
			out = append(out, n)
		}
	}
	c.entries = out
	return out
}

// DelayShare is a share of a workload's requests that pays one path delay.
type DelayShare struct {
	Delay time.Duration
	Share float64
}

// NewConnDelays is how the path delays of new-connection requests to w are spread, with
// entries and serving pods equally likely (round robin over the workers, kube-proxy's random
// choice among the endpoints). Nil when no node is delayed or nothing serves.
// The shares are appended to out[:0].
func (c *World) NewConnDelays(w *Workload, out []DelayShare) []DelayShare {
	if c.Effects.DelayedNodes == 0 {
		return nil
	}
	entries := c.EdgeEntries()
	pods := c.delayPods[:0]
	for _, p := range w.Views[0].Ready {
		if ok, _ := PodAnswers(p); ok {
			pods = append(pods, p)
		}
	}
	c.delayPods = pods
	if len(entries) == 0 || len(pods) == 0 {
		return nil
	}
	share := 1 / float64(len(entries)*len(pods))
	// The shares of each delay are summed in the order of the pairs; a path has a few delays.
	out = out[:0]
	for _, e := range entries {
		for _, p := range pods {
			d := PathDelay(e, p.Node, true)
			i := slices.IndexFunc(out, func(s DelayShare) bool { return s.Delay == d })
			if i < 0 {
				i = len(out)
				out = append(out, DelayShare{Delay: d})
			}
			out[i].Share += share
		}
	}
	slices.SortFunc(out, func(a, b DelayShare) int { return int(a.Delay - b.Delay) })
	return out
}

// ReusedDelay is the path delay of the requests of kept-alive connection i to pod p: each
// connection entered through one worker, taken round robin.
func (c *World) ReusedDelay(p *Pod, i int) time.Duration {
	if c.Effects.DelayedNodes == 0 {
		return 0
	}
	entries := c.EdgeEntries()
	if len(entries) == 0 {
		return PathDelay(nil, p.Node, false)
	}
	return PathDelay(entries[i%len(entries)], p.Node, false)
}
