// Package strategies plays one scenario under every upgrade strategy preset on the simulator
// (zdt strategies): the same workloads upgraded as Cluster API, EKS, AKS and GKE would upgrade
// them, side by side.
package strategies

import (
	"context"
	"fmt"
	"sync"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// Variant is the scenario under one strategy.
type Variant struct {
	Label    string
	Strategy scenarios.UpgradeStrategy
	Scenario *scenarios.Scenario
}

// Presets are the strategies compared, each option of a preset its own row.
var Presets = []struct {
	Label    string
	Strategy scenarios.UpgradeStrategy
}{
	{"ClusterAPI", scenarios.UpgradeStrategy{Preset: scenarios.PresetClusterAPI}},
	{"EKS", scenarios.UpgradeStrategy{Preset: scenarios.PresetEKS}},
	{"EKS force", scenarios.UpgradeStrategy{Preset: scenarios.PresetEKS, Force: true}},
	{"AKS Schedule", scenarios.UpgradeStrategy{Preset: scenarios.PresetAKS, UndrainableNodeBehavior: scenarios.UndrainableSchedule}},
	{"AKS Cordon", scenarios.UpgradeStrategy{Preset: scenarios.PresetAKS, UndrainableNodeBehavior: scenarios.UndrainableCordon}},
	{"GKE", scenarios.UpgradeStrategy{Preset: scenarios.PresetGKE}},
}

// Variants rewrites the scenario file (raw, as written) under each preset. The pool fields a
// service decides itself are removed (EKS's surge, EKS's and GKE's drain limits), and a drain
// that waits for ever, which no managed service does, takes the preset's limit.
// A deadline above 0 replaces spec.criteria.upgradeDeadline, so that a service's own limits
// (AKS's 30 minutes, GKE's hour) can play out.
func Variants(source string, raw []byte, deadline time.Duration) ([]Variant, error) {
	var out []Variant
	for _, p := range Presets {
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		spec, _ := doc["spec"].(map[string]any)
		if spec == nil {
			return nil, fmt.Errorf("%s: no spec", source)
		}
		delete(spec, "expect")
		if deadline > 0 {
			criteria, _ := spec["criteria"].(map[string]any)
			if criteria == nil {
				criteria = map[string]any{}
				spec["criteria"] = criteria
			}
			criteria["upgradeDeadline"] = deadline.String()
		}
		st := map[string]any{"preset": string(p.Strategy.Preset)}
		if p.Strategy.Force {
			st["force"] = true
		}
		if p.Strategy.UndrainableNodeBehavior != "" {
			st["undrainableNodeBehavior"] = string(p.Strategy.UndrainableNodeBehavior)
		}
		spec["upgradeStrategy"] = st
		if cluster, ok := spec["cluster"].(map[string]any); ok {
			pools, _ := cluster["workerPools"].([]any)
			for _, x := range pools {
				pool, ok := x.(map[string]any)
				if !ok {
					continue
				}
				switch p.Strategy.Preset {
				case scenarios.PresetEKS:
					delete(pool, "maxSurge")
					delete(pool, "nodeDrainTimeout")
				case scenarios.PresetGKE:
					delete(pool, "nodeDrainTimeout")
				case scenarios.PresetAKS:
					if d, _ := pool["nodeDrainTimeout"].(string); d == "0s" || d == "0" {
						delete(pool, "nodeDrainTimeout")
					}
				}
			}
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			return nil, err
		}
		sc, err := scenarios.Parse(source+" ("+p.Label+")", data)
		if err != nil {
			return nil, err
		}
		out = append(out, Variant{Label: p.Label, Strategy: p.Strategy, Scenario: sc})
	}
	return out, nil
}

// Row is what a strategy did to the scenario over the seeds.
type Row struct {
	Label                        string
	Passed, Failed, Inconclusive int
	// The worst seed's dropped requests and longest PDB stall, and the longest upgrade.
	MaxDropped      int64
	MaxStallSeconds float64
	MaxUpgradeSecs  float64
	// FirstFailure is the lowest failing seed's failed criteria and cause.
	FirstFailure string
}

// Compare runs every variant over seeds (from the scenario's own seed on) on the simulator.
func Compare(ctx context.Context, variants []Variant, seeds, parallel int) ([]Row, error) {
	var rows []Row
	for _, v := range variants {
		row := Row{Label: v.Label}
		var mu sync.Mutex
		firstSeed := int64(-1)
		judge := func(sc *scenarios.Scenario, info *model.RunInfo, data *report.Judging) sweep.Verdict {
			r := data.Report(info)
			mu.Lock()
			defer mu.Unlock()
			row.MaxDropped = max(row.MaxDropped, r.Requests.Dropped)
			row.MaxStallSeconds = max(row.MaxStallSeconds, r.PDBStalls.LongestSeconds)
			row.MaxUpgradeSecs = max(row.MaxUpgradeSecs, r.UpgradeSeconds)
			if r.Verdict == report.Fail && (firstSeed < 0 || *sc.Spec.Seed < firstSeed) {
				firstSeed = *sc.Spec.Seed
				var names []string
				cause := ""
				for _, c := range r.Criteria {
					if c.Outcome == report.OutcomeFail {
						names = append(names, c.Name)
						if cause == "" {
							cause = c.Cause
						}
					}
				}
				row.FirstFailure = fmt.Sprintf("seed %d: %v: %s", firstSeed, names, cause)
			}
			return sweep.VerdictOf(r)
		}
		res, err := sweep.Run(ctx, v.Scenario, sim.NewProvider(), judge, sweep.Options{
			Seeds: seeds, FirstSeed: *v.Scenario.Spec.Seed, Parallel: parallel})
		if err != nil {
			return rows, fmt.Errorf("%s: %w", v.Label, err)
		}
		if res.HarnessErrors > 0 {
			return rows, fmt.Errorf("%s: %d seed(s) stopped by a harness error", v.Label, res.HarnessErrors)
		}
		row.Passed, row.Failed, row.Inconclusive = res.Passed, res.Failed, res.Inconclusive
		rows = append(rows, row)
	}
	return rows, nil
}
