package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// UpgradeStrategy is how the worker pools are replaced: Cluster API's MachineDeployment
// rolling update (the default), or the node pool upgrade of a managed Kubernetes service, whose
// numbers the simulator follows. The real providers (kind, kubeconfig) upgrade through Cluster
// API and accept only ClusterAPI.
type UpgradeStrategy struct {
	// Preset is ClusterAPI (default), EKS, AKS or GKE.
	Preset StrategyPreset `json:"preset,omitempty"`
	// Force (EKS): pods that do not leave a node within 15 minutes are deleted, instead of the
	// update failing.
	Force bool `json:"force,omitempty"`
	// UndrainableNodeBehavior (AKS): Schedule (default: the blocked node is made schedulable
	// again, left at the old version, and the upgrade fails) or Cordon (the blocked node is
	// quarantined, cordoned with its pods, a surge node kept in its place; the upgrade goes on
	// and ends failed).
	UndrainableNodeBehavior UndrainableNodeBehavior `json:"undrainableNodeBehavior,omitempty"`
}

// StrategyPreset names an upgrade strategy.
type StrategyPreset string

// The presets.
const (
	// PresetClusterAPI is Cluster API's MachineDeployment rolling update: the pool's maxSurge
	// (default 1) and maxUnavailable (default 0); a drain waits for ever unless the pool sets
	// nodeDrainTimeout, after which the machine is deleted with its pods.
	// https://cluster-api.sigs.k8s.io/tasks/updating-machine-templates (MachineDeployment rolling
	// update) and the Machine's nodeDrainTimeout.
	PresetClusterAPI StrategyPreset = "ClusterAPI"
	// PresetEKS is an EKS managed node group update
	// (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html): the
	// group scales up by the larger of twice its Availability Zones and maxUnavailable (default
	// 1), then drains old nodes maxUnavailable at a time; pods that do not leave a node within
	// 15 minutes fail the update (PodEvictionFailure), or with force are deleted.
	PresetEKS StrategyPreset = "EKS"
	// PresetAKS is an AKS node pool upgrade
	// (https://learn.microsoft.com/azure/aks/upgrade-aks-cluster, "Customize node surge upgrade"
	// and "undrainable node behavior"): maxSurge 10% by default (rounded up), a drain timeout of
	// 30 minutes by default, and the undrainable node behavior Schedule (default) or Cordon.
	PresetAKS StrategyPreset = "AKS"
	// PresetGKE is a GKE surge upgrade
	// (https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies):
	// maxSurge 1 and maxUnavailable 0 by default; GKE respects PodDisruptionBudgets for up to
	// one hour, then deletes the node's remaining pods.
	PresetGKE StrategyPreset = "GKE"
)

// StrategyPresets lists the presets.
var StrategyPresets = []StrategyPreset{PresetClusterAPI, PresetEKS, PresetAKS, PresetGKE}

// UndrainableNodeBehavior is AKS's setting of that name.
type UndrainableNodeBehavior string

// AKS's undrainable node behaviours.
const (
	UndrainableSchedule UndrainableNodeBehavior = "Schedule"
	UndrainableCordon   UndrainableNodeBehavior = "Cordon"
)

// The presets' fixed numbers.
const (
	EKSEvictionWindow    = 15 * time.Minute
	AKSDefaultDrainLimit = 30 * time.Minute
	GKEPDBRespectWindow  = time.Hour
)

// OnDrainTimeout is what a pool's upgrade does with a node whose drain outlasted its limit.
type OnDrainTimeout string

// What a drain that timed out leads to.
const (
	// DrainTimeoutDeletes deletes the machine with the pods still on it (Cluster API's
	// nodeDrainTimeout, EKS with force, GKE after an hour).
	DrainTimeoutDeletes OnDrainTimeout = "delete"
	// DrainTimeoutFails makes the node schedulable again, leaves it at the old version and fails
	// the upgrade (EKS without force, AKS Schedule).
	DrainTimeoutFails OnDrainTimeout = "fail"
	// DrainTimeoutQuarantines leaves the node cordoned with its pods, keeps a surge node in its
	// place and goes on; the upgrade ends failed (AKS Cordon).
	DrainTimeoutQuarantines OnDrainTimeout = "quarantine"
)

// PoolUpgrade is a pool's upgrade under the scenario's strategy, as the simulator follows it.
type PoolUpgrade struct {
	Preset         StrategyPreset
	MaxSurge       int
	MaxUnavailable int
	// MaxDraining bounds how many nodes are drained at once (0: as many as maxSurge and
	// maxUnavailable allow, as Cluster API does). EKS drains maxUnavailable nodes at a time
	// whatever it scaled up by.
	MaxDraining int
	// DrainTimeout bounds a drain (0: for ever); OnTimeout says what follows it.
	DrainTimeout time.Duration
	OnTimeout    OnDrainTimeout
}

// PoolUpgradeOf resolves pool i's upgrade under the scenario's strategy. The scenario must have
// been defaulted (SetDefaults) and validated.
func (s *Scenario) PoolUpgradeOf(i int) (PoolUpgrade, error) {
	p := &s.Spec.Cluster.WorkerPools[i]
	st := s.Spec.UpgradeStrategy
	if st == nil {
		st = &UpgradeStrategy{}
	}
	replicas := int(*p.Replicas)
	surge, err := intstr.GetScaledValueFromIntOrPercent(p.MaxSurge, replicas, true)
	if err != nil {
		return PoolUpgrade{}, fmt.Errorf("spec.cluster.workerPools[%d].maxSurge: %w", i, err)
	}
	unavailable, err := intstr.GetScaledValueFromIntOrPercent(p.MaxUnavailable, replicas, false)
	if err != nil {
		return PoolUpgrade{}, fmt.Errorf("spec.cluster.workerPools[%d].maxUnavailable: %w", i, err)
	}
	// The preset's own numbers are in the pool's fields already (strategyDefaults).
	u := PoolUpgrade{Preset: st.Preset, MaxSurge: surge, MaxUnavailable: unavailable, DrainTimeout: p.NodeDrainTimeout.Duration, OnTimeout: DrainTimeoutDeletes}
	switch st.Preset {
	case PresetEKS:
		u.MaxDraining = max(u.MaxUnavailable, 1)
		if !st.Force {
			u.OnTimeout = DrainTimeoutFails
		}
	case PresetAKS:
		u.OnTimeout = DrainTimeoutFails
		if st.UndrainableNodeBehavior == UndrainableCordon {
			u.OnTimeout = DrainTimeoutQuarantines
		}
	}
	return u, nil
}

// strategyDefaults writes a managed service's numbers into the pool fields, before SetDefaults
// fills the rest with Cluster API's: what the service decides itself (EKS's surge, EKS's and
// GKE's drain limits) is set here, and a different value written by the user is a problem
// that validation reports. A defaulted scenario (a run directory's scenario.yaml) comes back
// unchanged.
func strategyDefaults(s *Scenario) {
	st := s.Spec.UpgradeStrategy
	if st == nil {
		return
	}
	if st.Preset == "" {
		st.Preset = PresetClusterAPI
	}
	if st.Preset == PresetAKS && st.UndrainableNodeBehavior == "" {
		st.UndrainableNodeBehavior = UndrainableSchedule
	}
	s.strategyProblems = nil
	pools := field.NewPath("spec", "cluster", "workerPools")
	fixed := func(i int, name string, cur **metav1.Duration, want time.Duration) {
		if *cur != nil && (*cur).Duration != want {
			s.strategyProblems = append(s.strategyProblems, field.Forbidden(pools.Index(i).Child(name),
				fmt.Sprintf("the %s preset's drain limit is %s (EKS: pods that have not left in 15m; GKE: PDBs respected for 1h); remove the field", st.Preset, want)))
			return
		}
		*cur = dur(want)
	}
	for i := range s.Spec.Cluster.WorkerPools {
		p := &s.Spec.Cluster.WorkerPools[i]
		switch st.Preset {
		case PresetEKS:
			if p.MaxUnavailable == nil {
				p.MaxUnavailable = intOrStr("1") // updateConfig.maxUnavailable default
			}
			fixed(i, "nodeDrainTimeout", &p.NodeDrainTimeout, EKSEvictionWindow)
			// The group scales up by the larger of twice its zones and maxUnavailable.
			zones := len(p.Zones)
			if zones == 0 {
				zones = max(len(s.Spec.Cluster.Zones), 1)
			}
			replicas := 1
			if p.Replicas != nil {
				replicas = int(*p.Replicas)
			}
			unavailable, err := intstr.GetScaledValueFromIntOrPercent(p.MaxUnavailable, replicas, false)
			if err != nil {
				continue // validation reports the field
			}
			surge := max(2*zones, unavailable)
			if p.MaxSurge != nil && p.MaxSurge.String() != strconv.Itoa(surge) {
				s.strategyProblems = append(s.strategyProblems, field.Forbidden(pools.Index(i).Child("maxSurge"),
					fmt.Sprintf("an EKS managed node group takes no surge: it scales up by the larger of twice its zones and maxUnavailable (%d here); remove the field", surge)))
				continue
			}
			p.MaxSurge = intOrStr(strconv.Itoa(surge))
		case PresetAKS:
			if p.MaxSurge == nil {
				p.MaxSurge = intOrStr("10%")
			}
			if p.NodeDrainTimeout == nil {
				p.NodeDrainTimeout = dur(AKSDefaultDrainLimit)
			}
		case PresetGKE:
			fixed(i, "nodeDrainTimeout", &p.NodeDrainTimeout, GKEPDBRespectWindow)
		}
	}
}

// validateStrategy checks spec.upgradeStrategy against the pools.
func validateStrategy(s *Scenario) field.ErrorList {
	st := s.Spec.UpgradeStrategy
	if st == nil {
		return nil
	}
	path := field.NewPath("spec", "upgradeStrategy")
	var errs field.ErrorList
	if !slices.Contains(StrategyPresets, st.Preset) {
		return field.ErrorList{field.NotSupported(path.Child("preset"), st.Preset, StrategyPresets)}
	}
	if st.Force && st.Preset != PresetEKS {
		errs = append(errs, field.Forbidden(path.Child("force"), fmt.Sprintf("only the EKS preset has it (the preset is %s)", st.Preset)))
	}
	if st.UndrainableNodeBehavior != "" {
		if st.Preset != PresetAKS {
			errs = append(errs, field.Forbidden(path.Child("undrainableNodeBehavior"), fmt.Sprintf("only the AKS preset has it (the preset is %s)", st.Preset)))
		} else if st.UndrainableNodeBehavior != UndrainableSchedule && st.UndrainableNodeBehavior != UndrainableCordon {
			errs = append(errs, field.NotSupported(path.Child("undrainableNodeBehavior"), st.UndrainableNodeBehavior, []UndrainableNodeBehavior{UndrainableSchedule, UndrainableCordon}))
		}
	}
	return append(errs, s.strategyProblems...)
}
