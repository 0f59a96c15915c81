package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/zdt-dev/zdt/harness/images/components"
	"github.com/zdt-dev/zdt/harness/images/internal/build"
)

// CAPIVersion is the Cluster API release whose controllers and Docker provider zdt builds.
const CAPIVersion = "v1.14.2"

// capdLoadBalancerImage is the image the Cluster API Docker provider runs its clusters' API load
// balancer from by default; zdt builds it from Debian's haproxy.
const capdLoadBalancerImage = "kindest/haproxy:v20230606-42a2262b"

// Component is one Cluster API component zdt builds and installs: a provider in clusterctl's
// terms (core, bootstrap, control plane, infrastructure).
type Component struct {
	// Name is clusterctl's name of the provider (cluster-api, kubeadm, docker).
	Name string
	// Type is clusterctl's provider type (CoreProvider, BootstrapProvider, ...).
	Type string
	// Module and Package locate the manager's main package; ConfigDir the kustomize config of
	// its components inside Module.
	Module, Package, ConfigDir string
	// SourceImage is the manager image the kustomize config names; Image the one zdt builds.
	SourceImage, Image string
}

// Providers returns the Cluster API providers of the kind + Docker path at CAPIVersion.
func Components() []Component {
	const staging = "gcr.io/k8s-staging-cluster-api/"
	core, test := "sigs.k8s.io/cluster-api", "sigs.k8s.io/cluster-api/test"
	return []Component{
		{Name: "cluster-api", Type: "CoreProvider", Module: core, Package: core + "/core", ConfigDir: "core/config/default",
			SourceImage: staging + "cluster-api-controller", Image: "registry.k8s.io/cluster-api/cluster-api-controller:" + CAPIVersion},
		{Name: "kubeadm", Type: "BootstrapProvider", Module: core, Package: core + "/bootstrap/kubeadm", ConfigDir: "bootstrap/kubeadm/config/default",
			SourceImage: staging + "kubeadm-bootstrap-controller", Image: "registry.k8s.io/cluster-api/kubeadm-bootstrap-controller:" + CAPIVersion},
		{Name: "kubeadm", Type: "ControlPlaneProvider", Module: core, Package: core + "/controlplane/kubeadm", ConfigDir: "controlplane/kubeadm/config/default",
			SourceImage: staging + "kubeadm-control-plane-controller", Image: "registry.k8s.io/cluster-api/kubeadm-control-plane-controller:" + CAPIVersion},
		{Name: "docker", Type: "InfrastructureProvider", Module: test, Package: test + "/infrastructure/docker", ConfigDir: "infrastructure/docker/config/default",
			SourceImage: staging + "capd-manager", Image: staging + "capd-manager:" + CAPIVersion},
	}
}

// binaryName is the name of a provider's manager binary in the cache.
func (p Component) binaryName() string {
	return strings.ToLower(strings.TrimSuffix(p.Type, "Provider")) + "-" + p.Name
}

// capiBuild describes the build of every provider's manager from the Cluster API modules. The
// test module (the Docker provider) points at its parent through relative replaces that a
// dependency's go.mod cannot carry, so they are spelled out here.
func capiBuild() build.GoBuild {
	bins := map[string]string{}
	for _, p := range Components() {
		bins[p.binaryName()] = p.Package
	}
	var ld []string
	for _, kv := range [][2]string{{"gitVersion", CAPIVersion}, {"gitMajor", "1"}, {"gitMinor", "14"}, {"gitTreeState", "clean"}, {"buildDate", "1970-01-01T00:00:00Z"}} {
		ld = append(ld, fmt.Sprintf("-X sigs.k8s.io/cluster-api/version.%s=%s", kv[0], kv[1]))
	}
	return build.GoBuild{
		Name:    "cluster-api-" + CAPIVersion,
		Require: map[string]string{"sigs.k8s.io/cluster-api": CAPIVersion, "sigs.k8s.io/cluster-api/test": CAPIVersion},
		Replace: map[string]string{
			"sigs.k8s.io/cluster-api":     "sigs.k8s.io/cluster-api " + CAPIVersion,
			"sigs.k8s.io/cluster-api/api": "sigs.k8s.io/cluster-api/api " + CAPIVersion,
		},
		Binaries: bins,
		LDFlags:  "-s -w " + strings.Join(ld, " "),
	}
}

// haproxyDefaultConfig lets haproxy start before the Docker provider writes its configuration
// (and reloads haproxy with SIGHUP).
const haproxyDefaultConfig = `# zdt: placeholder until the Cluster API Docker provider writes the real configuration.
global
  log stdout format raw local0
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend placeholder
  bind 127.0.0.1:2999
  default_backend none
backend none
`

// haproxyWrapper is `haproxy` in the load balancer image's PATH (before Debian's /usr/sbin). The
// Docker provider's configuration asks for maxconn 100000, for which haproxy raises its file
// limit to about 200,000; where the host withholds CAP_SYS_RESOURCE the hard limit cannot be
// raised (20,000 here) and every reload fails with "Cannot raise FD limit". -n caps the
// connections (it has priority over maxconn) to what the hard limit allows; haproxy's
// master re-executes itself with the same arguments at each reload, so the cap holds.
const haproxyWrapper = `#!/bin/sh
# zdt: run Debian's haproxy with a connection limit the file limit allows.
hard=$(ulimit -Hn)
case "$hard" in
unlimited | "") exec /usr/sbin/haproxy "$@" ;;
esac
n=$(( (hard - 200) / 2 ))
[ "$n" -gt 100000 ] && n=100000
exec /usr/sbin/haproxy -n "$n" "$@"
`

// buildCAPI builds the Cluster API managers, their images, and the load balancer image.
func (b *builder) buildCAPI(ctx context.Context) error {
	var bin string
	if err := b.step(ctx, "cluster api managers "+CAPIVersion, nil, func(ctx context.Context) (Status, error) {
		return b.binaries(ctx, capiBuild(), func(dir string) { bin = dir })
	}); err != nil {
		return err
	}
	for _, p := range Components() {
		if err := b.step(ctx, fmt.Sprintf("%s (%s)", p.Name, p.Type), []string{p.Image}, func(ctx context.Context) (Status, error) {
			return b.staticImageAt(ctx, []string{p.Image}, true, filepath.Join(bin, p.binaryName()), "manager", []string{"/manager"})
		}); err != nil {
			return err
		}
	}
	var base string
	if err := b.step(ctx, "haproxy root file system (debootstrap)", nil, func(ctx context.Context) (Status, error) {
		ref, status, err := b.rootfsImage(ctx, "haproxy", haproxyPackages)
		base = ref
		return status, err
	}); err != nil {
		return err
	}
	refs := []string{capdLoadBalancerImage, EdgeLBImage}
	if err := b.step(ctx, "haproxy load balancer", refs, func(ctx context.Context) (Status, error) {
		cfg := filepath.Join(b.cacheDir, "haproxy", "haproxy.cfg")
		if err := build.WriteFile(cfg, haproxyDefaultConfig, 0o644); err != nil {
			return Failed, err
		}
		defer os.Remove(cfg)
		wrapper := filepath.Join(b.cacheDir, "haproxy", "haproxy")
		if err := build.WriteFile(wrapper, haproxyWrapper, 0o755); err != nil {
			return Failed, err
		}
		defer os.Remove(wrapper)
		return b.derivedImage(ctx, refs, true, base,
			map[string]string{"usr/local/etc/haproxy/haproxy.cfg": cfg, "usr/local/sbin/haproxy": wrapper},
			[]string{"haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"})
	}); err != nil {
		return err
	}
	return b.buildComponents(ctx)
}

// componentVariables fill clusterctl's variables in the providers' components: ClusterClass
// (the topology controller) and machine pools on, as zdt's workload clusters need.
var componentVariables = map[string]string{
	"CLUSTER_TOPOLOGY":                      "true",
	"EXP_MACHINE_POOL":                      "true",
	"EXP_CLUSTER_RESOURCE_SET":              "true",
	"EXP_RUNTIME_SDK":                       "false",
	"EXP_KUBEADM_BOOTSTRAP_FORMAT_IGNITION": "false",
}

// ComponentsDir is where `zdt images build` writes the providers' components in a cache.
func ComponentsDir(cacheDir string) string { return filepath.Join(cacheDir, "components", CAPIVersion) }

// ComponentsFile is the file of one provider's components in ComponentsDir.
func (p Component) ComponentsFile() string { return p.binaryName() + "-components.yaml" }

// buildComponents renders every provider's components with their images built here.
func (b *builder) buildComponents(ctx context.Context) error {
	dir := ComponentsDir(b.cacheDir)
	return b.step(ctx, "cluster api components (kustomize)", nil, func(ctx context.Context) (Status, error) {
		keyIn := map[string]string{"capi": CAPIVersion}
		for n, v := range componentVariables {
			keyIn["variable "+n] = v
		}
		for _, p := range Components() {
			keyIn["provider "+p.ComponentsFile()] = p.ConfigDir + " " + p.SourceImage + " " + p.Image
		}
		key := build.Key(keyIn)
		if build.Stamped(dir, key) {
			return Cached, nil
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Failed, fmt.Errorf("create %s: %w", dir, err)
		}
		for _, p := range Components() {
			mod, err := b.goTool.Download(ctx, p.Module, CAPIVersion)
			if err != nil {
				return Failed, err
			}
			out, err := components.Generate(components.Spec{ConfigDir: filepath.Join(mod.Dir, p.ConfigDir), SourceImage: p.SourceImage, Image: p.Image, Variables: componentVariables})
			if err != nil {
				return Failed, err
			}
			if err := build.WriteFile(filepath.Join(dir, p.ComponentsFile()), string(out), 0o644); err != nil {
				return Failed, err
			}
			b.logf("  %s (%s): %s", p.Name, p.Type, filepath.Join(dir, p.ComponentsFile()))
		}
		return Built, build.Stamp(dir, key)
	})
}
