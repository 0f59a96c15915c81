package draw

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDrawsAreRands checks that IntN and Int64N draw what math/rand/v2's Rand draws from the
// same PCG, for bounds small and large, powers of two included, and leave it in the same state.
func TestDrawsAreRands(t *testing.T) {
	src := rand.NewPCG(7, 11)
	ref := rand.New(rand.NewPCG(7, 11))
	bounds := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200000; i++ {
		var n int64
		switch i % 4 {
		case 0:
			n = 1 + bounds.Int64N(10)
		case 1:
			n = 1 << bounds.IntN(63)
		case 2:
			n = 1 + bounds.Int64N(math.MaxInt64)
		default:
			n = math.MaxInt64 - bounds.Int64N(1000)
		}
		if i%2 == 0 {
			if got, want := IntN(src, int(n)), ref.IntN(int(n)); got != want {
				t.Fatalf("draw %d: IntN(%d) = %d, rand gives %d", i, n, got, want)
			}
		} else if got, want := Int64N(src, n), ref.Int64N(n); got != want {
			t.Fatalf("draw %d: Int64N(%d) = %d, rand gives %d", i, n, got, want)
		}
	}
	if src.Uint64() != ref.Uint64() {
		t.Fatal("the PCGs' states differ after the draws")
	}
}
