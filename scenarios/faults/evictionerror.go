package faults

// EvictionError makes the eviction API fail.
const EvictionError Kind = "EvictionError"

func init() {
	register(Descriptor{
		Kind:    EvictionError,
		Effects: EffectRollout,
		Summary: "the eviction API answers 500 while the fault lasts: drains retry until it ends",
		Cause:   genericCause,
	})
}
