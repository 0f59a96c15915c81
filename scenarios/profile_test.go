package scenarios

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultProfileParses(t *testing.T) {
	p, err := ParseProfile("default", DefaultProfileYAML())
	if err != nil {
		t.Fatal(err)
	}
	if p.Spec != DefaultCalibration() {
		t.Errorf("DefaultCalibration differs from the shipped profile parsed again")
	}
}

func TestProfileErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"apiVersion: zdt.dev/v1alpha1\nkind: CalibrationProfile\nspec: {nodeJion: 1s}\n", "spec.nodeJion: unknown field"},
		{"apiVersion: zdt.dev/v1alpha1\nkind: Scenario\nspec: {}\n", "kind: Invalid value"},
		{"apiVersion: zdt.dev/v1alpha1\nkind: CalibrationProfile\nspec: {evictionRetry: -1s}\n", "spec.evictionRetry"},
		{"apiVersion: zdt.dev/v1alpha1\nkind: CalibrationProfile\nspec: {latency: {new: {median: 5ms, p99: 1ms}}}\n", "spec.latency.new.p99"},
	} {
		_, err := ParseProfile("p.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to name %q", tc.yaml, err, tc.want)
		}
	}
}

// A profile replaces the default timings; the scenario's own spec.calibration still wins.
func TestProfileUnderTheScenariosOwnCalibration(t *testing.T) {
	p, err := ParseProfile("p.yaml", []byte("apiVersion: zdt.dev/v1alpha1\nkind: CalibrationProfile\nspec: {nodeJoin: 40s, evictionRetry: 25s}\n"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := Builtin("ha-well-configured")
	data = append(data, []byte("  calibration:\n    evictionRetry: 7s\n")...)
	s, err := ParseWith("x", data, &p.Spec)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Spec.Calibration
	if c.NodeJoin.Duration != 40*time.Second || c.EvictionRetry.Duration != 7*time.Second || c.MachineDelete != p.Spec.MachineDelete {
		t.Errorf("nodeJoin %s (want the profile's 40s), evictionRetry %s (want the scenario's 7s)", c.NodeJoin.Duration, c.EvictionRetry.Duration)
	}
}
