package faults

// NodeCordon cordons nodes, as an operator or a maintenance controller does.
const NodeCordon Kind = "NodeCordon"

func init() {
	register(Descriptor{
		Kind:    NodeCordon,
		Effects: EffectRollout,
		Summary: "cordons nodes (default: count workers) for the fault's duration, as an operator, a " +
			"maintenance controller or a node problem detector would: their pods keep running, but nothing " +
			"new is scheduled there, so replacements evicted by drains need room elsewhere",
		Target: TargetNodes,
		Cause: Cause{
			Drops:    "while %s left fewer nodes to schedule on",
			DropsFix: "keep spare capacity for the surge and the evictions of a drain beyond the nodes that may be cordoned at any time, or raise maxSurge",
		},
	})
}
