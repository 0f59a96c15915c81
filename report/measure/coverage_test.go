package measure

import (
	"testing"
	"time"
)

// TestLargestGap checks the gap measured between requests against the true one, to within two
// slices (a tenth of the resolution).
func TestLargestGap(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		sends []time.Duration
		from  time.Duration
		to    time.Duration
		want  time.Duration
	}{
		{"dense", nil, 0, 10 * time.Second, 0},
		{"a 3 s hole", []time.Duration{1000 * ms, 4000 * ms}, 0, 5 * time.Second, 3 * time.Second},
		{"nothing before the first request", []time.Duration{2500 * ms}, 0, 2600 * ms, 2500 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &coverage{width: time.Second / coverageSlices}
			if tc.sends == nil {
				c.markSpan(0, 10*time.Second, 1000) // 100/s
			}
			for _, s := range tc.sends {
				c.mark(s)
			}
			got, _ := c.largestGap(tc.from, tc.to)
			if d := got - tc.want; d < -2*c.width || d > 2*c.width {
				t.Errorf("gap %s, want %s (to within %s)", got, tc.want, 2*c.width)
			}
		})
	}
	// An aggregated sample of n requests over a span marks every slice it covers.
	c := &coverage{width: 50 * ms}
	c.markSpan(0, time.Second, 100)
	if c.marked() != 20 {
		t.Errorf("%d slices marked by 100 requests over 1s, want 20", c.marked())
	}
}
