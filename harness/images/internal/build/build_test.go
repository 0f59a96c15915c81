package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	base := Key(map[string]string{"a": "1", "b": "2"})
	tests := []struct {
		name string
		in   map[string]string
		same bool
	}{
		{"same inputs", map[string]string{"a": "1", "b": "2"}, true},
		{"other value", map[string]string{"a": "1", "b": "3"}, false},
		{"extra input", map[string]string{"a": "1", "b": "2", "c": ""}, false},
		{"names and values do not blur", map[string]string{"a": "1\nb=2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Key(tt.in)
			if (got == base) != tt.same {
				t.Errorf("Key(%v) = %s, base %s, want same=%v", tt.in, got, base, tt.same)
			}
			if len(got) != 16 {
				t.Errorf("Key length %d, want 16", len(got))
			}
		})
	}
}

func TestStamp(t *testing.T) {
	dir := t.TempDir()
	if Stamped(dir, "k1") {
		t.Fatal("an empty directory is stamped")
	}
	if err := Stamp(dir, "k1"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want bool
	}{{"k1", true}, {"k2", false}}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := Stamped(dir, tt.key); got != tt.want {
				t.Errorf("Stamped(%s) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestStagingReplaces(t *testing.T) {
	goMod := []byte("module k8s.io/kubernetes\n\nreplace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/cri-api => ./staging/src/k8s.io/cri-api\n)\n")
	got, err := StagingReplaces(goMod, "v1.36.3")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"k8s.io/api": "k8s.io/api v0.36.3", "k8s.io/cri-api": "k8s.io/cri-api v0.36.3"}
	for m, r := range want {
		t.Run(m, func(t *testing.T) {
			if got[m] != r {
				t.Errorf("replace %s => %q, want %q", m, got[m], r)
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		if _, err := StagingReplaces([]byte("module x\n"), "v1.36.3"); err == nil {
			t.Error("no staging modules: no error")
		}
		if _, err := StagingReplaces(goMod, "1.36"); err == nil {
			t.Error("bad version: no error")
		}
	})
}

func TestKubernetesLDFlags(t *testing.T) {
	got, err := KubernetesLDFlags("v1.37.2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-X k8s.io/component-base/version.gitVersion=v1.37.2",
		"-X k8s.io/client-go/pkg/version.gitMinor=37",
		"-X k8s.io/component-base/version.gitMajor=1",
	} {
		t.Run(want, func(t *testing.T) {
			if !strings.Contains(got, want) {
				t.Errorf("ldflags %q lack %q", got, want)
			}
		})
	}
}

func TestGoBuildModule(t *testing.T) {
	g := GoBuild{
		Name:     "kubernetes-v1.36.3",
		Require:  map[string]string{"k8s.io/kubernetes": "v1.36.3"},
		Replace:  map[string]string{"k8s.io/api": "k8s.io/api v0.36.3"},
		Binaries: map[string]string{"kubelet": "k8s.io/kubernetes/cmd/kubelet", "kubectl": "k8s.io/kubernetes/cmd/kubectl"},
	}
	mod := g.goMod()
	for _, want := range []string{"module zdt.local/build/kubernetes-v1_36_3", "\tk8s.io/kubernetes v1.36.3", "\tk8s.io/api => k8s.io/api v0.36.3"} {
		if !strings.Contains(mod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, mod)
		}
	}
	tools := g.toolsGo()
	if !strings.HasPrefix(tools, "//go:build tools") || !strings.Contains(tools, `_ "k8s.io/kubernetes/cmd/kubectl"`) {
		t.Errorf("tools.go:\n%s", tools)
	}
	t.Run("key follows inputs", func(t *testing.T) {
		other := g
		other.LDFlags = "-s"
		if g.Key() == other.Key() {
			t.Error("ldflags do not change the key")
		}
	})
	t.Run("go.mod parses", func(t *testing.T) {
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command")
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(goBin, "mod", "edit", "-json")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go mod edit: %v: %s", err, out)
		}
	})
}
