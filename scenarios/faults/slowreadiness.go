package faults

import (
	"math/rand/v2"
	"time"
)

// SlowReadiness makes new pods of a workload slow to serve.
const SlowReadiness Kind = "SlowReadiness"

func init() {
	register(Descriptor{
		Kind:    SlowReadiness,
		Effects: EffectReadyReplicas | EffectRollout,
		Summary: "pods of a workload started during the fault take delay (default: the duration) longer to serve: " +
			"a slow dependency, a cold cache",
		Target: TargetWorkload,
		Delay:  DelayOrDuration,
		Draw: func(r *rand.Rand, c DrawContext, f *Fault) {
			f.Target.Workload = pick(r, c.Workloads)
			f.Delay = dur(time.Duration(1+r.IntN(12)) * 5 * time.Second)
		},
		Cause: genericCause,
	})
}
