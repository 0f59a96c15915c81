package measure

import (
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
