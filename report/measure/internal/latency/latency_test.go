package latency

import (
	"math"
	"testing"
	"time"
)

// A sample that carries a latency distribution is spread over it: its percentiles are the
// log-normal's, its mean the sample's own.
func TestLatencyDistributionIsSpread(t *testing.T) {
	var h Hist
	mean := 6 * time.Millisecond
	sigma := 1.0
	h.AddDist(mean, sigma, 100000)
	l := h.Percentiles()
	mu := math.Log(mean.Seconds()) - sigma*sigma/2
	median := math.Exp(mu) * 1000
	p99 := math.Exp(mu+2.3263*sigma) * 1000
	if math.Abs(l.P50-median)/median > 0.02 || math.Abs(l.P99-p99)/p99 > 0.05 {
		t.Errorf("p50 %.2f ms p99 %.2f ms, want %.2f and %.2f", l.P50, l.P99, median, p99)
	}
	if math.Abs(l.Mean-6) > 0.001 {
		t.Errorf("mean %.3f ms, want 6", l.Mean)
	}
	if l.Max < l.P99 {
		t.Errorf("max %.2f below p99 %.2f", l.Max, l.P99)
	}
	// Without a sigma, a sample stays one latency.
	var flat Hist
	flat.AddDist(mean, 0, 10)
	if f := flat.Percentiles(); f.P50 != 6 || f.P99 != 6 {
		t.Errorf("flat sample: %+v", f)
	}
}

func TestRoundPowersAreMathPow(t *testing.T) {
	for i, p := range pow10 {
		if want := math.Pow(10, float64(i)); p != want {
			t.Errorf("pow10[%d] = %v, math.Pow gives %v", i, p, want)
		}
	}
}
