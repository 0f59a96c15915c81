//go:build e2e

package images

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drone/envsubst/v2"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"

	"github.com/zdt-dev/zdt/harness/images/components"
	"github.com/zdt-dev/zdt/harness/images/internal/build"
)

// TestCAPDWorkloadCluster goes one step past the providers: from the quick-start ClusterClass,
// the Docker provider creates a workload cluster (1 control plane, 1 worker) from zdt's node
// image behind zdt's haproxy load balancer image, and its nodes get Ready with zdt's CNI.
// ZDT_E2E_CAPD=1 runs it (it takes several minutes).
func TestCAPDWorkloadCluster(t *testing.T) {
	if os.Getenv("ZDT_E2E") != "1" || os.Getenv("ZDT_E2E_CAPD") != "1" {
		t.Skip("set ZDT_E2E=1 and ZDT_E2E_CAPD=1 to create a workload cluster with the Docker provider")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	version := e2eVersions()[0]
	cacheDir, err := DefaultCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	manifests := providerManifests(t)
	name := "zdt-e2e-capd"
	provider := cluster.NewProvider(cluster.ProviderWithDocker(), cluster.ProviderWithLogger(kindcmd.NewLogger()))
	_ = provider.Delete(name, os.DevNull)
	cfg := &v1alpha4.Cluster{Nodes: []v1alpha4.Node{{
		Role: v1alpha4.ControlPlaneRole, Image: NodeImage(version),
		ExtraMounts: []v1alpha4.Mount{{HostPath: "/var/run/docker.sock", ContainerPath: "/var/run/docker.sock"}},
	}}}
	err = provider.Create(name, cluster.CreateWithV1Alpha4Config(cfg), cluster.CreateWithWaitForReady(4*time.Minute),
		cluster.CreateWithKubeconfigPath(os.DevNull), cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false))
	all, _ := provider.ListInternalNodes(name)
	var k kubectl
	if len(all) > 0 {
		k = kubectl{node: all[0]}
	}
	t.Cleanup(func() {
		if os.Getenv("ZDT_E2E_KEEP") == "1" {
			return
		}
		// Delete the workload cluster first, so that the Docker provider removes its containers.
		if k.node != nil {
			cctx, ccancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer ccancel()
			_, _ = k.run(cctx, nil, "delete", "cluster", "wl", "--wait=true", "--timeout=150s")
		}
		if err := provider.Delete(name, os.DevNull); err != nil {
			t.Errorf("delete cluster %s: %v", name, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := LoadIntoKind(ctx, name, ComponentImages()); err != nil {
		t.Fatal(err)
	}
	raw, err := provider.KubeConfig(name, false)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := components.InstallManifests(ctx, rc, manifests, components.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	test, err := (&build.Go{Bin: "go"}).Download(ctx, "sigs.k8s.io/cluster-api/test", CAPIVersion)
	if err != nil {
		t.Fatal(err)
	}
	templates := filepath.Join(test.Dir, "infrastructure", "docker", "templates")
	class, err := os.ReadFile(filepath.Join(templates, "clusterclass-quick-start.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := os.ReadFile(filepath.Join(templates, "cluster-template-development.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CLUSTER_NAME": "wl", "NAMESPACE": "default", "CONTROL_PLANE_MACHINE_COUNT": "1",
		"WORKER_MACHINE_COUNT": "1", "KUBERNETES_VERSION": version}
	wl, err := envsubst.Eval(string(tmpl), func(v string) string { return vars[v] })
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := k.run(ctx, strings.NewReader(string(class)), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.run(ctx, strings.NewReader(wl), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, 12*time.Minute, func() (bool, string, error) {
		out, err := k.run(ctx, nil, "get", "machines", "--no-headers", "-o", "custom-columns=NAME:.metadata.name,PHASE:.status.phase,NODE:.status.nodeRef.name")
		if err != nil {
			return false, "", err
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for _, l := range lines {
			if f := strings.Fields(l); len(f) < 3 || f[1] != "Running" || f[2] == "<none>" {
				return false, out, nil
			}
		}
		return len(lines) == 2, out, nil
	}); err != nil {
		desc, _ := k.run(ctx, nil, "get", "cluster,machines,dockermachines", "-o", "wide")
		t.Fatalf("machines not Running: %v\n%s", err, desc)
	}
	t.Logf("%s: both machines Running in %s", version, time.Since(start).Round(time.Second))
	secret, err := k.run(ctx, nil, "get", "secret", "wl-kubeconfig", "-o", "jsonpath={.data.value}")
	if err != nil {
		t.Fatal(err)
	}
	kc, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	// Write the workload kubeconfig into the management node and use it from there.
	if err := all[0].CommandContext(ctx, "sh", "-c", "cat > /tmp/wl.conf").SetStdin(strings.NewReader(string(kc))).Run(); err != nil {
		t.Fatal(err)
	}
	w := workloadKubectl{mgmt: k}
	cni, err := os.ReadFile(filepath.Join(cacheDir, "manifests", "cni.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(ctx, string(cni), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, 5*time.Minute, func() (bool, string, error) {
		out, err := w.run(ctx, "", "get", "nodes", "--no-headers")
		if err != nil {
			return false, "", err
		}
		return nodesReady(out, 2), out, nil
	}); err != nil {
		t.Fatalf("workload nodes not Ready: %v", err)
	}
	nodes, _ := w.run(ctx, "", "get", "nodes", "-o", "wide")
	pods, _ := w.run(ctx, "", "get", "pods", "-A", "-o", "wide")
	t.Logf("%s: workload cluster nodes Ready %s after apply:\n%s\n%s", version, time.Since(start).Round(time.Second), nodes, pods)
}

// workloadKubectl runs kubectl on the management node against the workload cluster.
type workloadKubectl struct{ mgmt kubectl }

func (w workloadKubectl) run(ctx context.Context, in string, args ...string) (string, error) {
	var r *strings.Reader
	if in != "" {
		r = strings.NewReader(in)
	}
	return w.mgmt.run(ctx, r, append([]string{"--kubeconfig=/tmp/wl.conf"}, args...)...)
}
