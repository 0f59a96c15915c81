package build

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

// Rootfs is a Debian root file system to make.
type Rootfs struct {
	// Name names it in the cache; Suite is the Debian release and Packages what to install.
	Name, Suite string
	Packages    []string
	// CacheDir holds the result; Log receives a line when debootstrap runs, BuildLog its output.
	CacheDir string
	Log      func(format string, args ...any)
	BuildLog io.Writer
}

// Debootstrap returns a tarball of a Debian root file system with the packages, made by
// debootstrap from the machine's own Debian mirror, or the one a previous run made.
func Debootstrap(ctx context.Context, in Rootfs) (string, error) {
	mirror := debianMirror()
	key := Key(map[string]string{"suite": in.Suite, "packages": strings.Join(in.Packages, ","), "mirror": mirror})
	dir := filepath.Join(in.CacheDir, "rootfs", in.Name+"-"+key)
	tarball := filepath.Join(dir, "rootfs.tar")
	if Stamped(dir, key) {
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
	if in.Log != nil {
		in.Log("  debootstrap %s (%d packages) from %s", in.Suite, len(in.Packages), mirror)
	}
	if err := Command(ctx, in.BuildLog, "", "debootstrap", "--variant=minbase", "--include="+strings.Join(in.Packages, ","), in.Suite, root, mirror); err != nil {
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
	if err := Command(ctx, in.BuildLog, "", "tar", "-C", root, "--numeric-owner", "-cf", tarball, "."); err != nil {
		return "", err
	}
	if err := os.RemoveAll(root); err != nil {
		return "", fmt.Errorf("remove %s: %w", root, err)
	}
	return tarball, Stamp(dir, key)
}

// Command runs a host program in dir, its output going to log (nil discards it); the error
// carries the output's last lines.
func Command(ctx context.Context, log io.Writer, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var tail tailWriter
	w := io.Writer(&tail)
	if log != nil {
		w = io.MultiWriter(log, &tail)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(lastLines(tail.String(), 8)))
	}
	return nil
}
