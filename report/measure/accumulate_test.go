package measure

import (
	"bytes"
	"encoding/json"
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

// TestAddProbesIsAddOfEachProbe checks that a run of answered API probes handed to AddProbes is
// measured as the same probes handed to Add one by one, among workload samples and failed
// probes, for runs made at random points and probes out of order within a run.
func TestAddProbesIsAddOfEachProbe(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 50; trial++ {
		one := NewAccumulator(time.Second).WithoutSeries().WithoutLatency()
		runs := NewAccumulator(time.Second).WithoutSeries().WithoutLatency()
		var n int64
		var first, last time.Duration
		flush := func() {
			runs.AddProbes(first, last, n)
			n = 0
		}
		apiSeen := false
		for i := 0; i < 300; i++ {
			at := time.Duration(i)*time.Second + time.Duration(rng.Int64N(int64(time.Second)))
			var s model.Sample
			switch r := rng.IntN(10); {
			case r < 3:
				s = model.Sample{Target: "web", Conn: model.ConnNew, At: at, Latency: 5 * time.Millisecond, Code: 200, Count: 100, Span: time.Second}
				if r == 0 {
					s.Code, s.Error, s.Count = 503, "load balancer: no healthy backend", 3
				}
			case r == 3:
				s = model.Sample{Target: model.APITarget, Conn: model.ConnNew, At: at, Latency: time.Second, Error: "connection refused"}
			default:
				s = model.Sample{Target: model.APITarget, Conn: model.ConnNew, At: at, Latency: 3 * time.Millisecond, Code: 200}
			}
			one.Add(&s)
			if s.Target == model.APITarget && s.OK() && apiSeen {
				if n == 0 || s.At < first {
					first = s.At
				}
				if n == 0 || s.At > last {
					last = s.At
				}
				n++
				if rng.IntN(20) == 0 {
					flush()
				}
				continue
			}
			apiSeen = apiSeen || s.Target == model.APITarget
			runs.Add(&s)
			if rng.IntN(50) == 0 {
				flush()
			}
		}
		flush()
		info := &model.RunInfo{}
		a, _ := json.Marshal(Measure(one, info, nil, nil))
		b, _ := json.Marshal(Measure(runs, info, nil, nil))
		if !bytes.Equal(a, b) {
			t.Fatalf("trial %d: probes in runs measure\n%s\nwant\n%s", trial, b, a)
		}
		if !strings.Contains(string(a), `"probes":`) {
			t.Fatalf("trial %d: no probe measured: %s", trial, a)
		}
	}
}
