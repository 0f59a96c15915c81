package sim

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// countingRecorder counts what a run records without keeping it, as a sweep does.
type countingRecorder struct{ samples, intervals, states int }

func (r *countingRecorder) Sample(*model.Sample) error     { r.samples++; return nil }
func (r *countingRecorder) Interval(*model.Interval) error { r.intervals++; return nil }
func (r *countingRecorder) State(*model.StateSample) error { r.states++; return nil }

func benchRun(b *testing.B, sc *scenarios.Scenario) {
	b.ReportAllocs()
	var simulated time.Duration
	start := time.Now()
	for i := 0; i < b.N; i++ {
		seed := int64(i + 1)
		sc.Spec.Seed = &seed
		info, err := harness.Run(context.Background(), sc, NewProvider(), &countingRecorder{}, harness.Options{})
		if err != nil {
			b.Fatal(err)
		}
		simulated += info.End
	}
	real := time.Since(start)
	b.ReportMetric(real.Seconds()/float64(b.N), "wall-s/run")
	b.ReportMetric(simulated.Seconds()/real.Seconds(), "sim-s/real-s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MiB") // Linux reports kilobytes
	}
}

// BenchmarkSmall is the small scenario: 3 control plane nodes, 3 workers, 3 workloads,
// 100 rps per stream, the whole upgrade.
func BenchmarkSmall(b *testing.B) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, sc)
}

// BenchmarkLarge is 5,000 nodes in 50 pools with 150,000 pods. Run it with -benchtime 1x.
func BenchmarkLarge(b *testing.B) {
	data, err := os.ReadFile("testdata/large-fleet.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := scenarios.Parse("testdata/large-fleet.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, sc)
}
