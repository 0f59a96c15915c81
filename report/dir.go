package report

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report/measure"
	"github.com/zdt-dev/zdt/scenarios"
)

// FromDir reads a run directory (scenario.yaml, run.json, samples.jsonl, timeline.jsonl and
// states.jsonl) and evaluates it. Samples are streamed: only their aggregates stay in memory.
// A missing timeline or states file counts as empty; a missing scenario or run.json is an error.
func FromDir(dir string) (*Report, error) {
	path := filepath.Join(dir, model.ScenarioFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read run directory %s: %w", dir, err)
	}
	sc, err := scenarios.Parse(path, data)
	if err != nil {
		return nil, fmt.Errorf("read run directory %s: %w", dir, err)
	}
	info, err := model.ReadRunInfo(dir)
	if err != nil {
		return nil, err
	}
	// What the files hold must be what the run wrote; a run still marked running was stopped
	// (killed) before it closed its files.
	integrity := model.Verify(dir, info)
	killed := info.State == model.RunRunning
	if killed {
		info.Aborted = true
		info.AbortReason = cmp.Or(info.AbortReason, "the run stopped without closing its files (zdt was killed?): what it measured up to its last checkpoint is reported")
	}
	acc := measure.NewAccumulator(sc.Spec.Criteria.Resolution.Duration)
	if err := model.EachSample(dir, func(s *model.Sample) error { acc.Add(s); return nil }); err != nil && !missing(err) {
		return nil, err
	}
	timeline, err := model.ReadTimeline(dir)
	if err != nil && !missing(err) {
		return nil, err
	}
	states, err := model.ReadStates(dir)
	if err != nil && !missing(err) {
		return nil, err
	}
	if killed && info.Current != nil {
		// The phase in progress at the last checkpoint ends where the data on disk ends.
		ph := *info.Current
		ph.To = max(ph.From, acc.MaxAt())
		for _, iv := range timeline {
			ph.To = max(ph.To, iv.To)
		}
		for _, st := range states {
			ph.To = max(ph.To, st.At)
		}
		ph.Outcome = model.PhaseInterrupted
		ph.Message = cmp.Or(ph.Message, fmt.Sprintf("killed after at least %s (the last record on disk)", (ph.To-ph.From).Round(time.Millisecond)))
		info.Phases = append(info.Phases, ph)
		info.Current = nil
	}
	return evaluate(sc, info, acc, timeline, states, &integrity, true, false), nil
}

func missing(err error) bool { return errors.Is(err, fs.ErrNotExist) }
