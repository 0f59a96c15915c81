package faults

// MachineProvisionFailure makes new machines fail to provision.
const MachineProvisionFailure Kind = "MachineProvisionFailure"

func init() {
	register(Descriptor{
		Kind:    MachineProvisionFailure,
		Effects: EffectRollout,
		Summary: "the next count machines created fail to provision; the controllers replace them",
		Cause:   genericCause,
	})
}
