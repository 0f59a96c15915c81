package faults

import (
	"math/rand/v2"
	"time"
)

// MachineProvisionSlowness makes new machines slow to provision.
const MachineProvisionSlowness Kind = "MachineProvisionSlowness"

func init() {
	register(Descriptor{
		Kind:    MachineProvisionSlowness,
		Effects: EffectRollout,
		Summary: "machines created during the fault take delay (default: the duration) longer to provision",
		Delay:   DelayOrDuration,
		Draw: func(r *rand.Rand, _ DrawContext, f *Fault) {
			f.Delay = dur(time.Duration(1+r.IntN(12)) * 10 * time.Second)
		},
		Cause: genericCause,
	})
}
