package build

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

// GoBuild describes static binaries built from Go modules fetched through the module proxy.
type GoBuild struct {
	// Name names the build's directories in the cache (e.g. "kubernetes-v1.36.3").
	Name string
	// Require maps each module to its version.
	Require map[string]string
	// Replace maps a module path to "path version" (or a directory).
	Replace map[string]string
	// Binaries maps each binary's name to the package it is built from.
	Binaries map[string]string
	// LDFlags and Tags are passed to go build.
	LDFlags string
	Tags    string
}

// Go runs the go command for builds, its output going to BuildLog.
type Go struct {
	// Bin is the go command; CacheDir holds the build modules and their binaries.
	Bin, CacheDir string
	// Log receives a line per binary built; BuildLog the go command's output (nil discards).
	Log      func(format string, args ...any)
	BuildLog io.Writer
}

// Key returns the cache key of the build.
func (g GoBuild) Key() string {
	in := map[string]string{"go": runtime.Version(), "ldflags": g.LDFlags, "tags": g.Tags, "goarch": runtime.GOARCH}
	for m, v := range g.Require {
		in["require "+m] = v
	}
	for m, v := range g.Replace {
		in["replace "+m] = v
	}
	for b, p := range g.Binaries {
		in["binary "+b] = p
	}
	return Key(in)
}

// goMod renders the go.mod of the module the build happens in.
func (g GoBuild) goMod() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module zdt.local/build/%s\n\ngo 1.26.0\n\nrequire (\n", strings.ReplaceAll(g.Name, ".", "_"))
	for _, m := range sortedKeys(g.Require) {
		fmt.Fprintf(&b, "\t%s %s\n", m, g.Require[m])
	}
	b.WriteString(")\n")
	if len(g.Replace) > 0 {
		b.WriteString("\nreplace (\n")
		for _, m := range sortedKeys(g.Replace) {
			fmt.Fprintf(&b, "\t%s => %s\n", m, g.Replace[m])
		}
		b.WriteString(")\n")
	}
	return b.String()
}

// toolsGo renders a file that imports every package built, so that `go mod tidy` resolves them.
func (g GoBuild) toolsGo() string {
	var b strings.Builder
	b.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	pkgs := map[string]bool{}
	for _, p := range g.Binaries {
		pkgs[p] = true
	}
	for _, p := range sortedKeys(pkgs) {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

// Dir is where the binaries of g are, once built.
func (b *Go) Dir(g GoBuild) string { return filepath.Join(b.CacheDir, "bin", g.Name+"-"+g.Key()) }

// Built reports whether g's binaries are built already.
func (b *Go) Built(g GoBuild) bool { return Stamped(b.Dir(g), g.Key()) }

// Build builds g's binaries, or reuses those a previous run built, and returns their directory.
func (b *Go) Build(ctx context.Context, g GoBuild) (string, error) {
	key := g.Key()
	out := b.Dir(g)
	if Stamped(out, key) {
		return out, nil
	}
	mod := filepath.Join(b.CacheDir, "gomod", g.Name)
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
	for _, name := range sortedKeys(g.Binaries) {
		args := []string{"build", "-trimpath", "-o", filepath.Join(out, name)}
		if g.LDFlags != "" {
			args = append(args, "-ldflags", g.LDFlags)
		}
		if g.Tags != "" {
			args = append(args, "-tags", g.Tags)
		}
		args = append(args, g.Binaries[name])
		if b.Log != nil {
			b.Log("  go build %s", g.Binaries[name])
		}
		if err := b.goCmd(ctx, mod, args...); err != nil {
			return "", err
		}
	}
	return out, Stamp(out, key)
}

// Local builds a package of zdt's own module (its source tree, sourceDir) into dir.
func (b *Go) Local(ctx context.Context, sourceDir, pkg, dir, name string) (string, error) {
	if sourceDir == "" {
		return "", fmt.Errorf("build %s: zdt's source tree is needed (run from a checkout of github.com/zdt-dev/zdt)", pkg)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	out := filepath.Join(dir, name)
	if err := b.goCmd(ctx, sourceDir, "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg); err != nil {
		return "", err
	}
	return out, nil
}

// goCmd runs the go command in dir for a static linux binary, its output going to the log.
func (b *Go) goCmd(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, b.Bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=-mod=mod -buildvcs=false", "GOTOOLCHAIN=local", "GOWORK=off")
	var tail tailWriter
	w := io.Writer(&tail)
	if b.BuildLog != nil {
		w = io.MultiWriter(b.BuildLog, &tail)
	}
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w: %s", firstWords(args, 2), err, strings.TrimSpace(lastLines(tail.String(), 8)))
	}
	return nil
}

// ModuleInfo is what `go mod download -json` says about a module version.
type ModuleInfo struct {
	Path    string
	Version string
	Dir     string
	GoMod   string
}

// Download fetches a module version into the module cache and says where it is.
func (b *Go) Download(ctx context.Context, module, version string) (ModuleInfo, error) {
	cmd := exec.CommandContext(ctx, b.Bin, "mod", "download", "-json", module+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	out, err := cmd.Output()
	var info ModuleInfo
	if err != nil {
		return info, fmt.Errorf("go mod download %s@%s: %w", module, version, err)
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return info, fmt.Errorf("read go mod download's answer: %w", err)
	}
	return info, nil
}

var stagingReplace = regexp.MustCompile(`(?m)^\s*(k8s\.io/[A-Za-z0-9._-]+)\s+=>\s+\./staging/`)

// StagingReplaces returns, from k8s.io/kubernetes's go.mod, a replace of every staging module
// (k8s.io/api, ...) by its published v0.X.Y, as building k8s.io/kubernetes as a module requires.
func StagingReplaces(goMod []byte, version string) (map[string]string, error) {
	major, minor, patch, err := ParseVersion(version)
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

// ParseVersion reads vMAJOR.MINOR.PATCH.
func ParseVersion(v string) (major, minor, patch int, err error) {
	if _, err := fmt.Sscanf(v, "v%d.%d.%d", &major, &minor, &patch); err != nil {
		return 0, 0, 0, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH: %w", v, err)
	}
	return major, minor, patch, nil
}

// KubernetesLDFlags sets the version every Kubernetes binary reports, as hack/lib/version.sh does.
func KubernetesLDFlags(version string) (string, error) {
	major, minor, _, err := ParseVersion(version)
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

// FileDigest returns the sha256 of a file, hex encoded.
func FileDigest(path string) (string, error) {
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
