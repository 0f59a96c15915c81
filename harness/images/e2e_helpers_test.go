//go:build e2e

package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
)

// providerManifests reads the rendered Cluster API components that zdt images build wrote.
func providerManifests(t *testing.T) [][]byte {
	t.Helper()
	cacheDir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	var manifests [][]byte
	for _, p := range Components() {
		b, err := os.ReadFile(filepath.Join(ComponentsDir(cacheDir), p.ComponentsFile()))
		if err != nil {
			t.Fatalf("components of %s missing (run zdt images build): %v", p.Name, err)
		}
		manifests = append(manifests, b)
	}
	return manifests
}

// createKindCluster creates a kind cluster (removing a leftover of the same name first), deletes
// it when the test ends unless ZDT_E2E_KEEP=1, and returns kind's provider and when creation began.
func createKindCluster(t *testing.T, name string, cfg *v1alpha4.Cluster) (*cluster.Provider, time.Time) {
	t.Helper()
	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))
	_ = provider.Delete(name, os.DevNull)
	start := time.Now()
	err := provider.Create(name, cluster.CreateWithV1Alpha4Config(cfg), cluster.CreateWithWaitForReady(4*time.Minute),
		cluster.CreateWithKubeconfigPath(os.DevNull), cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false))
	t.Cleanup(func() {
		if os.Getenv("ZDT_E2E_KEEP") == "1" {
			t.Logf("keeping cluster %s (ZDT_E2E_KEEP=1)", name)
			return
		}
		if err := provider.Delete(name, os.DevNull); err != nil {
			t.Errorf("delete cluster %s: %v", name, err)
		}
	})
	if err != nil {
		t.Fatalf("create cluster %s: %v", name, err)
	}
	return provider, start
}

// nodesReady reports whether `kubectl get nodes --no-headers` lists want nodes, all Ready.
func nodesReady(out string, want int) bool {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if f := strings.Fields(l); len(f) < 2 || f[1] != "Ready" {
			return false
		}
	}
	return len(lines) == want
}
