package calibration

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestLatencyQuantilesLogNormal(t *testing.T) {
	q := LatencyQuantiles{Median: d(4 * time.Millisecond), P99: d(40 * time.Millisecond)}
	_, sigma, ok := q.LogNormal()
	if !ok || sigma < 0.98 || sigma > 0.99 { // ln(10)/2.326
		t.Errorf("sigma %v", sigma)
	}
	if m := q.Mean(); m < 6*time.Millisecond || m > 7*time.Millisecond { // 4ms * exp(sigma^2/2)
		t.Errorf("mean %s", m)
	}
	if _, _, ok := (LatencyQuantiles{}).LogNormal(); ok {
		t.Error("an empty model is a distribution")
	}
}

// Validate names each bad field under the path it is given.
func TestValidate(t *testing.T) {
	c := Base()
	if errs := c.Validate(field.NewPath("spec")); len(errs) != 0 {
		t.Fatalf("the base values do not validate: %v", errs)
	}
	c.NodeJoin = d(-time.Second)
	c.ProxySyncMax = d(c.ProxySyncMin.Duration - time.Millisecond)
	c.Latency.New = LatencyQuantiles{P99: d(time.Millisecond)}
	c.LBFall = 0
	var got []string
	for _, e := range c.Validate(field.NewPath("spec", "calibration")) {
		got = append(got, e.Field)
	}
	want := "spec.calibration.nodeJoin spec.calibration.proxySyncMax spec.calibration.latency.new.median spec.calibration.lbFall"
	if strings.Join(got, " ") != want {
		t.Errorf("problems at %v, want %s", got, want)
	}
}
