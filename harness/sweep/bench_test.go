package sweep

import (
	"context"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// BenchmarkSweepSmall is one seed of a random-fault sweep of ha-well-configured (seeds 1 to
// b.N), judged as zdt sweep judges it (no shrinking): seeds per second = 1e9 / ns/op per
// worker. Its bytes and allocations per seed (-benchmem) are the same on every machine, where
// the times vary with the host's load.
func BenchmarkSweepSmall(b *testing.B) {
	sc, draw := smallWithFaults(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		seed := int64(i + 1)
		if _, err := RunOne(context.Background(), Variant(sc, seed, RandomFaults(draw, seed)), sim.NewProvider(), ReportJudge); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is the process's peak resident set in MiB (Linux reports kilobytes).
func peakRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}

// BenchmarkSweep is `zdt sweep ha-well-configured --seeds 10000 --faults random` as the command
// runs it (every CPU, shrinking included), once per op: it reports seeds/s, CPU per seed, the
// simulated time per real second and the process's peak RSS. Run it with -benchtime 1x.
func BenchmarkSweep(b *testing.B) {
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		b.Fatal(err)
	}
	const seeds = 10000
	var simulated atomic.Int64
	judge := func(sc *scenarios.Scenario, info *model.RunInfo, data *report.Judging) Verdict {
		simulated.Add(int64(info.End))
		return ReportJudge(sc, info, data)
	}
	start, cpu0 := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), sc, sim.NewProvider(), judge, Options{
			Seeds: seeds, FirstSeed: 1, RandomFaults: true, Parallel: runtime.NumCPU(), Shrink: true, MaxShrinkRuns: DefaultMaxShrinkRuns})
		if err != nil {
			b.Fatal(err)
		}
		if res.Runs != seeds {
			b.Fatalf("%d seeds ran", res.Runs)
		}
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	n := float64(b.N * seeds)
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/sweep")
	b.ReportMetric(n/wall.Seconds(), "seeds/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu-ms/seed")
	b.ReportMetric(time.Duration(simulated.Load()).Seconds()/wall.Seconds(), "sim-s/real-s")
	b.ReportMetric(peakRSS(), "peak-MiB")
}

// BenchmarkJudge is the judging of one run as zdt sweep judges it (its records measured as they
// come, then the report without plots), over the records of the first 200 seeds of the
// random-fault sweep of the small scenario (run once, beforehand).
func BenchmarkJudge(b *testing.B) {
	sc, draw := smallWithFaults(b)
	type run struct {
		sc   *scenarios.Scenario
		info *model.RunInfo
		mem  *model.Memory
	}
	var runs []run
	for seed := int64(1); seed <= 200; seed++ {
		v := Variant(sc, seed, RandomFaults(draw, seed))
		mem := &model.Memory{}
		info, err := harness.Run(context.Background(), v, sim.NewProvider(), mem, harness.Options{})
		if err != nil {
			b.Fatal(err)
		}
		runs = append(runs, run{v, info, mem})
	}
	j := report.NewJudging(sc)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := &runs[i%len(runs)]
		j.Reset(r.sc)
		if err := r.mem.Replay(j); err != nil {
			b.Fatal(err)
		}
		ReportJudge(r.sc, r.info, j)
	}
}
