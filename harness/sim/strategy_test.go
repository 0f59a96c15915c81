package sim

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// TestStrategyPresetsOnABlockedDrain plays pdb-blocks-drain (every PDB allows no disruption)
// under each managed service's preset: what each does with a drain that never ends is its own.
func TestStrategyPresetsOnABlockedDrain(t *testing.T) {
	with := func(st scenarios.UpgradeStrategy) func(*scenarios.Scenario) {
		return func(sc *scenarios.Scenario) {
			for i := range sc.Spec.Cluster.WorkerPools {
				p := &sc.Spec.Cluster.WorkerPools[i]
				p.MaxSurge, p.MaxUnavailable, p.NodeDrainTimeout = nil, nil, nil
			}
			sc.Spec.UpgradeStrategy = &st
			sc.Spec.Criteria.UpgradeDeadline = &metav1.Duration{Duration: 3 * time.Hour}
			scenarios.SetDefaults(sc)
			if errs := scenarios.Validate(sc); len(errs) > 0 {
				t.Fatalf("%+v: %v", st, errs)
			}
		}
	}
	cases := []struct {
		name    string
		st      scenarios.UpgradeStrategy
		outcome model.PhaseOutcome
		// message is in the pool phase's message or a DrainTimeout interval's.
		message string
		// stall is how long the first blocked drain lasted.
		stall time.Duration
	}{
		{"EKS fails the update after 15 minutes", scenarios.UpgradeStrategy{Preset: scenarios.PresetEKS}, model.PhaseFailed, "PodEvictionFailure", 15 * time.Minute},
		{"EKS with force deletes the pods after 15 minutes", scenarios.UpgradeStrategy{Preset: scenarios.PresetEKS, Force: true}, model.PhaseSucceeded, "the update is forced", 15 * time.Minute},
		{"AKS Schedule fails after its 30-minute drain timeout", scenarios.UpgradeStrategy{Preset: scenarios.PresetAKS}, model.PhaseFailed, "schedulable again at the old version", 30 * time.Minute},
		{"AKS Cordon quarantines and goes on, then fails", scenarios.UpgradeStrategy{Preset: scenarios.PresetAKS, UndrainableNodeBehavior: scenarios.UndrainableCordon}, model.PhaseFailed, "quarantined node(s)", 30 * time.Minute},
		{"GKE respects the PDBs for an hour", scenarios.UpgradeStrategy{Preset: scenarios.PresetGKE}, model.PhaseTimedOut, "GKE respects PodDisruptionBudgets for 1h0m0s", time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runScenario(t, "pdb-blocks-drain", 1, with(c.st))
			p := o.phase(model.PoolPhase("md-0"))
			if p == nil || p.Outcome != c.outcome {
				t.Fatalf("pool phase %+v, want outcome %s", p, c.outcome)
			}
			said := strings.Contains(p.Message, c.message)
			var first time.Duration
			for _, iv := range o.mem.Intervals {
				if iv.Reason == model.ReasonDrainTimeout && strings.Contains(iv.Message, c.message) {
					said = true
				}
				if iv.Reason == model.ReasonEvictionBlocked && first == 0 {
					first = iv.To - iv.From
				}
			}
			if !said {
				t.Errorf("neither the phase (%q) nor a drain timeout says %q", p.Message, c.message)
			}
			if first < c.stall-time.Minute || first > c.stall+time.Minute {
				t.Errorf("the first blocked drain lasted %s, want about %s", first, c.stall)
			}
		})
	}
}

// EKS drains maxUnavailable nodes at a time, however many it scaled up by.
func TestEKSDrainsOneNodeAtATime(t *testing.T) {
	var surge string
	o := runScenario(t, "ha-well-configured", 1, func(sc *scenarios.Scenario) {
		for i := range sc.Spec.Cluster.WorkerPools {
			p := &sc.Spec.Cluster.WorkerPools[i]
			p.MaxSurge, p.MaxUnavailable, p.NodeDrainTimeout = nil, nil, nil
		}
		sc.Spec.UpgradeStrategy = &scenarios.UpgradeStrategy{Preset: scenarios.PresetEKS}
		scenarios.SetDefaults(sc)
		surge = sc.Spec.Cluster.WorkerPools[0].MaxSurge.String()
	})
	if surge != "2" {
		t.Errorf("EKS surge %s for one zone, want 2 (twice the zones)", surge)
	}
	var drains []model.Interval
	for _, iv := range o.mem.Intervals {
		if iv.Reason == model.ReasonNodeDrain && strings.Contains(iv.Locator.Node, "md-0") {
			drains = append(drains, iv)
		}
	}
	if len(drains) != 3 {
		t.Fatalf("%d worker drains, want 3", len(drains))
	}
	for i := range drains {
		for j := i + 1; j < len(drains); j++ {
			if drains[i].From < drains[j].To && drains[j].From < drains[i].To {
				t.Errorf("drains of %s and %s overlap: EKS drains maxUnavailable (1) at a time", drains[i].Locator.Node, drains[j].Locator.Node)
			}
		}
	}
}
