package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/images/internal/build"
)

// kindVersion is the kind release whose node image layout (its base image's files) zdt follows.
const kindVersion = "v0.33.0"

// nodeInputs is what a node image is made of.
type nodeInputs struct {
	version  string   // Kubernetes version, e.g. v1.36.3
	base     string   // the node root file system image
	kubeBin  string   // directory with kubelet, kubeadm, kubectl
	crictl   string   // crictl binary
	pause    string   // the sandbox image containerd uses
	cni      string   // the default CNI manifest
	preload  []string // images preloaded into the node's containerd
	imageIDs []string // their image IDs, for the cache key
}

// nodeDockerfile finishes a node image on the root file system as kind's base image does: kind's
// files, systemd set up to run in a container, Debian's containerd where kind's units expect it,
// the CNI plugins where the CRI looks for them, and the base runtime spec from `ctr oci spec`.
const nodeDockerfile = `FROM %s
COPY files/ /
RUN chmod 755 /kind /kind/bin /kind/bin/* /usr/local/bin/* /usr/bin/kubelet /usr/bin/kubeadm /usr/bin/kubectl \
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
      /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
      /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
 && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
 && ln -sf /usr/lib/systemd/systemd /sbin/init \
 && ln -sf /usr/bin/containerd /usr/local/bin/containerd \
 && mkdir -p /opt/cni && rm -rf /opt/cni/bin && ln -s /usr/lib/cni /opt/cni/bin \
 && systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
 && systemctl mask systemd-binfmt.service \
 && mkdir -p /etc/kubernetes/manifests \
 && ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
LABEL %s=%s
`

// kind's entrypoint asks for host.docker.internal to find the Docker host (Docker Desktop's
// name for it), through every resolver of the node. On a Linux host Docker's embedded DNS does not
// know the name and forwards the query to the host's resolvers from the node's network: one query
// off the machine at every node's start (the host's packet filter refuses it). zdt's nodes look
// the name up in /etc/hosts only, where Docker writes it when a container is started with
// --add-host host.docker.internal:host-gateway; otherwise the entrypoint uses the default gateway,
// as kind does when the lookup fails.
const (
	kindHostLookup     = `getent ahostsv4 'host.docker.internal'`
	nodeHostLookup     = `getent -s files ahostsv4 'host.docker.internal'`
	entrypointPatchKey = kindHostLookup + " -> " + nodeHostLookup
)

// patchEntrypoint rewrites kind's entrypoint at path as above; an entrypoint without the lookup
// is an error, so that a kind release that changed it is noticed rather than followed blindly.
func patchEntrypoint(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read kind's entrypoint: %w", err)
	}
	if strings.Count(string(b), kindHostLookup) != 1 {
		return fmt.Errorf("kind %s's entrypoint (%s) does not look up host.docker.internal as zdt expects (%s): update patchEntrypoint", kindVersion, path, kindHostLookup)
	}
	return os.WriteFile(path, []byte(strings.Replace(string(b), kindHostLookup, nodeHostLookup, 1)), 0o755)
}

// buildNode builds a kind node image ref with key from in: the image, then every preloaded
// image imported into its containerd, then committed.
func (b *builder) buildNode(ctx context.Context, ref, key string, in nodeInputs) error {
	kind, err := b.goTool.Download(ctx, "sigs.k8s.io/kind", kindVersion)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(b.cacheDir, "node-context-")
	if err != nil {
		return fmt.Errorf("create the build context: %w", err)
	}
	defer os.RemoveAll(work)
	files := filepath.Join(work, "files")
	if err := build.CopyTree(filepath.Join(kind.Dir, "images", "base", "files"), files); err != nil {
		return fmt.Errorf("copy kind's base files: %w", err)
	}
	if err := patchEntrypoint(filepath.Join(files, "usr", "local", "bin", "entrypoint")); err != nil {
		return err
	}
	kindConfig, err := os.ReadFile(filepath.Join(files, "etc", "containerd", "config.toml"))
	if err != nil {
		return fmt.Errorf("read kind's containerd config: %w", err)
	}
	config, err := nodeContainerdConfig(string(kindConfig), in.pause)
	if err != nil {
		return err
	}
	kindDefaults, err := os.ReadFile(filepath.Join(files, "etc", "default", "kubelet"))
	if err != nil {
		return fmt.Errorf("read kind's kubelet defaults: %w", err)
	}
	write := map[string]string{
		"etc/containerd/config.toml":       config,
		"etc/containerd/cni-template.json": cniTemplate,
		"etc/default/kubelet":              kubeletDefaults(string(kindDefaults)),
		"kind/version":                     in.version + "\n",
		"kind/manifests/default-cni.yaml":  in.cni,
	}
	for rel, content := range write {
		if err := build.WriteFile(filepath.Join(files, rel), content, 0o644); err != nil {
			return err
		}
	}
	for dst, src := range map[string]string{
		"usr/bin/kubelet":      filepath.Join(in.kubeBin, "kubelet"),
		"usr/bin/kubeadm":      filepath.Join(in.kubeBin, "kubeadm"),
		"usr/bin/kubectl":      filepath.Join(in.kubeBin, "kubectl"),
		"usr/local/bin/crictl": in.crictl,
	} {
		if err := build.CopyFile(src, filepath.Join(files, dst), 0o755); err != nil {
			return err
		}
	}
	if err := build.WriteFile(filepath.Join(work, "Dockerfile"), fmt.Sprintf(nodeDockerfile, in.base, keyLabel, key), 0o644); err != nil {
		return err
	}
	unfinished := ref + "-unloaded"
	if err := b.docker.Stream(ctx, "build", "--tag", unfinished, work); err != nil {
		return err
	}
	return b.preload(ctx, unfinished, ref, key, in.preload)
}

// preload starts containerd alone in a container of image, imports every image of refs into it,
// stops containerd cleanly and commits the container as ref, with the node's own entrypoint.
func (b *builder) preload(ctx context.Context, image, ref, key string, refs []string) error {
	name := fmt.Sprintf("zdt-preload-%d", time.Now().UnixNano())
	if _, err := b.docker.Run(ctx, nil, "run", "--detach", "--privileged", "--name", name,
		"--label", "dev.zdt.images.preload=true", "--entrypoint", "/usr/bin/containerd", image); err != nil {
		return err
	}
	defer func() {
		// Remove the container even when ctx is cancelled.
		cleanup, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = b.docker.Run(cleanup, nil, "rm", "--force", name)
	}()
	if err := b.waitContainerd(ctx, name); err != nil {
		return err
	}
	for _, r := range refs {
		b.logf("  preload %s", r)
		if err := b.docker.SaveInto(ctx, r, name, "ctr", "--namespace", "k8s.io", "images", "import", "--no-unpack", "-"); err != nil {
			return err
		}
	}
	listed, err := b.docker.Run(ctx, nil, "exec", name, "ctr", "--namespace", "k8s.io", "images", "list", "--quiet")
	if err != nil {
		return err
	}
	for _, r := range refs {
		if !strings.Contains(listed+"\n", normalizeRef(r)+"\n") {
			return fmt.Errorf("preload %s: the node's containerd does not list it after the import", r)
		}
	}
	if _, err := b.docker.Run(ctx, nil, "kill", "--signal", "TERM", name); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := b.docker.Run(waitCtx, nil, "wait", name); err != nil {
		return fmt.Errorf("wait for the node's containerd to stop: %w", err)
	}
	_, err = b.docker.Run(ctx, nil, "commit",
		"--change", `ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]`,
		"--change", `CMD []`,
		"--change", fmt.Sprintf("LABEL %s=%s", keyLabel, key),
		name, ref)
	if err != nil {
		return err
	}
	// Untag the image before the preload: the committed node image is its child, so --force
	// only removes the name.
	_, _ = b.docker.Run(ctx, nil, "rmi", "--force", image)
	return nil
}

// waitContainerd waits, at most a minute, until containerd answers in the container.
func (b *builder) waitContainerd(ctx context.Context, container string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := b.docker.Run(ctx, nil, "exec", container, "ctr", "version"); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			logs, _ := b.docker.Run(ctx, nil, "logs", "--tail", "20", container)
			return fmt.Errorf("containerd did not answer within a minute in %s: %s", container, logs)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// normalizeRef spells an image reference as containerd lists it (docker.io/library/ for short names).
func normalizeRef(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if !found {
		return "docker.io/library/" + ref
	}
	if !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "docker.io/" + ref
	}
	return ref
}
