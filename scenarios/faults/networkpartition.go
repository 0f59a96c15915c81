package faults

// NetworkPartition cuts nodes off the network.
const NetworkPartition Kind = "NetworkPartition"

func init() {
	register(Descriptor{
		Kind:    NetworkPartition,
		Effects: EffectNodeTraffic | EffectAPI | EffectReadyReplicas | EffectRollout,
		Summary: "cuts nodes off the network: their processes keep running, but neither the load balancers nor " +
			"other nodes reach them and their kubelets cannot report",
		Target: TargetNodes,
		Draw:   drawNode,
		Cause: Cause{
			Drops:    "while %s took a node away",
			DropsFix: nodeLossFix,
		},
	})
}
