package sim

import "github.com/zdt-dev/zdt/scenarios/faults"

func init() { registerFault(faults.EvictionError, injectEvictionError) }

// injectEvictionError makes the eviction API answer 500 while the fault lasts: drains retry.
func injectEvictionError(c *Cluster, f *faults.Fault) (string, func(), error) {
	c.w.Effects.EvictionErrors++
	return "eviction API answers 500", func() { c.w.Effects.EvictionErrors-- }, nil
}
