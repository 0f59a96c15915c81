package faults

// KubeletStop stops the kubelet of nodes.
const KubeletStop Kind = "KubeletStop"

func init() {
	register(Descriptor{
		Kind:    KubeletStop,
		Effects: EffectReadyReplicas | EffectRollout,
		Summary: "stops the kubelet of nodes: their pods keep serving, but the node stops reporting, goes NotReady " +
			"after the grace period and no pod on it can be started or stopped until the kubelet is back",
		Target: TargetNodes,
		Draw:   drawNode,
		Cause: Cause{
			Drops:    "while %s took a node away",
			DropsFix: nodeLossFix,
		},
	})
}
