package images

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestNodeContainerdConfig(t *testing.T) {
	kind, err := os.ReadFile("testdata/kind-v0.33.0-containerd-config.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := nodeContainerdConfig(string(kind), "registry.k8s.io/pause:3.10.2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"restrict_oom_score_adj = true",
		`sandbox_image = "registry.k8s.io/pause:3.10.2"`,
		`[plugins."io.containerd.grpc.v1.cri".cni]`,
		`conf_template = "/etc/containerd/cni-template.json"`,
		"SystemdCgroup = true",
		"version = 2",
	} {
		t.Run(want, func(t *testing.T) {
			if !strings.Contains(got, want) {
				t.Errorf("rendered config lacks %q:\n%s", want, got)
			}
		})
	}
	t.Run("no false restrict left", func(t *testing.T) {
		if strings.Contains(got, "restrict_oom_score_adj = false") {
			t.Error("restrict_oom_score_adj = false is still there")
		}
	})
	t.Run("errors", func(t *testing.T) {
		bad := []struct{ name, in string }{
			{"no restrict", strings.ReplaceAll(string(kind), "restrict_oom_score_adj", "x")},
			{"no sandbox", strings.ReplaceAll(string(kind), "sandbox_image", "x")},
			{"cni already", string(kind) + "\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n"},
		}
		for _, b := range bad {
			if _, err := nodeContainerdConfig(b.in, "p"); err == nil {
				t.Errorf("%s: no error", b.name)
			}
		}
	})
}

func TestCNITemplateIsJSON(t *testing.T) {
	rendered := strings.ReplaceAll(cniTemplate, "{{.PodCIDR}}", "10.244.1.0/24")
	var conf struct {
		Name    string           `json:"name"`
		Plugins []map[string]any `json:"plugins"`
	}
	if err := json.Unmarshal([]byte(rendered), &conf); err != nil {
		t.Fatalf("rendered template is not JSON: %v", err)
	}
	types := []string{}
	for _, p := range conf.Plugins {
		types = append(types, p["type"].(string))
	}
	if got := strings.Join(types, ","); got != "ptp,portmap" {
		t.Errorf("plugins %s, want ptp,portmap", got)
	}
}

func TestRouteAgentManifest(t *testing.T) {
	m, err := RouteAgentManifest("zdt.dev/route-agent:1", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m, "{{") {
		t.Error("the manifest holds a template action: kind would render it")
	}
	kinds := []string{}
	for _, doc := range strings.Split(m, "\n---\n") {
		var obj struct {
			Kind string `json:"kind"`
			Spec struct {
				Template struct {
					Spec struct {
						HostNetwork bool `json:"hostNetwork"`
						Containers  []struct {
							Image string `json:"image"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.UnmarshalStrict([]byte(doc), &obj); err != nil && !strings.Contains(err.Error(), "unknown field") {
			t.Fatalf("document is not YAML: %v", err)
		}
		kinds = append(kinds, obj.Kind)
		if obj.Kind == "DaemonSet" {
			if !obj.Spec.Template.Spec.HostNetwork {
				t.Error("the route agent must run on the host network")
			}
			if got := obj.Spec.Template.Spec.Containers[0].Image; got != "zdt.dev/route-agent:1" {
				t.Errorf("image %q", got)
			}
		}
	}
	if got := strings.Join(kinds, ","); got != "ServiceAccount,ClusterRole,ClusterRoleBinding,DaemonSet" {
		t.Errorf("kinds %s", got)
	}
	if _, err := RouteAgentManifest("", ""); err == nil {
		t.Error("an empty image is accepted")
	}
	if strings.Contains(m, "KUBERNETES_SERVICE_HOST") {
		t.Error("no API endpoint given: the agent must use the kubernetes Service")
	}
	withAPI, err := RouteAgentManifest("zdt.dev/route-agent:1", "172.18.0.3:6443")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(withAPI, "- name: KUBERNETES_SERVICE_HOST\n              value: \"172.18.0.3\"") || !strings.Contains(withAPI, `value: "6443"`) {
		t.Errorf("the API endpoint is not the agent's:\n%s", withAPI)
	}
	if _, err := RouteAgentManifest("zdt.dev/route-agent:1", "no-port"); err == nil {
		t.Error("an endpoint without a port is accepted")
	}
}

func TestKubeletDefaults(t *testing.T) {
	tests := []struct{ in, want string }{
		{"KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/containerd.service", "KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/containerd.service --fail-cgroupv1=false\n"},
		{"", "KUBELET_EXTRA_ARGS=--fail-cgroupv1=false\n"},
		{"KUBELET_EXTRA_ARGS=--fail-cgroupv1=false\n", "KUBELET_EXTRA_ARGS=--fail-cgroupv1=false\n"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := kubeletDefaults(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseKubeadmImages(t *testing.T) {
	out := `registry.k8s.io/kube-apiserver:v1.36.3
registry.k8s.io/kube-controller-manager:v1.36.3
registry.k8s.io/kube-scheduler:v1.36.3
registry.k8s.io/kube-proxy:v1.36.3
registry.k8s.io/coredns/coredns:v1.14.2
registry.k8s.io/pause:3.10.2
registry.k8s.io/etcd:3.6.8-0
`
	imgs, err := parseKubeadmImages(out)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, ref, tag string }{
		{"coredns", "registry.k8s.io/coredns/coredns:v1.14.2", "v1.14.2"},
		{"etcd", "registry.k8s.io/etcd:3.6.8-0", "3.6.8-0"},
		{"pause", "registry.k8s.io/pause:3.10.2", "3.10.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if imgs.ref(tt.name) != tt.ref || imgs.tag(tt.name) != tt.tag {
				t.Errorf("%s: %s %s", tt.name, imgs.ref(tt.name), imgs.tag(tt.name))
			}
		})
	}
	if len(imgs.all()) != 7 {
		t.Errorf("all() has %d images, want 7", len(imgs.all()))
	}
	if _, err := parseKubeadmImages("registry.k8s.io/pause:3.10.2\n"); err == nil {
		t.Error("a list without the control plane: no error")
	}
}

func TestNormalizeRef(t *testing.T) {
	tests := []struct{ in, want string }{
		{"busybox:1", "docker.io/library/busybox:1"},
		{"kindest/haproxy:v1", "docker.io/kindest/haproxy:v1"},
		{"registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2"},
		{"zdt.dev/route-agent:1", "zdt.dev/route-agent:1"},
		{"localhost/x:1", "localhost/x:1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizeRef(tt.in); got != tt.want {
				t.Errorf("normalizeRef(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestStaticRootfs(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "etcd")
	if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := staticRootfs(&buf, bin, "usr/local/bin/etcd"); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[h.Name] = h.Mode
	}
	tests := []struct {
		name string
		mode int64
	}{{"usr/local/bin/etcd", 0o755}, {"tmp/", 0o1777}, {"etc/passwd", 0o644}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if mode, ok := got[tt.name]; !ok || mode != tt.mode {
				t.Errorf("%s: mode %o present %v, want %o", tt.name, mode, ok, tt.mode)
			}
		})
	}
}

func TestUpgradeAddonsPreloadsTheOtherVersionsAddons(t *testing.T) {
	old := versionSet{version: "v1.36.3", images: kubeadmImages{
		"kube-proxy": "registry.k8s.io/kube-proxy:v1.36.3", "coredns": "registry.k8s.io/coredns/coredns:v1.14.2",
		"pause": "registry.k8s.io/pause:3.10.2"}}
	next := versionSet{version: "v1.37.2", images: kubeadmImages{
		"kube-proxy": "registry.k8s.io/kube-proxy:v1.37.2", "coredns": "registry.k8s.io/coredns/coredns:v1.14.6",
		"pause": "registry.k8s.io/pause:3.10.2"}}
	sets := []versionSet{old, next}
	got := upgradeAddons(old, sets)
	want := []string{"registry.k8s.io/kube-proxy:v1.37.2", "registry.k8s.io/coredns/coredns:v1.14.6"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("add-ons preloaded on %s = %v, want %v", old.version, got, want)
	}
	got = upgradeAddons(next, sets)
	want = []string{"registry.k8s.io/kube-proxy:v1.36.3", "registry.k8s.io/coredns/coredns:v1.14.2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("add-ons preloaded on %s = %v, want %v", next.version, got, want)
	}
	if got := upgradeAddons(old, []versionSet{old}); len(got) != 0 {
		t.Errorf("a single version preloads %v, want nothing", got)
	}
}

// The node looks host.docker.internal up in /etc/hosts only: asked through DNS, Docker's
// embedded DNS forwards it off the machine at every node's start.
func TestPatchEntrypoint(t *testing.T) {
	kind, err := os.ReadFile("testdata/kind-v0.33.0-entrypoint")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "entrypoint")
	if err := os.WriteFile(path, kind, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := patchEntrypoint(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), kindHostLookup) || strings.Count(string(got), nodeHostLookup) != 1 {
		t.Errorf("the lookup is not the files-only one:\n%s", got)
	}
	// Nothing else changed: undoing the one replacement gives kind's file back.
	if string(kind) != strings.Replace(string(got), nodeHostLookup, kindHostLookup, 1) {
		t.Error("the patch changed more than the lookup")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v, %v; want 0755", fi.Mode(), err)
	}
	// An entrypoint without the lookup (a kind release that changed it) is an error, and so is
	// one already patched.
	if err := patchEntrypoint(path); err == nil || !strings.Contains(err.Error(), "update patchEntrypoint") {
		t.Errorf("patching twice = %v, want an error", err)
	}
}
