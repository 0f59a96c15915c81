package model

import "strings"

// PhaseName names a phase of a run. Phases are recorded in run.json and the timeline, faults
// are timed to them (spec.faults[].at.phase) and reports group drops by them.
type PhaseName string

// The phases of every run, in the order they start. Each step of a stepwise plan runs its own
// control-plane and pool phases.
const (
	// PhaseRunStart is the start of the run itself, before the load and warm-up: a fault timed to
	// it counts from the cluster's creation.
	PhaseRunStart PhaseName = ""
	// PhaseBringUp is the provider creating the cluster, before the run's load starts. It is
	// recorded only when the run is stopped in it.
	PhaseBringUp PhaseName = "bring-up"
	// PhaseWarmup runs the load alone for spec.load.warmup before preflight, so that the
	// upgrade is measured from a steady state.
	PhaseWarmup PhaseName = "warm-up"
	// PhasePreflight runs the preflight checks.
	PhasePreflight PhaseName = "preflight"
	// PhaseUpgrade is the whole upgrade, every step of the plan: from the first change of the
	// topology version to the last pool at the target.
	PhaseUpgrade PhaseName = "upgrade"
	// PhaseControlPlane is the KubeadmControlPlane's rollout of one step.
	PhaseControlPlane PhaseName = "control-plane"
	// PhaseWorkers starts with the first worker pool of a step and ends with its last.
	PhaseWorkers PhaseName = "workers"
	// PhasePostflight runs the postflight checks.
	PhasePostflight PhaseName = "postflight"
)

// poolPrefix starts the name of a worker pool's phase.
const poolPrefix = "pool/"

// PoolPhase returns the phase of one worker pool's rollout, e.g. "pool/md-0".
func PoolPhase(pool string) PhaseName { return PhaseName(poolPrefix + pool) }

// Pool returns the worker pool of a pool phase, and whether p is one.
func (p PhaseName) Pool() (string, bool) {
	return strings.CutPrefix(string(p), poolPrefix)
}

// IsUpgrade reports whether the phase is part of the upgrade proper: not bring-up, warm-up,
// preflight nor postflight.
func (p PhaseName) IsUpgrade() bool {
	switch p {
	case PhaseBringUp, PhaseWarmup, PhasePreflight, PhasePostflight, PhaseRunStart:
		return false
	}
	return true
}

// FaultPhases are the phases a fault can be timed to besides the pool phases, first the start
// of the run.
var FaultPhases = []PhaseName{PhaseRunStart, PhaseUpgrade, PhaseControlPlane, PhaseWorkers}
