package images

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/images/internal/build"
)

// DefaultKubernetesVersions are the versions node images are built for when none are asked for.
var DefaultKubernetesVersions = []string{"v1.36.3", "v1.37.2"}

// criToolsVersion is the cri-tools release crictl is built from.
const criToolsVersion = "v1.37.0"

// Image names zdt gives the images it makes for itself (upstream images keep upstream names).
const (
	NodeImageRepo   = "zdt.dev/kind-node"
	RouteAgentImage = "zdt.dev/route-agent:" + build.RecipeVersion
	SampleAppImage  = "zdt.dev/sampleapp:dev"
	// ZDTImage is zdt itself, for sweeps run as a Kubernetes Job (zdt sweep --on-cluster).
	ZDTImage = "zdt.dev/zdt:dev"
	// FaultAgentImage runs beside a kind node, in its network namespace, for the faults a
	// command in the node cannot make (a NetworkDelay where the kernel has no tc netem).
	FaultAgentImage = "zdt.dev/fault-agent:dev"
	EdgeLBImage     = "zdt.dev/edge-lb:" + build.RecipeVersion
	rootfsImageRepo = "zdt.dev/node-rootfs"
)

// NodeImage returns the reference of zdt's kind node image for a Kubernetes version.
func NodeImage(version string) string { return NodeImageRepo + ":" + version }

// Options configure Build.
type Options struct {
	// Kubernetes lists the versions to build node images for (DefaultKubernetesVersions if empty).
	Kubernetes []string
	// CacheDir keeps build outputs between runs (DefaultCacheDir if empty).
	CacheDir string
	// SourceDir is zdt's source tree, for the images of zdt's own programs (the current
	// directory's module if empty).
	SourceDir string
	// Pull tries to pull upstream images before building them.
	Pull bool
	// Progress receives one line per step and the summary; BuildLog every command's output.
	Progress io.Writer
	BuildLog io.Writer
}

// Status says how a step's output came to be.
type Status string

// The statuses of a step.
const (
	Built  Status = "built"
	Cached Status = "cached"
	Pulled Status = "pulled"
	Failed Status = "failed"
)

// StepResult is the outcome of one step: an image, or an input of images (binaries, a root file
// system).
type StepResult struct {
	Name     string
	Refs     []string
	Status   Status
	Duration time.Duration
	Err      error
}

// Summary is the outcome of Build.
type Summary struct {
	Steps []StepResult
	Total time.Duration
}

// Write prints the summary as a table with the time each step took.
func (s *Summary) Write(w io.Writer) {
	fmt.Fprintf(w, "\n%-44s %-7s %9s  %s\n", "STEP", "STATUS", "TIME", "IMAGE")
	for _, r := range s.Steps {
		ref := ""
		if len(r.Refs) > 0 {
			ref = r.Refs[0]
			if len(r.Refs) > 1 {
				ref += fmt.Sprintf(" (+%d)", len(r.Refs)-1)
			}
		}
		fmt.Fprintf(w, "%-44s %-7s %8.1fs  %s\n", r.Name, r.Status, r.Duration.Seconds(), ref)
	}
	counts := map[Status]int{}
	for _, r := range s.Steps {
		counts[r.Status]++
	}
	fmt.Fprintf(w, "%d steps: %d built, %d cached, %d pulled, %d failed; total %.1fs\n",
		len(s.Steps), counts[Built], counts[Cached], counts[Pulled], counts[Failed], s.Total.Seconds())
}

// builder builds images; make one with Build.
type builder struct {
	cacheDir  string
	sourceDir string
	goBin     string
	goTool    *build.Go
	pull      bool
	progress  io.Writer
	buildLog  io.Writer
	docker    build.Docker
	// unreachable remembers the registries a pull failed from, so that each is tried once.
	unreachable map[string]bool
	summary     Summary
}

// Build builds every image the kind + Cluster API Docker path needs, skipping those already
// present, and returns what each step did. It stops at the first failing step.
func Build(ctx context.Context, opts Options) (*Summary, error) {
	versions := opts.Kubernetes
	if len(versions) == 0 {
		versions = DefaultKubernetesVersions
	}
	for _, v := range versions {
		if _, _, _, err := build.ParseVersion(v); err != nil {
			return nil, err
		}
	}
	b, err := newBuilder(opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	err = b.buildAll(ctx, versions)
	b.summary.Total = time.Since(start)
	return &b.summary, err
}

func newBuilder(opts Options) (*builder, error) {
	b := &builder{
		cacheDir:    opts.CacheDir,
		sourceDir:   opts.SourceDir,
		pull:        opts.Pull,
		progress:    opts.Progress,
		buildLog:    opts.BuildLog,
		docker:      build.Docker{Log: opts.BuildLog},
		unreachable: map[string]bool{},
	}
	if b.progress == nil {
		b.progress = io.Discard
	}
	if b.cacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		b.cacheDir = dir
	}
	if err := os.MkdirAll(b.cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the cache directory: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("the go command is needed to build images from Go modules: %w", err)
	}
	b.goBin = goBin
	b.goTool = &build.Go{Bin: goBin, CacheDir: b.cacheDir, Log: b.logf, BuildLog: b.buildLog}
	if b.sourceDir == "" {
		b.sourceDir = zdtSourceDir()
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return nil, fmt.Errorf("the docker command is needed (make docker-setup installs Docker): %w", err)
	}
	return b, nil
}

// zdtSourceDir finds zdt's source tree from the current directory, or returns "".
func zdtSourceDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for i := 0; i < 20; i++ {
		if mod, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if strings.HasPrefix(string(mod), "module github.com/zdt-dev/zdt\n") {
				return dir
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func (b *builder) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, format+"\n", args...)
}

// step runs one step, times it, prints its outcome and records it in the summary.
func (b *builder) step(ctx context.Context, name string, refs []string, run func(ctx context.Context) (Status, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.logf("==> %s", name)
	if b.buildLog != nil {
		fmt.Fprintf(b.buildLog, "\n==> %s\n", name)
	}
	start := time.Now()
	status, err := run(ctx)
	if err != nil {
		status = Failed
	}
	r := StepResult{Name: name, Refs: refs, Status: status, Duration: time.Since(start), Err: err}
	b.summary.Steps = append(b.summary.Steps, r)
	if err != nil {
		b.logf("    %s after %.1fs: %v", status, r.Duration.Seconds(), err)
		return fmt.Errorf("%s: %w", name, err)
	}
	b.logf("    %s in %.1fs", status, r.Duration.Seconds())
	return nil
}

// versionSet holds what the steps for one Kubernetes version share.
type versionSet struct {
	version string
	kubeBin string
	images  kubeadmImages
}

func (b *builder) buildAll(ctx context.Context, versions []string) error {
	var nodeRootfs string // the node root file system image
	if err := b.step(ctx, "node root file system (debootstrap)", nil, func(ctx context.Context) (Status, error) {
		ref, status, err := b.rootfsImage(ctx, "node", nodePackages)
		nodeRootfs = ref
		return status, err
	}); err != nil {
		return err
	}
	var crictl string
	if err := b.step(ctx, "crictl "+criToolsVersion, nil, func(ctx context.Context) (Status, error) {
		return b.binaries(ctx, build.GoBuild{
			Name:     "cri-tools-" + criToolsVersion,
			Require:  map[string]string{"sigs.k8s.io/cri-tools": criToolsVersion},
			Binaries: map[string]string{"crictl": "sigs.k8s.io/cri-tools/cmd/crictl"},
			LDFlags:  "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=" + criToolsVersion,
		}, func(dir string) { crictl = filepath.Join(dir, "crictl") })
	}); err != nil {
		return err
	}
	var routeAgentRef string
	if err := b.step(ctx, "route agent (CNI)", []string{RouteAgentImage}, func(ctx context.Context) (Status, error) {
		routeAgentRef = RouteAgentImage
		return b.localImage(ctx, "./harness/images/internal/routeagent", "zdt-route-agent", []string{RouteAgentImage}, false)
	}); err != nil {
		return err
	}
	cni, err := RouteAgentManifest(routeAgentRef, "")
	if err != nil {
		return err
	}
	if err := build.WriteFile(filepath.Join(b.cacheDir, "manifests", "cni.yaml"), cni, 0o644); err != nil {
		return err
	}
	built := map[string]bool{} // images shared by versions (etcd, CoreDNS, pause)
	sets := make([]versionSet, 0, len(versions))
	for _, v := range versions {
		vs, err := b.buildVersion(ctx, v, nodeRootfs, built)
		if err != nil {
			return err
		}
		sets = append(sets, vs)
	}
	for _, vs := range sets {
		if err := b.buildNodeImage(ctx, vs, nodeRootfs, crictl, cni, routeAgentRef, upgradeAddons(vs, sets)); err != nil {
			return err
		}
	}
	if err := b.buildApps(ctx); err != nil {
		return err
	}
	return b.buildCAPI(ctx)
}

// upgradeAddons returns the images of the cluster add-ons of every other version built: the
// kube-proxy DaemonSet and CoreDNS. During an upgrade they run on nodes of both versions (Cluster
// API's control plane provider moves kube-proxy to the new version while the old workers still
// run, and leaves CoreDNS at its version on the new nodes); with no registry to pull from, every
// node image must hold them, as a node of a real cluster would pull them.
func upgradeAddons(vs versionSet, sets []versionSet) []string {
	var out []string
	for _, o := range sets {
		if o.version == vs.version {
			continue
		}
		for _, name := range []string{"kube-proxy", "coredns"} {
			if r := o.images.ref(name); r != "" && vs.images.ref(name) != r {
				out = append(out, r)
			}
		}
	}
	return out
}

// buildVersion builds the Kubernetes binaries of a version and its control plane images.
func (b *builder) buildVersion(ctx context.Context, version, nodeRootfs string, built map[string]bool) (versionSet, error) {
	vs := versionSet{version: version}
	if err := b.step(ctx, "kubernetes binaries "+version, nil, func(ctx context.Context) (Status, error) {
		g, err := b.kubernetesBuild(ctx, version)
		if err != nil {
			return Failed, err
		}
		return b.binaries(ctx, g, func(dir string) { vs.kubeBin = dir })
	}); err != nil {
		return vs, err
	}
	imgs, err := b.kubeadmImages(ctx, vs.kubeBin, version)
	if err != nil {
		return vs, err
	}
	vs.images = imgs
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		ref := imgs.ref(c)
		if err := b.step(ctx, c+" "+version, []string{ref}, func(ctx context.Context) (Status, error) {
			return b.staticImage(ctx, []string{ref}, true, filepath.Join(vs.kubeBin, c), nil)
		}); err != nil {
			return vs, err
		}
	}
	proxy := imgs.ref("kube-proxy")
	if err := b.step(ctx, "kube-proxy "+version, []string{proxy}, func(ctx context.Context) (Status, error) {
		return b.derivedImage(ctx, []string{proxy}, true, nodeRootfs, map[string]string{"usr/local/bin/kube-proxy": filepath.Join(vs.kubeBin, "kube-proxy")}, nil)
	}); err != nil {
		return vs, err
	}
	for _, dep := range []struct {
		name  string
		build func(ctx context.Context, ref string) (Status, error)
	}{
		{"etcd", b.etcdImage},
		{"coredns", b.corednsImage},
		{"pause", b.pauseImage},
	} {
		ref := imgs.ref(dep.name)
		if built[ref] {
			continue
		}
		if err := b.step(ctx, dep.name+" "+imgs.tag(dep.name), []string{ref}, func(ctx context.Context) (Status, error) {
			return dep.build(ctx, ref)
		}); err != nil {
			return vs, err
		}
		built[ref] = true
	}
	return vs, nil
}

// buildNodeImage builds the node image of a version with its images, the route agent and extra
// (other versions' add-ons) preloaded.
func (b *builder) buildNodeImage(ctx context.Context, vs versionSet, nodeRootfs, crictl, cni, routeAgent string, extra []string) error {
	version, imgs := vs.version, vs.images
	node := NodeImage(version)
	kindName := kindNodeAlias(version)
	return b.step(ctx, "kind node image "+version, []string{node, kindName}, func(ctx context.Context) (Status, error) {
		status, err := b.nodeImage(ctx, node, version, nodeRootfs, crictl, cni, routeAgent, vs, imgs, extra)
		if err != nil {
			return status, err
		}
		// The Cluster API Docker provider's quick-start ClusterClass runs kindest/node:<version>:
		// zdt's node image answers to that name too, unless an upstream image has it.
		if b.docker.Exists(ctx, kindName) && b.docker.Label(ctx, kindName, keyLabel) == "" {
			b.logf("    %s is an upstream image: left as it is", kindName)
			return status, nil
		}
		return status, b.docker.Tag(ctx, node, kindName)
	})
}

// kindNodeAlias is the second name of zdt's node image: the one kind and the Cluster API Docker
// provider use by default.
func kindNodeAlias(version string) string { return "kindest/node:" + version }

// nodeImage builds (or finds up to date) the node image of a version.
func (b *builder) nodeImage(ctx context.Context, node, version, nodeRootfs, crictl, cni, routeAgent string, vs versionSet, imgs kubeadmImages, extra []string) (Status, error) {
	preload := append(append(imgs.all(), routeAgent), extra...)
	in := nodeInputs{version: version, base: nodeRootfs, kubeBin: vs.kubeBin, crictl: crictl,
		pause: imgs.ref("pause"), cni: cni, preload: preload}
	keyIn := map[string]string{"version": version, "base": nodeRootfs, "cni": cni, "kind": kindVersion, "entrypoint": entrypointPatchKey}
	for _, bin := range []string{"kubelet", "kubeadm", "kubectl"} {
		d, err := build.FileDigest(filepath.Join(vs.kubeBin, bin))
		if err != nil {
			return Failed, err
		}
		keyIn["bin "+bin] = d
	}
	d, err := build.FileDigest(crictl)
	if err != nil {
		return Failed, err
	}
	keyIn["bin crictl"] = d
	for _, r := range preload {
		id, err := b.docker.Run(ctx, nil, "image", "inspect", "--format", "{{.Id}}", r)
		if err != nil {
			return Failed, err
		}
		keyIn["image "+r] = id
	}
	key := build.Key(keyIn)
	if b.docker.Label(ctx, node, keyLabel) == key {
		return Cached, nil
	}
	return Built, b.buildNode(ctx, node, key, in)
}

// kubernetesBuild describes the build of a version's Kubernetes binaries from k8s.io/kubernetes.
func (b *builder) kubernetesBuild(ctx context.Context, version string) (build.GoBuild, error) {
	info, err := b.goTool.Download(ctx, "k8s.io/kubernetes", version)
	if err != nil {
		return build.GoBuild{}, err
	}
	goMod, err := os.ReadFile(info.GoMod)
	if err != nil {
		return build.GoBuild{}, fmt.Errorf("read k8s.io/kubernetes's go.mod: %w", err)
	}
	replace, err := build.StagingReplaces(goMod, version)
	if err != nil {
		return build.GoBuild{}, err
	}
	ldflags, err := build.KubernetesLDFlags(version)
	if err != nil {
		return build.GoBuild{}, err
	}
	bins := map[string]string{}
	for _, c := range []string{"kubeadm", "kubectl", "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		bins[c] = "k8s.io/kubernetes/cmd/" + c
	}
	return build.GoBuild{
		Name:     "kubernetes-" + version,
		Require:  map[string]string{"k8s.io/kubernetes": version},
		Replace:  replace,
		Binaries: bins,
		LDFlags:  ldflags,
	}, nil
}

// binaries runs a Go build step and hands its output directory to use.
func (b *builder) binaries(ctx context.Context, g build.GoBuild, use func(dir string)) (Status, error) {
	status := Built
	if b.goTool.Built(g) {
		status = Cached
	}
	dir, err := b.goTool.Build(ctx, g)
	if err != nil {
		return Failed, err
	}
	use(dir)
	return status, nil
}

// kubeadmImages are the images kubeadm of one version expects, by name (kube-apiserver, etcd,
// coredns, pause, ...).
type kubeadmImages map[string]string

func (k kubeadmImages) ref(name string) string { return k[name] }

func (k kubeadmImages) tag(name string) string {
	ref := k[name]
	return ref[strings.LastIndex(ref, ":")+1:]
}

func (k kubeadmImages) all() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(k)) {
		out = append(out, k[name])
	}
	return out
}

// kubeadmImages asks the version's own kubeadm which images it expects.
func (b *builder) kubeadmImages(ctx context.Context, kubeBin, version string) (kubeadmImages, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(kubeBin, "kubeadm"), "config", "images", "list", "--kubernetes-version", version).Output()
	if err != nil {
		return nil, fmt.Errorf("kubeadm config images list: %w", err)
	}
	return parseKubeadmImages(string(out))
}

// parseKubeadmImages reads the output of `kubeadm config images list`.
func parseKubeadmImages(out string) (kubeadmImages, error) {
	imgs := kubeadmImages{}
	for _, line := range strings.Split(out, "\n") {
		ref := strings.TrimSpace(line)
		if ref == "" {
			continue
		}
		colon := strings.LastIndex(ref, ":")
		if colon < 0 {
			return nil, fmt.Errorf("kubeadm lists an image without a tag: %q", ref)
		}
		repo := ref[:colon]
		imgs[repo[strings.LastIndex(repo, "/")+1:]] = ref
	}
	for _, need := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd", "coredns", "pause"} {
		if imgs[need] == "" {
			return nil, fmt.Errorf("kubeadm does not list a %s image in %q", need, out)
		}
	}
	return imgs, nil
}

// etcdImage builds etcd (tag 3.6.8-0 is go.etcd.io/etcd/server/v3 v3.6.8).
func (b *builder) etcdImage(ctx context.Context, ref string) (Status, error) {
	tag := ref[strings.LastIndex(ref, ":")+1:]
	version := "v" + strings.SplitN(tag, "-", 2)[0]
	if st, ok := b.tryExisting(ctx, ref); ok {
		return st, nil
	}
	dir, err := b.goTool.Build(ctx, build.GoBuild{
		Name:     "etcd-" + version,
		Require:  map[string]string{"go.etcd.io/etcd/server/v3": version},
		Binaries: map[string]string{"etcd": "go.etcd.io/etcd/server/v3"},
		LDFlags:  "-s -w",
	})
	if err != nil {
		return Failed, err
	}
	return b.staticImage(ctx, []string{ref}, true, filepath.Join(dir, "etcd"), nil)
}

// corednsImage builds CoreDNS from github.com/coredns/coredns at the tag kubeadm asks for.
func (b *builder) corednsImage(ctx context.Context, ref string) (Status, error) {
	version := ref[strings.LastIndex(ref, ":")+1:]
	if st, ok := b.tryExisting(ctx, ref); ok {
		return st, nil
	}
	dir, err := b.goTool.Build(ctx, build.GoBuild{
		Name:     "coredns-" + version,
		Require:  map[string]string{"github.com/coredns/coredns": version},
		Binaries: map[string]string{"coredns": "github.com/coredns/coredns"},
		LDFlags:  "-s -w",
	})
	if err != nil {
		return Failed, err
	}
	return b.staticImage(ctx, []string{ref}, true, filepath.Join(dir, "coredns"), []string{"/usr/local/bin/coredns"})
}

// pauseImage builds the pod sandbox image from zdt's pause program.
func (b *builder) pauseImage(ctx context.Context, ref string) (Status, error) {
	if st, ok := b.tryExisting(ctx, ref); ok {
		return st, nil
	}
	return b.localImage(ctx, "./harness/images/internal/pause", "pause", []string{ref}, true)
}

// tryExisting reports an upstream image that is present without zdt's label (pulled from its
// registry) as cached, or pulls it when allowed. ok is false when the image must be built.
func (b *builder) tryExisting(ctx context.Context, ref string) (Status, bool) {
	if b.docker.Exists(ctx, ref) && b.docker.Label(ctx, ref, keyLabel) == "" {
		return Cached, true
	}
	if b.docker.Exists(ctx, ref) || !b.pull {
		return "", false
	}
	registry := strings.SplitN(ref, "/", 2)[0]
	if b.unreachable[registry] {
		return "", false
	}
	pullCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := b.docker.Pull(pullCtx, ref); err != nil {
		b.unreachable[registry] = true
		b.logf("    cannot pull %s (%v): building it", ref, firstLine(err.Error()))
		return "", false
	}
	return Pulled, true
}

// localImage builds a program of zdt's own module into a minimal image.
func (b *builder) localImage(ctx context.Context, pkg, name string, refs []string, upstream bool) (Status, error) {
	bin, err := b.goTool.Local(ctx, b.sourceDir, pkg, filepath.Join(b.cacheDir, "bin", "zdt"), name)
	if err != nil {
		return Failed, err
	}
	return b.staticImage(ctx, refs, upstream, bin, []string{"/usr/local/bin/" + name})
}

// staticImage makes an image of one static binary in /usr/local/bin, with PATH set, /tmp, and a
// passwd file; entrypoint may be nil (Kubernetes then names the command).
func (b *builder) staticImage(ctx context.Context, refs []string, upstream bool, bin string, entrypoint []string) (Status, error) {
	return b.staticImageAt(ctx, refs, upstream, bin, "usr/local/bin/"+filepath.Base(bin), entrypoint)
}

// staticImageAt is staticImage with the binary at dest in the image (e.g. "manager").
func (b *builder) staticImageAt(ctx context.Context, refs []string, upstream bool, bin, dest string, entrypoint []string) (Status, error) {
	digest, err := build.FileDigest(bin)
	if err != nil {
		return Failed, err
	}
	ep, _ := json.Marshal(entrypoint)
	key := build.Key(map[string]string{"binary": digest, "name": filepath.Base(bin), "entrypoint": string(ep), "dest": dest})
	if st, ok := b.upToDate(ctx, refs, upstream, key); ok {
		return st, nil
	}
	var tarball bytes.Buffer
	if err := staticRootfs(&tarball, bin, dest); err != nil {
		return Failed, err
	}
	changes := []string{"--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", "--change", fmt.Sprintf("LABEL %s=%s", keyLabel, key)}
	if entrypoint != nil {
		changes = append(changes, "--change", "ENTRYPOINT "+string(ep))
	}
	args := append([]string{"import"}, changes...)
	args = append(args, "-", refs[0])
	if _, err := b.docker.Run(ctx, &tarball, args...); err != nil {
		return Failed, err
	}
	return Built, b.tagAll(ctx, refs)
}

// derivedImage makes an image from base with files added (destination in the image → source).
func (b *builder) derivedImage(ctx context.Context, refs []string, upstream bool, base string, files map[string]string, entrypoint []string) (Status, error) {
	keyIn := map[string]string{"base": base}
	for dst, src := range files {
		d, err := build.FileDigest(src)
		if err != nil {
			return Failed, err
		}
		keyIn["file "+dst] = d
	}
	ep, _ := json.Marshal(entrypoint)
	keyIn["entrypoint"] = string(ep)
	key := build.Key(keyIn)
	if st, ok := b.upToDate(ctx, refs, upstream, key); ok {
		return st, nil
	}
	work, err := os.MkdirTemp(b.cacheDir, "context-")
	if err != nil {
		return Failed, fmt.Errorf("create a build context: %w", err)
	}
	defer os.RemoveAll(work)
	var df strings.Builder
	fmt.Fprintf(&df, "FROM %s\n", base)
	for _, dst := range slices.Sorted(maps.Keys(files)) {
		if err := build.CopyFile(files[dst], filepath.Join(work, "files", dst), 0o755); err != nil {
			return Failed, err
		}
	}
	df.WriteString("COPY files/ /\n")
	if entrypoint != nil {
		fmt.Fprintf(&df, "ENTRYPOINT %s\n", ep)
	}
	fmt.Fprintf(&df, "LABEL %s=%s\n", keyLabel, key)
	if err := build.WriteFile(filepath.Join(work, "Dockerfile"), df.String(), 0o644); err != nil {
		return Failed, err
	}
	if err := b.docker.Stream(ctx, "build", "--tag", refs[0], work); err != nil {
		return Failed, err
	}
	return Built, b.tagAll(ctx, refs)
}

// upToDate reports whether refs need no build: present with key, or (for upstream images)
// present without zdt's label or pulled. ok is false when the image must be built.
func (b *builder) upToDate(ctx context.Context, refs []string, upstream bool, key string) (Status, bool) {
	if b.docker.Label(ctx, refs[0], keyLabel) == key {
		if err := b.tagAll(ctx, refs); err != nil {
			return "", false
		}
		return Cached, true
	}
	if upstream {
		if st, ok := b.tryExisting(ctx, refs[0]); ok {
			return st, true
		}
	}
	return "", false
}

func (b *builder) tagAll(ctx context.Context, refs []string) error {
	for _, r := range refs[1:] {
		if err := b.docker.Tag(ctx, refs[0], r); err != nil {
			return err
		}
	}
	return nil
}

// rootfsImage imports a debootstrap root file system as an image and returns its reference.
func (b *builder) rootfsImage(ctx context.Context, name string, packages []string) (string, Status, error) {
	status := Cached
	tarball, err := build.Debootstrap(ctx, build.Rootfs{Name: name, Suite: debianSuite, Packages: packages, CacheDir: b.cacheDir, Log: b.logf, BuildLog: b.buildLog})
	if err != nil {
		return "", Failed, err
	}
	key := filepath.Base(filepath.Dir(tarball))
	key = key[strings.LastIndex(key, "-")+1:]
	ref := fmt.Sprintf("%s:%s-%s", rootfsImageRepo, name, key)
	if b.docker.Label(ctx, ref, keyLabel) == key {
		return ref, status, nil
	}
	f, err := os.Open(tarball)
	if err != nil {
		return "", Failed, fmt.Errorf("open the root file system: %w", err)
	}
	defer f.Close()
	if _, err := b.docker.Run(ctx, f, "import", "--change", fmt.Sprintf("LABEL %s=%s", keyLabel, key),
		"--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "-", ref); err != nil {
		return "", Failed, err
	}
	return ref, Built, nil
}

// staticRootfs writes the tarball of a minimal root file system holding bin at dest.
func staticRootfs(w io.Writer, bin, dest string) error {
	content, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("read %s: %w", bin, err)
	}
	tw := tar.NewWriter(w)
	mtime := time.Unix(0, 0)
	dirs := []struct {
		name string
		mode int64
	}{{"etc/", 0o755}, {"tmp/", 0o1777}, {"usr/", 0o755}, {"usr/local/", 0o755}, {"usr/local/bin/", 0o755}, {"var/", 0o755}, {"var/run/", 0o755}}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, ModTime: mtime}); err != nil {
			return fmt.Errorf("write the image's root file system: %w", err)
		}
	}
	files := []struct {
		name    string
		mode    int64
		content []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")},
		{"etc/nsswitch.conf", 0o644, []byte("hosts: files dns\n")},
		{dest, 0o755, content},
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.content)), ModTime: mtime}); err != nil {
			return fmt.Errorf("write the image's root file system: %w", err)
		}
		if _, err := tw.Write(f.content); err != nil {
			return fmt.Errorf("write the image's root file system: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write the image's root file system: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// buildApps builds the images of the sample workload, zdt's fault agent and zdt itself.
func (b *builder) buildApps(ctx context.Context) error {
	if err := b.step(ctx, "sample app", []string{SampleAppImage}, func(ctx context.Context) (Status, error) {
		return b.localImage(ctx, "./cmd/zdt-sampleapp", "zdt-sampleapp", []string{SampleAppImage}, false)
	}); err != nil {
		return err
	}
	if err := b.step(ctx, "fault agent", []string{FaultAgentImage}, func(ctx context.Context) (Status, error) {
		return b.localImage(ctx, "./harness/images/internal/faultagent", "zdt-fault-agent", []string{FaultAgentImage}, false)
	}); err != nil {
		return err
	}
	return b.step(ctx, "zdt", []string{ZDTImage}, func(ctx context.Context) (Status, error) {
		return b.localImage(ctx, "./cmd/zdt", "zdt", []string{ZDTImage}, false)
	})
}
