//go:build e2e

package images

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
)

// e2eVersions are the versions whose node images the e2e tests use: ZDT_E2E_VERSIONS
// (comma-separated) or every default version.
func e2eVersions() []string {
	if v := os.Getenv("ZDT_E2E_VERSIONS"); v != "" {
		return strings.Split(v, ",")
	}
	return DefaultKubernetesVersions
}

// TestKindClusterFromNodeImage creates, for each version, a kind cluster of one control plane
// and two workers from zdt's node image, and checks that every node gets Ready, every system pod
// runs, and a pod on one worker reaches a pod on the other.
func TestKindClusterFromNodeImage(t *testing.T) {
	if os.Getenv("ZDT_E2E") != "1" {
		t.Skip("set ZDT_E2E=1 to run tests that need Docker and the built images")
	}
	for _, version := range e2eVersions() {
		t.Run(version, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
			defer cancel()
			testCluster(ctx, t, version)
		})
	}
}

func testCluster(ctx context.Context, t *testing.T, version string) {
	image := NodeImage(version)
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", image).Run(); err != nil {
		t.Fatalf("node image %s is missing: run zdt images build --kubernetes %s", image, version)
	}
	name := "zdt-e2e-" + strings.NewReplacer("v", "", ".", "-").Replace(version)
	cfg := &v1alpha4.Cluster{Nodes: []v1alpha4.Node{
		{Role: v1alpha4.ControlPlaneRole, Image: image},
		{Role: v1alpha4.WorkerRole, Image: image},
		{Role: v1alpha4.WorkerRole, Image: image},
	}}
	provider, start := createKindCluster(t, name, cfg)
	t.Logf("%s: kind create cluster (1 control plane + 2 workers, nodes Ready) took %s", version, time.Since(start).Round(time.Second))
	all, err := provider.ListInternalNodes(name)
	if err != nil {
		t.Fatal(err)
	}
	cp, workers := splitNodes(t, all)
	k := kubectl{node: cp}

	// Every node Ready.
	if err := poll(ctx, 3*time.Minute, func() (bool, string, error) {
		out, err := k.run(ctx, nil, "get", "nodes", "--no-headers")
		if err != nil {
			return false, "", err
		}
		return nodesReady(out, 3), out, nil
	}); err != nil {
		t.Fatalf("nodes not Ready: %v", err)
	}
	out, _ := k.run(ctx, nil, "get", "nodes", "-o", "wide")
	t.Logf("%s: nodes Ready after %s:\n%s", version, time.Since(start).Round(time.Second), out)

	// Every system pod Running and ready.
	if err := poll(ctx, 4*time.Minute, func() (bool, string, error) {
		out, err := k.run(ctx, nil, "get", "pods", "--all-namespaces", "--no-headers")
		if err != nil {
			return false, "", err
		}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(l)
			if len(f) < 4 || f[3] != "Running" {
				return false, out, nil
			}
			if ready := strings.Split(f[2], "/"); len(ready) != 2 || ready[0] != ready[1] {
				return false, out, nil
			}
		}
		return true, out, nil
	}); err != nil {
		t.Fatalf("system pods not Running: %v", err)
	}
	out, _ = k.run(ctx, nil, "get", "pods", "--all-namespaces", "-o", "wide")
	t.Logf("%s: every system pod Running after %s:\n%s", version, time.Since(start).Round(time.Second), out)

	// A pod on one worker reaches a pod on the other.
	if err := loadImage(ctx, SampleAppImage, workers...); err != nil {
		t.Fatal(err)
	}
	client := strings.Replace(NodeImage(version), NodeImageRepo, "registry.k8s.io/kube-proxy", 1) // has curl
	server := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"server","labels":{"app":"server"}},
"spec":{"nodeName":%q,"containers":[{"name":"app","image":%q,"imagePullPolicy":"Never","ports":[{"containerPort":8080}],
"readinessProbe":{"httpGet":{"path":"/","port":8080},"periodSeconds":1}}]}}`, workers[0].String(), SampleAppImage)
	if _, err := k.run(ctx, strings.NewReader(server), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.run(ctx, nil, "wait", "--for=condition=Ready", "pod/server", "--timeout=120s"); err != nil {
		t.Fatalf("server pod not Ready: %v", err)
	}
	ip, err := k.run(ctx, nil, "get", "pod", "server", "-o", "jsonpath={.status.podIP}")
	if err != nil {
		t.Fatal(err)
	}
	clientPod := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"client"},
"spec":{"nodeName":%q,"restartPolicy":"Never","containers":[{"name":"curl","image":%q,"imagePullPolicy":"Never",
"command":["curl","-sS","--max-time","5","--retry","5","--retry-all-errors","--retry-delay","1","-D","-","http://%s:8080/"]}]}}`,
		workers[1].String(), client, ip)
	if _, err := k.run(ctx, strings.NewReader(clientPod), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	var phase string
	if err := poll(ctx, 2*time.Minute, func() (bool, string, error) {
		p, err := k.run(ctx, nil, "get", "pod", "client", "-o", "jsonpath={.status.phase}")
		phase = p
		return p == "Succeeded" || p == "Failed", p, err
	}); err != nil {
		t.Fatalf("client pod did not finish: %v", err)
	}
	logs, _ := k.run(ctx, nil, "logs", "client")
	wide, _ := k.run(ctx, nil, "get", "pods", "-o", "wide")
	if phase != "Succeeded" || !strings.Contains(logs, " 200") {
		t.Fatalf("request from %s to pod %s on %s: phase %s:\n%s\n%s", workers[1], ip, workers[0], phase, logs, wide)
	}
	t.Logf("%s: request from a pod on %s to %s (pod on %s) answered:\n%s\n%s", version, workers[1], ip, workers[0], firstLine(logs), wide)
}

func splitNodes(t *testing.T, all []nodes.Node) (nodes.Node, []nodes.Node) {
	t.Helper()
	var cp nodes.Node
	var workers []nodes.Node
	for _, n := range all {
		if strings.HasSuffix(n.String(), "-control-plane") {
			cp = n
		} else {
			workers = append(workers, n)
		}
	}
	if cp == nil || len(workers) != 2 {
		t.Fatalf("want a control plane and 2 workers, have %v", all)
	}
	return cp, workers
}

// kubectl runs kubectl on the control plane node with the admin kubeconfig.
type kubectl struct{ node nodes.Node }

func (k kubectl) run(ctx context.Context, in *strings.Reader, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := k.node.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig=/etc/kubernetes/admin.conf"}, args...)...).SetStdout(&out).SetStderr(&errOut)
	if in != nil {
		cmd.SetStdin(in)
	}
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// loadImage loads an image of the host's Docker into the nodes' containerd.
func loadImage(ctx context.Context, ref string, into ...nodes.Node) error {
	for _, n := range into {
		var archive bytes.Buffer
		cmd := exec.CommandContext(ctx, "docker", "save", ref)
		cmd.Stdout = &archive
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("docker save %s: %w", ref, err)
		}
		if err := nodeutils.LoadImageArchive(n, &archive); err != nil {
			return fmt.Errorf("load %s into %s: %w", ref, n, err)
		}
	}
	return nil
}

// poll calls cond every 2 s until it is done, errs, or timeout passes; the error then carries
// cond's last detail.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var detail string
	for {
		done, d, err := cond()
		if err == nil && done {
			return nil
		}
		if d != "" {
			detail = d
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%w (last error %v): %s", ctx.Err(), err, detail)
			}
			return fmt.Errorf("%w: %s", ctx.Err(), detail)
		case <-time.After(2 * time.Second):
		}
	}
}
