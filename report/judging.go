package report

import (
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
	"github.com/zdt-dev/zdt/scenarios"
)

// Judging is a model.Recorder that measures a run's samples as they are recorded instead of
// keeping them, for a caller that only judges the run (zdt sweep, zdt strategies, zdt
// predict). Reset readies it for another run, keeping what it allocated.
type Judging struct {
	sc  *scenarios.Scenario
	acc *measure.Accumulator
	// Intervals and States are the run's timeline and state samples as recorded.
	Intervals []model.Interval
	States    []model.StateSample
	// Samples counts the samples measured.
	Samples int
	report  *Report
}

// NewJudging returns a Judging for a run of sc (nil: the criteria's defaults).
func NewJudging(sc *scenarios.Scenario) *Judging {
	j := &Judging{}
	j.Reset(sc)
	return j
}

// Reset empties j for a run of sc.
func (j *Judging) Reset(sc *scenarios.Scenario) {
	res := resolution(sc)
	if j.acc == nil {
		j.acc = measure.NewAccumulator(res).WithoutSeries().WithoutLatency().WithoutTimelineRefs()
	} else {
		j.acc.Reset(res)
	}
	j.sc, j.report, j.Samples = sc, nil, 0
	clear(j.Intervals)
	clear(j.States)
	j.Intervals, j.States = j.Intervals[:0], j.States[:0]
}

// Sample implements model.Recorder: the sample is measured, not kept.
func (j *Judging) Sample(s *model.Sample) error {
	j.acc.Add(s)
	j.Samples++
	return nil
}

// ProbesAnswered implements model.ProbeCounter: n answered probes of the API prober, sent
// from first to last, are measured as n samples would be.
func (j *Judging) ProbesAnswered(first, last time.Duration, n int64) error {
	j.acc.AddProbes(first, last, n)
	j.Samples += int(n)
	return nil
}

// SkipsNodeVersions implements model.NodeVersionsSkipper: no criterion reads a state sample's
// NodesByVersion.
func (j *Judging) SkipsNodeVersions() bool { return true }

// Interval implements model.Recorder.
func (j *Judging) Interval(iv *model.Interval) error {
	j.Intervals = append(j.Intervals, *iv)
	return nil
}

// State implements model.Recorder.
func (j *Judging) State(s *model.StateSample) error {
	j.States = append(j.States, *s)
	return nil
}

// Report is the run's report as Evaluate makes it for the same records, but for what no
// criterion, cause or judge reads: it has no Series for the plots, no latencies (every Latency
// is zero), no timeline intervals in its drop windows (DropWindow.During is empty), no
// Planned in its faults and, for the criteria that format one from the run's figures, no
// Detail. It is made once; later calls return the same report, until Reset.
func (j *Judging) Report(info *model.RunInfo) *Report {
	if j.report == nil {
		j.report = evaluate(j.sc, info, j.acc, j.Intervals, j.States, nil, true, true)
	}
	return j.report
}
