package faults

import (
	"math/rand/v2"
	"time"
)

// NetworkDelay adds latency to requests through nodes.
const NetworkDelay Kind = "NetworkDelay"

func init() {
	register(Descriptor{
		Kind:    NetworkDelay,
		Effects: EffectLatency | EffectAPI,
		Summary: "adds delay (required) to every request answered by pods on the nodes",
		Target:  TargetNodes,
		Delay:   DelayRequired,
		Draw: func(r *rand.Rand, _ DrawContext, f *Fault) {
			f.Target.Node = ""
			f.Delay = dur(time.Duration(1+r.IntN(10)) * 50 * time.Millisecond)
		},
		Cause: Cause{
			Drops:    "during %s",
			DropsFix: "requests timed out under the added delay: raise the client timeout (load.timeout) or shorten the fault",
		},
	})
}
