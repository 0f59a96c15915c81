//go:build e2e

package images

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	"github.com/zdt-dev/zdt/harness/images/components"
)

// TestProvidersInstallOffline creates a kind management cluster from zdt's node image (the
// host's Docker socket mounted, as the Docker provider needs), loads the provider images, installs
// the Cluster API providers offline with zdt's own webhook certificates, and checks that every
// provider's pod runs.
func TestProvidersInstallOffline(t *testing.T) {
	if os.Getenv("ZDT_E2E") != "1" {
		t.Skip("set ZDT_E2E=1 to run tests that need Docker and the built images")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	version := e2eVersions()[0]
	manifests := providerManifests(t)
	name := "zdt-e2e-mgmt"
	cfg := &v1alpha4.Cluster{Nodes: []v1alpha4.Node{{
		Role:  v1alpha4.ControlPlaneRole,
		Image: NodeImage(version),
		ExtraMounts: []v1alpha4.Mount{{
			HostPath: "/var/run/docker.sock", ContainerPath: "/var/run/docker.sock",
		}},
	}}}
	provider, start := createKindCluster(t, name, cfg)
	t.Logf("management cluster %s (%s) Ready in %s", name, version, time.Since(start).Round(time.Second))

	start = time.Now()
	if err := LoadIntoKind(ctx, name, ComponentImages()); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d provider images in %s", len(ComponentImages()), time.Since(start).Round(time.Second))
	raw, err := provider.KubeConfig(name, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	var log strings.Builder
	if err := components.InstallManifests(ctx, rc, manifests, components.InstallOptions{Timeout: 5 * time.Minute, Log: &log}); err != nil {
		t.Fatalf("install providers: %v\n%s", err, log.String())
	}
	t.Logf("providers installed offline, every controller available, in %s:\n%s", time.Since(start).Round(time.Second), log.String())

	all, err := provider.ListInternalNodes(name)
	if err != nil {
		t.Fatal(err)
	}
	k := kubectl{node: all[0]}
	if err := poll(ctx, 3*time.Minute, func() (bool, string, error) {
		out, err := k.run(ctx, nil, "get", "pods", "--all-namespaces", "--no-headers")
		if err != nil {
			return false, "", err
		}
		n := 0
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) < 4 {
				continue
			}
			if f[3] != "Running" {
				return false, out, nil
			}
			if strings.HasPrefix(f[0], "cap") {
				n++
			}
		}
		return n == 4, out, nil
	}); err != nil {
		t.Fatalf("provider pods not Running: %v", err)
	}
	wide, _ := k.run(ctx, nil, "get", "pods", "--all-namespaces", "-o", "wide")
	t.Logf("every pod Running:\n%s", wide)
	// The webhooks answer with zdt's certificates: a dry-run create of a Cluster passes through
	// the core provider's defaulting and validating webhooks.
	cl := `{"apiVersion":"cluster.x-k8s.io/v1beta2","kind":"Cluster","metadata":{"name":"webhook-probe","namespace":"default"},"spec":{"clusterNetwork":{"pods":{"cidrBlocks":["192.168.0.0/16"]}},
"infrastructureRef":{"apiGroup":"infrastructure.cluster.x-k8s.io","kind":"DockerCluster","name":"webhook-probe"}}}`
	out, err := k.run(ctx, strings.NewReader(cl), "create", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("a dry-run Cluster through the webhooks: %v", err)
	}
	t.Logf("webhooks answer (a failing TLS handshake would fail the request): %s", out)
}
