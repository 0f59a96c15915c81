package scenarios

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func strategyScenario(strategy, pool string) string {
	return `apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  cluster:
    workerPools:
      - {name: md-0, replicas: 3` + pool + `}
  versions: {from: v1.35.2, to: v1.36.3}
  workloads: [{name: web, replicas: 3}]
  upgradeStrategy: ` + strategy + `
  load: {rate: 10}
`
}

func TestUpgradeStrategyValidation(t *testing.T) {
	cases := []struct {
		name, strategy, pool string
		want                 string // "" for valid
	}{
		{"EKS", "{preset: EKS}", "", ""},
		{"AKS Cordon", "{preset: AKS, undrainableNodeBehavior: Cordon}", "", ""},
		{"GKE", "{preset: GKE}", ", maxSurge: 2", ""},
		{"unknown preset", "{preset: OpenShift}", "", "spec.upgradeStrategy.preset: Unsupported value: \"OpenShift\""},
		{"force outside EKS", "{preset: GKE, force: true}", "", "spec.upgradeStrategy.force: Forbidden: only the EKS preset has it"},
		{"Cordon outside AKS", "{preset: EKS, undrainableNodeBehavior: Cordon}", "", "spec.upgradeStrategy.undrainableNodeBehavior: Forbidden"},
		{"EKS takes no surge", "{preset: EKS}", ", maxSurge: 3", "spec.cluster.workerPools[0].maxSurge: Forbidden: an EKS managed node group takes no surge"},
		{"GKE sets its drain limit", "{preset: GKE}", ", nodeDrainTimeout: 5m", "spec.cluster.workerPools[0].nodeDrainTimeout: Forbidden: the GKE preset's drain limit is 1h0m0s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse("s.yaml", []byte(strategyScenario(c.strategy, c.pool)))
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid: %v", err)
				}
				// A defaulted scenario (as a run directory keeps it) reads back the same.
				data, err := yaml.Marshal(sc)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Parse("again.yaml", data); err != nil {
					t.Fatalf("the defaulted scenario does not read back: %v\n%s", err, data)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestPoolUpgradeOfPresets(t *testing.T) {
	cases := []struct {
		strategy               string
		surge, unavail, drains int
		drainTimeout           string
		on                     OnDrainTimeout
	}{
		{"{preset: ClusterAPI}", 1, 0, 0, "0s", DrainTimeoutDeletes},
		{"{preset: EKS}", 2, 1, 1, "15m0s", DrainTimeoutFails},
		{"{preset: EKS, force: true}", 2, 1, 1, "15m0s", DrainTimeoutDeletes},
		{"{preset: AKS}", 1, 0, 0, "30m0s", DrainTimeoutFails}, // 10% of 3, rounded up
		{"{preset: AKS, undrainableNodeBehavior: Cordon}", 1, 0, 0, "30m0s", DrainTimeoutQuarantines},
		{"{preset: GKE}", 1, 0, 0, "1h0m0s", DrainTimeoutDeletes},
	}
	for _, c := range cases {
		sc, err := Parse("s.yaml", []byte(strategyScenario(c.strategy, "")))
		if err != nil {
			t.Fatalf("%s: %v", c.strategy, err)
		}
		u, err := sc.PoolUpgradeOf(0)
		if err != nil {
			t.Fatal(err)
		}
		if u.MaxSurge != c.surge || u.MaxUnavailable != c.unavail || u.MaxDraining != c.drains || u.DrainTimeout.String() != c.drainTimeout || u.OnTimeout != c.on {
			t.Errorf("%s: %+v, want surge %d, unavailable %d, draining %d, drain timeout %s, %s", c.strategy, u, c.surge, c.unavail, c.drains, c.drainTimeout, c.on)
		}
	}
}
