package faults

// APIServerRestart restarts apiservers.
const APIServerRestart Kind = "APIServerRestart"

func init() {
	register(Descriptor{
		Kind:    APIServerRestart,
		Effects: EffectAPI,
		Summary: "restarts the apiserver of control plane nodes (default target: control-plane): each is stopped for " +
			"the fault's duration (default 0), then takes the calibrated apiserver start time to answer again, " +
			"while the API load balancer still sends to it until its health checks notice",
		Target:      TargetNodes,
		DefaultNode: NodeControlPlane,
		Cause:       genericCause,
	})
}

// genericCause names a fault whose kind has no more particular explanation of drops.
var genericCause = Cause{
	Drops:    "during %s",
	DropsFix: "check whether the workload should tolerate this fault; see the timeline in report.html",
}
