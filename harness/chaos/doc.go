// Package chaos injects a scenario's faults into a real cluster: a Scheduler times them as the
// simulator does (an offset into a phase, or from the Nth event of the rollout), records each
// as a FaultInjected interval saying what was done to which object, and undoes every one at its
// end, at the end of the run and on Ctrl-C. The injectors that need only the Kubernetes API
// live here, one file per kind (fault_*.go); providers add their own (harness/kind/internal/inject).
package chaos
