package audit

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/scenarios/manifests"
)

func TestTableCoversEveryRelease(t *testing.T) {
	rs := Releases()
	if got, want := len(rs), LastMinor-FirstMinor+1; got != want {
		t.Fatalf("%d releases in the table, want %d (v1.%d to v1.%d)", got, want, FirstMinor, LastMinor)
	}
	for i, r := range rs {
		t.Run(r.Version(), func(t *testing.T) {
			if r.Minor != FirstMinor+i {
				t.Errorf("release %d is v1.%d, want v1.%d", i, r.Minor, FirstMinor+i)
			}
			if len(r.Removed) == 0 && r.Note == "" {
				t.Error("no removal and no note saying so")
			}
			for _, c := range r.Removed {
				if c.RemovedIn != r.Minor {
					t.Errorf("%s %s: RemovedIn %d", c.APIVersion, c.Kind, c.RemovedIn)
				}
				if c.DeprecatedIn == 0 || c.DeprecatedIn >= c.RemovedIn {
					t.Errorf("%s %s: deprecated in v1.%d, removed in v1.%d", c.APIVersion, c.Kind, c.DeprecatedIn, c.RemovedIn)
				}
				if c.Replacement == "" {
					t.Errorf("%s %s: no replacement", c.APIVersion, c.Kind)
				}
			}
			for _, c := range r.Deprecated {
				if c.DeprecatedIn != r.Minor || c.RemovedIn != 0 {
					t.Errorf("%s %s: deprecated in v1.%d, removed in v1.%d, listed under v1.%d", c.APIVersion, c.Kind, c.DeprecatedIn, c.RemovedIn, r.Minor)
				}
			}
		})
	}
}

func TestRemovalsFollowTheMigrationGuide(t *testing.T) {
	// The releases the Kubernetes deprecated API migration guide lists removals for.
	want := map[int]bool{16: true, 22: true, 25: true, 26: true, 27: true, 29: true, 32: true}
	for _, r := range Releases() {
		if got := len(r.Removed) > 0; got != want[r.Minor] {
			t.Errorf("%s: removals listed = %v, want %v", r.Version(), got, want[r.Minor])
		}
	}
}

func TestLookupAndStatus(t *testing.T) {
	tests := []struct {
		apiVersion, kind string
		target           int
		want             Status
		replacement      string
	}{
		{"extensions/v1beta1", "Ingress", 13, Current, "networking.k8s.io/v1 Ingress"},
		{"extensions/v1beta1", "Ingress", 14, Deprecated, "networking.k8s.io/v1 Ingress"},
		{"extensions/v1beta1", "Ingress", 22, Removed, "networking.k8s.io/v1 Ingress"},
		{"policy/v1beta1", "PodDisruptionBudget", 24, Deprecated, "policy/v1 PodDisruptionBudget"},
		{"policy/v1beta1", "PodDisruptionBudget", 37, Removed, "policy/v1 PodDisruptionBudget"},
		{"batch/v1beta1", "CronJob", 25, Removed, "batch/v1 CronJob"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", 28, Deprecated, "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", 32, Removed, "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
		{"v1", "Endpoints", 37, Deprecated, "discovery.k8s.io/v1 EndpointSlice"},
		{"v1", "Endpoints", 32, Current, "discovery.k8s.io/v1 EndpointSlice"},
	}
	for _, tt := range tests {
		t.Run(tt.apiVersion+"/"+tt.kind+"@"+Version(tt.target), func(t *testing.T) {
			c, ok := Lookup(tt.apiVersion, tt.kind)
			if !ok {
				t.Fatal("not in the table")
			}
			if got := c.At(tt.target); got != tt.want {
				t.Errorf("status %s, want %s", got, tt.want)
			}
			if c.Replacement != tt.replacement {
				t.Errorf("replacement %q, want %q", c.Replacement, tt.replacement)
			}
		})
	}
	t.Run("current API is unknown to the table", func(t *testing.T) {
		if c, ok := Lookup("apps/v1", "Deployment"); ok {
			t.Errorf("apps/v1 Deployment found: %+v", c)
		}
	})
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"v1.37", 37, false},
		{"1.29", 29, false},
		{"v1.36.3", 36, false},
		{"latest", 0, true},
		{"v2.0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseTarget(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCheckTestdataManifests(t *testing.T) {
	objs, err := manifests.Read(nil, []string{filepath.Join("..", "..", "testdata", "manifests")})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 8 {
		t.Fatalf("%d objects read, want 8: %+v", len(objs), objs)
	}
	tests := []struct {
		name    string
		target  int
		removed int
		worst   Status
	}{
		{"v1.37 removes every legacy API", 37, 5, Removed},
		{"v1.21 only deprecates some", 21, 0, Deprecated},
		{"v1.13 knows of nothing wrong", 13, 0, Current},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := Check(tt.target, objs)
			removed := 0
			for _, f := range fs {
				if f.Status == Removed {
					removed++
				}
				if strings.Contains(f.Object.Source, "current-web") {
					t.Errorf("current object reported: %+v", f)
				}
			}
			if removed != tt.removed {
				t.Errorf("%d removed, want %d: %+v", removed, tt.removed, fs)
			}
			if got := Worst(fs); got != tt.worst {
				t.Errorf("worst %s, want %s", got, tt.worst)
			}
		})
	}
}
