package strategies

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/scenarios"
)

// The same blocked drain, under each preset, ends as each service ends it.
func TestCompareOnABlockedDrain(t *testing.T) {
	_, raw, err := scenarios.Open("pdb-blocks-drain")
	if err != nil {
		t.Fatal(err)
	}
	variants, err := Variants("pdb-blocks-drain", raw, 4*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(variants) != len(Presets) {
		t.Fatalf("%d variants, want %d", len(variants), len(Presets))
	}
	rows, err := Compare(context.Background(), variants, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		stall    time.Duration
		dropping bool
	}{
		"ClusterAPI":   {4 * time.Hour, false}, // waits for ever: the deadline ends it
		"EKS":          {15 * time.Minute, false},
		"EKS force":    {15 * time.Minute, true},
		"AKS Schedule": {30 * time.Minute, false},
		"AKS Cordon":   {30 * time.Minute, false},
		"GKE":          {time.Hour, true},
	}
	for _, r := range rows {
		w := want[r.Label]
		stall := time.Duration(r.MaxStallSeconds * float64(time.Second))
		// A drain sees its timeout at its next pass: up to one eviction retry late.
		// The stall begins minutes into the upgrade, so a deadline that ends it leaves it shorter.
		if stall < w.stall-10*time.Minute || stall > w.stall+scenarios.DefaultCalibration().EvictionRetry.Duration {
			t.Errorf("%s: longest stall %s, want about %s", r.Label, stall, w.stall)
		}
		if (r.MaxDropped > 0) != w.dropping {
			t.Errorf("%s: %d dropped; pods deleted past the budget drop requests: %v", r.Label, r.MaxDropped, w.dropping)
		}
		if r.Failed != 2 || !strings.Contains(r.FirstFailure, "pdb-stall") {
			t.Errorf("%s: %d failed, first failure %q; want both seeds failing on the stall", r.Label, r.Failed, r.FirstFailure)
		}
	}
}
