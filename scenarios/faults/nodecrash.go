package faults

import (
	"math/rand/v2"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// NodeCrash powers nodes off.
const NodeCrash Kind = "NodeCrash"

func init() {
	register(Descriptor{
		Kind:    NodeCrash,
		Effects: EffectNodeTraffic | EffectAPI | EffectReadyReplicas | EffectRollout,
		Summary: "powers nodes off: nothing on them answers, kept-alive connections to their pods hang, the node " +
			"goes NotReady after the grace period and its pods are evicted after the tolerations; at the end of " +
			"the fault (duration 0: never) the machine boots again",
		Target: TargetNodes,
		Draw:   drawNode,
		Cause: Cause{
			Drops:    "while %s took a node away",
			DropsFix: nodeLossFix,
		},
	})
}

// nodeLossFix is the fix for drops caused by a node lost to a fault.
const nodeLossFix = "requests routed to a lost node fail until the node is marked NotReady and its endpoints are removed: spread replicas across nodes, retry idempotent requests in clients, or allow for the fault in maxDroppedRequests"

// drawNode targets the node being drained or any worker. A fault on the draining node is timed
// inside one of its phase's drains when they are known (and hits any worker in a phase without
// drains, such as the control plane's rollout).
func drawNode(r *rand.Rand, c DrawContext, f *Fault) {
	f.Target.Node = []string{NodeDraining, ""}[r.IntN(2)]
	if f.Target.Node != NodeDraining {
		return
	}
	shape, known := c.Phases[f.At.Phase]
	if f.At.Phase == model.PhaseControlPlane || known && len(shape.Drains) == 0 {
		f.Target.Node = ""
		return
	}
	if !known {
		return
	}
	d := shape.Drains[r.IntN(len(shape.Drains))]
	f.At.After.Duration = (d.From + time.Duration(r.Int64N(int64(d.To-d.From)+1))).Truncate(time.Second)
	if f.At.After.Duration < d.From {
		f.At.After.Duration = d.From
	}
}
