package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
)

// goBuild describes static binaries built from Go modules fetched through the module proxy.
type goBuild struct {
	// name names the build's directories in the cache (e.g. "kubernetes-v1.36.3").
	name string
	// require maps each module to its version.
	require map[string]string
	// replace maps a module path to "path version" (or a directory).
	replace map[string]string
	// binaries maps each binary's name to the package it is built from.
	binaries map[string]string
	// ldflags and tags are passed to go build.
	ldflags string
	tags    string
}

// key returns the cache key of the build.
func (g goBuild) key() string {
	in := map[string]string{"go": runtime.Version(), "ldflags": g.ldflags, "tags": g.tags, "goarch": runtime.GOARCH}
	for m, v := range g.require {
		in["require "+m] = v
	}
	for m, v := range g.replace {
		in["replace "+m] = v
	}
	for b, p := range g.binaries {
		in["binary "+b] = p
	}
	return inputKey(in)
}

// goMod renders the go.mod of the module the build happens in.
func (g goBuild) goMod() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module zdt.local/build/%s\n\ngo 1.26.0\n\nrequire (\n", strings.ReplaceAll(g.name, ".", "_"))
	for _, m := range sortedKeys(g.require) {
		fmt.Fprintf(&b, "\t%s %s\n", m, g.require[m])
	}
	b.WriteString(")\n")
	if len(g.replace) > 0 {
		b.WriteString("\nreplace (\n")
		for _, m := range sortedKeys(g.replace) {
			fmt.Fprintf(&b, "\t%s => %s\n", m, g.replace[m])
		}
		b.WriteString(")\n")
	}
	return b.String()
}

// toolsGo renders a file that imports every package built, so that `go mod tidy` resolves them.
func (g goBuild) toolsGo() string {
	var b strings.Builder
	b.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	pkgs := map[string]bool{}
	for _, p := range g.binaries {
		pkgs[p] = true
	}
	for _, p := range sortedKeys(pkgs) {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

// buildGo builds g's binaries, or reuses those a previous run built, and returns their directory.
func (b *builder) buildGo(ctx context.Context, g goBuild) (string, error) {
	key := g.key()
	out := filepath.Join(b.cacheDir, "bin", g.name+"-"+key)
	if stamped(out, key) {
		return out, nil
	}
	mod := filepath.Join(b.cacheDir, "gomod", g.name)
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", fmt.Errorf("create the build module: %w", err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(g.goMod()), 0o644); err != nil {
		return "", fmt.Errorf("write go.mod: %w", err)
	}
	_ = os.Remove(filepath.Join(mod, "go.sum"))
	if err := os.WriteFile(filepath.Join(mod, "tools.go"), []byte(g.toolsGo()), 0o644); err != nil {
		return "", fmt.Errorf("write tools.go: %w", err)
	}
	if err := b.goCmd(ctx, mod, "mod", "tidy"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", out, err)
	}
	for _, name := range sortedKeys(g.binaries) {
		args := []string{"build", "-trimpath", "-o", filepath.Join(out, name)}
		if g.ldflags != "" {
			args = append(args, "-ldflags", g.ldflags)
		}
		if g.tags != "" {
			args = append(args, "-tags", g.tags)
		}
		args = append(args, g.binaries[name])
		b.logf("  go build %s", g.binaries[name])
		if err := b.goCmd(ctx, mod, args...); err != nil {
			return "", err
		}
	}
	return out, stamp(out, key)
}

// buildLocal builds a package of zdt's own module (the source tree zdt runs from) into dir.
func (b *builder) buildLocal(ctx context.Context, pkg, dir, name string) (string, error) {
	if b.sourceDir == "" {
		return "", fmt.Errorf("build %s: zdt's source tree is needed (run from a checkout of github.com/zdt-dev/zdt)", pkg)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	out := filepath.Join(dir, name)
	if err := b.goCmd(ctx, b.sourceDir, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg); err != nil {
		return "", err
	}
	return out, nil
}

// goCmd runs the go command in dir for a static linux binary, its output going to the log.
func (b *builder) goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, b.goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod -buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off")
	var tail tailWriter
	w := io.Writer(&tail)
	if b.buildLog != nil {
		w = io.MultiWriter(b.buildLog, &tail)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w: %s", firstWords(args, 2), err, strings.TrimSpace(lastLines(tail.String(), 8)))
	}
	return nil
}

// moduleInfo is what `go mod download -json` says about a module version.
type moduleInfo struct {
	Path    string
	Version string
	Dir     string
	GoMod   string
}

// download fetches a module version into the module cache and says where it is.
func (b *builder) download(ctx context.Context, module, version string) (moduleInfo, error) {
	cmd := exec.CommandContext(ctx, b.goBin, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	out, err := cmd.Output()
	var info moduleInfo
	if err != nil {
		return info, fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return info, fmt.Errorf("read go mod download's answer: %w", err)
	}
	return info, nil
}

var stagingReplace = regexp.MustCompile(`(?m)^\s*(k8s\.io/[A-Za-z0-9._-]+)\s+=>\s+\./staging/`)

// stagingReplaces returns, from k8s.io/kubernetes's go.mod, a replace of every staging module
// (k8s.io/api, ...) by its published v0.X.Y, as building k8s.io/kubernetes as a module requires.
func stagingReplaces(goMod []byte, version string) (map[string]string, error) {
	major, minor, patch, err := parseVersion(version)
	if err != nil {
		return nil, err
	}
	if major != 1 {
		return nil, fmt.Errorf("kubernetes version %s: only 1.x is known", version)
	}
	staging := fmt.Sprintf("v0.%d.%d", minor, patch)
	out := map[string]string{}
	for _, m := range stagingReplace.FindAllStringSubmatch(string(goMod), -1) {
		out[m[1]] = m[1] + " " + staging
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no staging module found in k8s.io/kubernetes %s's go.mod", version)
	}
	return out, nil
}

// parseVersion reads vMAJOR.MINOR.PATCH.
func parseVersion(v string) (major, minor, patch int, err error) {
	if _, err := fmt.Sscanf(v, "v%d.%d.%d", &major, &minor, &patch); err != nil {
		return 0, 0, 0, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH: %w", v, err)
	}
	return major, minor, patch, nil
}

// kubernetesLDFlags sets the version every Kubernetes binary reports, as hack/lib/version.sh does.
func kubernetesLDFlags(version string) (string, error) {
	major, minor, _, err := parseVersion(version)
	if err != nil {
		return "", err
	}
	flags := []string{"-s", "-w"}
	for _, pkg := range []string{"k8s.io/client-go/pkg/version", "k8s.io/component-base/version"} {
		for _, kv := range [][2]string{
			{"gitVersion", version}, {"gitMajor", fmt.Sprint(major)}, {"gitMinor", fmt.Sprint(minor)},
			{"gitTreeState", "clean"}, {"buildDate", "1970-01-01T00:00:00Z"},
		} {
			flags = append(flags, fmt.Sprintf("-X %s.%s=%s", pkg, kv[0], kv[1]))
		}
	}
	return strings.Join(flags, " "), nil
}

// fileDigest returns the sha256 of a file, hex encoded.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("digest %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("digest %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// tailWriter keeps the last 8 KiB written to it, for error messages.
type tailWriter struct{ buf []byte }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8192 {
		t.buf = t.buf[len(t.buf)-8192:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string { return string(t.buf) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
