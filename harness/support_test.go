package harness_test

import (
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/scenarios"
)

// A provider that upgrades through Cluster API refuses a managed service's preset, naming the
// field and the fix; one that follows presets accepts it.
func TestCheckSupportRefusesAManagedPresetOnAClusterAPIProvider(t *testing.T) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.UpgradeStrategy = &scenarios.UpgradeStrategy{Preset: scenarios.PresetAKS}
	err = harness.CheckSupport(sc, &harness.ProviderInfo{Name: "kind"})
	if err == nil || !strings.Contains(err.Error(), "spec.upgradeStrategy.preset: AKS") || !strings.Contains(err.Error(), "--provider sim") {
		t.Fatalf("err = %v, want a refusal naming spec.upgradeStrategy.preset and --provider sim", err)
	}
	if err := harness.CheckSupport(sc, &harness.ProviderInfo{Name: "sim", ManagedStrategies: true}); err != nil {
		t.Errorf("the simulator refuses the preset: %v", err)
	}
	sc.Spec.UpgradeStrategy.Preset = scenarios.PresetClusterAPI
	if err := harness.CheckSupport(sc, &harness.ProviderInfo{Name: "kind"}); err != nil {
		t.Errorf("kind refuses the ClusterAPI preset: %v", err)
	}
}
