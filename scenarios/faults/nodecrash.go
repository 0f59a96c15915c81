package faults

import "math/rand/v2"

// NodeCrash powers nodes off.
const NodeCrash Kind = "NodeCrash"

func init() {
	register(Descriptor{
		Kind: NodeCrash,
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

// drawNode targets the node being drained or any worker.
func drawNode(r *rand.Rand, _ DrawContext, f *Fault) {
	f.Target.Node = []string{NodeDraining, ""}[r.IntN(2)]
}
