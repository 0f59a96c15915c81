package images

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// debianSuite is the Debian release node and helper images are made from.
const debianSuite = "bookworm"

// nodePackages are the Debian packages of a kind node: systemd as init, containerd and runc, the
// CNI plugins, and the tools kubeadm, the kubelet, kube-proxy and kind's scripts call.
var nodePackages = []string{
	"systemd", "systemd-sysv", "dbus", "containerd", "runc", "containernetworking-plugins",
	"iptables", "nftables", "conntrack", "iproute2", "ethtool", "util-linux", "mount", "kmod",
	"libseccomp2", "pigz", "fuse-overlayfs", "ca-certificates", "curl", "jq", "procps", "socat",
	"ebtables", "bash",
}

// haproxyPackages make the load balancer image (Cluster API Docker provider's API load balancer
// and the edge load balancer in front of the sample app).
var haproxyPackages = []string{"haproxy", "ca-certificates"}

// debianMirror returns the mirror apt uses on this machine (deb822 or one-line sources), or
// Debian's default.
func debianMirror() string {
	for _, path := range []string{"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"} {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			var url string
			switch {
			case strings.HasPrefix(line, "URIs:"):
				url = strings.Fields(strings.TrimPrefix(line, "URIs:"))[0]
			case strings.HasPrefix(line, "deb "):
				if fields := strings.Fields(line); len(fields) >= 2 {
					url = fields[1]
					if strings.HasPrefix(url, "[") && len(fields) >= 3 {
						url = fields[2]
					}
				}
			}
			if url != "" && !strings.Contains(url, "security") {
				f.Close()
				return url
			}
		}
		f.Close()
	}
	return "http://deb.debian.org/debian"
}

// rootfs returns a tarball of a Debian root file system with packages, made by debootstrap, or
// the one a previous run made.
func (b *builder) rootfs(ctx context.Context, name string, packages []string) (string, error) {
	mirror := debianMirror()
	key := inputKey(map[string]string{"suite": debianSuite, "packages": strings.Join(packages, ","), "mirror": mirror})
	dir := filepath.Join(b.cacheDir, "rootfs", name+"-"+key)
	tarball := filepath.Join(dir, "rootfs.tar")
	if stamped(dir, key) {
		return tarball, nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return "", fmt.Errorf("debootstrap is needed to make a Debian root file system (make docker-setup installs it): %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clear %s: %w", dir, err)
	}
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", root, err)
	}
	b.logf("  debootstrap %s (%d packages) from %s", debianSuite, len(packages), mirror)
	if err := b.command(ctx, "", "debootstrap", "--variant=minbase", "--include="+strings.Join(packages, ","), debianSuite, root, mirror); err != nil {
		return "", err
	}
	// Leave out apt's lists and caches: the image is never updated in place.
	for _, junk := range []string{"var/cache/apt/archives", "var/lib/apt/lists"} {
		entries, _ := os.ReadDir(filepath.Join(root, junk))
		for _, e := range entries {
			if e.Name() != "partial" && e.Name() != "lock" {
				_ = os.RemoveAll(filepath.Join(root, junk, e.Name()))
			}
		}
	}
	if err := b.command(ctx, "", "tar", "-C", root, "--numeric-owner", "-cf", tarball, "."); err != nil {
		return "", err
	}
	if err := os.RemoveAll(root); err != nil {
		return "", fmt.Errorf("remove %s: %w", root, err)
	}
	return tarball, stamp(dir, key)
}

// command runs a host program in dir, its output going to the build log.
func (b *builder) command(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var tail tailWriter
	w := io.Writer(&tail)
	if b.buildLog != nil {
		w = io.MultiWriter(b.buildLog, &tail)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(lastLines(tail.String(), 8)))
	}
	return nil
}
