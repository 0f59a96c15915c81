package sweep

import (
	"context"
	"testing"

	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/scenarios"
)

// BenchmarkSweepSmall is one seed of a random-fault sweep of the small scenario, judged as
// zdt sweep judges it (no shrinking): seeds per second = 1e9 / ns/op per worker.
func BenchmarkSweepSmall(b *testing.B) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		b.Fatal(err)
	}
	draw, err := DrawContextOf(context.Background(), sc, sim.NewProvider())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		seed := int64(i + 1)
		if _, err := RunOne(context.Background(), Variant(sc, seed, RandomFaults(draw, seed)), sim.NewProvider(), ReportJudge); err != nil {
			b.Fatal(err)
		}
	}
}
