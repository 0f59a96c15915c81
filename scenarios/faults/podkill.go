package faults

import "math/rand/v2"

// PodKill force-deletes pods of a workload.
const PodKill Kind = "PodKill"

func init() {
	register(Descriptor{
		Kind:    PodKill,
		Effects: EffectPodTraffic | EffectReadyReplicas,
		Summary: "force-deletes count pods of a workload: their processes die at once (requests in flight are " +
			"reset) and the objects are removed while kube-proxies still route to them",
		Target:  TargetWorkload,
		Instant: true,
		Draw: func(r *rand.Rand, c DrawContext, f *Fault) {
			f.Target.Workload = pick(r, c.Workloads)
		},
		Cause: Cause{
			Drops:    "when %s killed a pod",
			DropsFix: "a killed pod drops its in-flight requests and those sent before its endpoint is removed: run several replicas and retry idempotent requests, or allow for the fault in maxDroppedRequests",
		},
	})
}
