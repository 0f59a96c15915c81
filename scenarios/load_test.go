package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/scenarios/calibration"
)

func TestBuiltinScenariosAreValid(t *testing.T) {
	names := Names()
	if len(names) == 0 {
		t.Fatal("no built-in scenario")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, _, err := Open(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Metadata.Name != name {
				t.Errorf("metadata.name %q differs from the file name %q", s.Metadata.Name, name)
			}
		})
	}
}

func TestDefaultsFollowKubernetes(t *testing.T) {
	s, err := Parse("t", []byte(`
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: minimal}
spec:
  cluster:
    workerPools: [{name: md-0}]
  versions: {from: v1.35.0, to: v1.36.0}
  workloads:
    - name: web
      readinessProbe: {}
      pdb: {minAvailable: 1}
      topologySpread: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	w := s.Spec.Workloads[0]
	p := s.Spec.Cluster.WorkerPools[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"deployment replicas", *w.Replicas, int32(1)},
		{"strategy maxSurge", w.Strategy.MaxSurge.String(), "25%"},
		{"probe period", w.ReadinessProbe.Period.Duration.String(), "10s"},
		{"probe failureThreshold", *w.ReadinessProbe.FailureThreshold, int32(3)},
		{"termination grace", w.TerminationGracePeriod.Duration.String(), "30s"},
		{"pdb policy", w.PDB.UnhealthyPodEvictionPolicy, IfHealthyBudget},
		{"pdb name", w.PDB.Name, "web"},
		{"spread key", w.TopologySpread.TopologyKey, TopologyHostname},
		{"spread when", w.TopologySpread.WhenUnsatisfiable, DoNotSchedule},
		{"control plane replicas", *s.Spec.Cluster.ControlPlane.Replicas, int32(3)},
		{"pool replicas", *p.Replicas, int32(1)},
		{"pool maxSurge", p.MaxSurge.String(), "1"},
		{"pool maxUnavailable", p.MaxUnavailable.String(), "0"},
		{"pool drain timeout", p.NodeDrainTimeout.Duration.String(), "0s"},
		{"max pods", *p.Capacity.Pods, int32(110)},
		{"load targets", strings.Join(s.Spec.Load.Targets, ","), "web"},
		{"eviction retry (Cluster API's requeue)", calibration.Base().EvictionRetry.Duration.String(), "20s"},
		{"eviction retry of the default profile", s.Spec.Calibration.EvictionRetry.Duration, DefaultCalibration().EvictionRetry.Duration},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestCalibrationOverrideKeepsOtherDefaults(t *testing.T) {
	s, err := Parse("t", []byte(`
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: cal}
spec:
  cluster: {workerPools: [{name: md-0}]}
  versions: {from: v1.35.0, to: v1.36.0}
  workloads: [{name: web}]
  calibration: {nodeJoin: 90s}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Spec.Calibration.NodeJoin.Duration.String(); got != "1m30s" {
		t.Errorf("nodeJoin = %s, want 1m30s", got)
	}
	if got, want := s.Spec.Calibration.EvictionRetry, DefaultCalibration().EvictionRetry; got != want {
		t.Errorf("evictionRetry = %s, want the default profile's %s", got.Duration, want.Duration)
	}
}

func TestErrorsNameTheirFieldPaths(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "unknown field, negative replicas, PDB above replicas",
			yaml: `
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  cluster: {workerPools: [{name: md-0, replicas: 2}]}
  versions: {from: v1.35.0, to: v1.36.0}
  workloads:
    - name: web
      replicas: -1
      colour: blue
    - name: api
      replicas: 3
      pdb: {minAvailable: 4}
`,
			want: []string{
				"spec.workloads[0].colour: unknown field",
				"spec.workloads[0].replicas: Invalid value: -1: must not be negative",
				"spec.workloads[1].pdb.minAvailable: Invalid value: 4: exceeds replicas (3)",
			},
		},
		{
			name: "versions backwards and bad pacer",
			yaml: `
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  cluster: {workerPools: [{name: md-0}]}
  versions: {from: v1.36.0, to: v1.35.0}
  workloads: [{name: web}]
  load: {pacer: {type: burst}, targets: [nope]}
`,
			want: []string{
				"spec.versions.to: Invalid value: \"v1.35.0\": must be newer than from",
				"spec.load.pacer.type: Unsupported value: \"burst\"",
				"spec.load.targets[0]: Unsupported value: \"nope\"",
			},
		},
		{
			name: "even control plane and no pools",
			yaml: `
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  cluster: {controlPlane: {replicas: 2}}
  versions: {from: v1.35.0, to: v1.36.0}
  workloads: [{name: web}]
`,
			want: []string{
				"spec.cluster.controlPlane.replicas: Invalid value: 2: must be odd",
				"spec.cluster.workerPools: Required value",
			},
		},
		{
			// A key set twice is an error (YAML would keep the last one), and every value of the
			// wrong type is reported with its path, not only the first.
			name: "duplicate keys and values of the wrong type",
			yaml: `
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  cluster: {workerPools: [{name: md-0, replicas: 2, nodeDrainTimeout: abc}]}
  versions: {from: v1.35.0, to: v1.36.0}
  workloads:
    - name: web
      replicas: 3
      replicas: 4
      requests: {cpu: lots}
    - name: api
      replicas: three
`,
			want: []string{
				"spec.workloads[0].replicas: duplicate field (lines 10 and 11)",
				`spec.cluster.workerPools[0].nodeDrainTimeout: Invalid value: "abc": invalid duration "abc"`,
				`spec.workloads[0].requests.cpu: Invalid value: "lots": quantities must match`,
				`spec.workloads[1].replicas: Invalid value: "three": must be a whole number`,
			},
		},
		{
			// Sizes that would not fit the machine are errors, not an out-of-memory crash.
			name: "sizes beyond the bounds",
			yaml: `
apiVersion: zdt.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  cluster: {workerPools: [{name: md-0, replicas: 1000000000}]}
  versions: {from: v1.35.0, to: v1.36.0}
  workloads: [{name: web, replicas: 1000000000}]
  load: {rate: 1e9}
`,
			want: []string{
				"spec.cluster.workerPools[0].replicas: Invalid value: 1000000000: must be at most 5000",
				"spec.cluster: Invalid value: 1000000003: must be at most 10000",
				"spec.workloads[0].replicas: Invalid value: 1000000000: must be at most 10000",
				"spec.workloads: Invalid value: 1000000000: must be at most 300000",
				"spec.load.rate: Invalid value: 1e+09: must be at most 100000",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.yaml))
			inv, ok := err.(*InvalidError)
			if !ok {
				t.Fatalf("want *InvalidError, got %v", err)
			}
			if len(inv.Problems) != len(c.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(inv.Problems), len(c.want), inv.Error())
			}
			for _, w := range c.want {
				found := false
				for _, p := range inv.Problems {
					found = found || strings.HasPrefix(p, w)
				}
				if !found {
					t.Errorf("no problem starting with %q in:\n%s", w, inv.Error())
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range Names() {
		data, _ := Builtin(name)
		f.Add(data)
	}
	f.Add([]byte("apiVersion: zdt.dev/v1alpha1\nkind: Scenario\nspec: {workloads: [{pdb: {minAvailable: 50%}}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz", data)
		if err == nil && s == nil {
			t.Fatal("no scenario and no error")
		}
		if err == nil {
			if _, err := Marshal(s); err != nil {
				t.Fatalf("a valid scenario does not marshal: %v", err)
			}
		}
	})
}

// TestManifestsAreReadRelativeToTheScenarioFile: spec.manifests names files and folders next
// to the scenario; Open reads their objects and makes the paths absolute, so that the resolved
// scenario reads them from anywhere; a path that does not exist names its field.
func TestManifestsAreReadRelativeToTheScenarioFile(t *testing.T) {
	dir := t.TempDir()
	base, _ := Builtin("ha-well-configured")
	write := func(name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("deploy/cron.yaml", "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: nightly}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
	write("scenario.yaml", strings.Replace(string(base), "\nspec:\n", "\nspec:\n  manifests: [deploy]\n", 1))
	sc, _, err := Open(filepath.Join(dir, "scenario.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Objects) != 2 || sc.Objects[0].Kind != "CronJob" {
		t.Fatalf("objects %+v, want the CronJob and the Service", sc.Objects)
	}
	if want := filepath.Join(dir, "deploy"); sc.Spec.Manifests[0] != want {
		t.Errorf("manifest path %q, want %q", sc.Spec.Manifests[0], want)
	}

	write("bad.yaml", strings.Replace(string(base), "\nspec:\n", "\nspec:\n  manifests: [deploy, nowhere]\n", 1))
	_, _, err = Open(filepath.Join(dir, "bad.yaml"))
	if err == nil || !strings.Contains(err.Error(), "spec.manifests[1]") || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("error %v, want one naming spec.manifests[1] and the path", err)
	}
}
