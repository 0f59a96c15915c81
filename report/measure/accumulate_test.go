package measure

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
)

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		name     string
		at, span time.Duration
		n        int64
		want     map[int64]int64
	}{
		{"single", 1500 * time.Millisecond, 0, 1, map[int64]int64{1: 1}},
		{"within a second", 100 * time.Millisecond, 500 * time.Millisecond, 5, map[int64]int64{0: 5}},
		{"across seconds", 500 * time.Millisecond, 2 * time.Second, 4, map[int64]int64{0: 1, 1: 2, 2: 1}},
		{"many", 0, 5 * time.Second, 50, map[int64]int64{0: 10, 1: 10, 2: 10, 3: 10, 4: 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int64]int64{}
			var total int64
			spread(tc.at, tc.span, tc.n, func(sec, cnt int64) { got[sec] += cnt; total += cnt })
			if total != tc.n {
				t.Errorf("spread %d requests, want %d", total, tc.n)
			}
			for sec, want := range tc.want {
				if got[sec] != want {
					t.Errorf("second %d: %d requests, want %d (all: %v)", sec, got[sec], want, got)
				}
			}
		})
	}
}

// A sample that carries a latency distribution is spread over it: its percentiles are the
// log-normal's, its mean the sample's own.
func TestLatencyDistributionIsSpread(t *testing.T) {
	var h latHist
	mean := 6 * time.Millisecond
	sigma := 1.0
	h.addDist(mean, sigma, 100000)
	l := h.latency()
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
	var flat latHist
	flat.addDist(mean, 0, 10)
	if f := flat.latency(); f.P50 != 6 || f.P99 != 6 {
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

// TestCompareLocatorsIsTheStringsOrder compares CompareLocators with strings.Compare of the
// rendered locators, for random locators whose values are prefixes of each other, hold spaces
// and slashes, or are empty.
func TestCompareLocatorsIsTheStringsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := []string{"", "", "", "a", "ab", "a b", "a/b", "web-1", "web-10", "web", " ", "node", "pod/x", "z"}
	pick := func() string { return values[rng.IntN(len(values))] }
	mk := func() model.Locator {
		return model.Locator{Cluster: pick(), Phase: model.PhaseName(pick()), Pool: pick(), Machine: pick(), Node: pick(),
			Workload: pick(), Pod: pick(), PDB: pick(), Fault: pick()}
	}
	for i := 0; i < 200000; i++ {
		a, b := mk(), mk()
		if i%3 == 0 {
			b = a
			b.Pod = pick()
		}
		want := strings.Compare(LocatorString(a), LocatorString(b))
		if got := CompareLocators(&a, &b); got != want {
			t.Fatalf("CompareLocators(%q, %q) = %d, strings.Compare gives %d", LocatorString(a), LocatorString(b), got, want)
		}
	}
}
