package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// RandomFaults draws a fault schedule of one to three faults from the seed (faults.Random): the
// same seed and context give the same schedule, and adding a fault kind leaves the faults of
// other kinds alone.
func RandomFaults(c faults.DrawContext, seed int64) []faults.Fault {
	return faults.Random(seed, c)
}

// DrawContextOf returns what random schedules of the scenario are drawn from: its workloads and
// pools, and the shapes of its phases in one run without faults under the scenario's own seed,
// so that drawn faults land while their phase runs and faults on the draining node land in a
// drain.
func DrawContextOf(ctx context.Context, sc *scenarios.Scenario, p harness.Provider) (faults.DrawContext, error) {
	c := faults.DrawContext{Phases: map[model.PhaseName]faults.PhaseShape{}}
	for _, w := range sc.Spec.Workloads {
		c.Workloads = append(c.Workloads, w.Name)
	}
	for _, pool := range sc.Spec.Cluster.WorkerPools {
		c.Pools = append(c.Pools, pool.Name)
	}
	mem := &model.Memory{}
	base := Variant(sc, *sc.Spec.Seed, nil)
	info, err := harness.Run(ctx, base, p, mem, harness.Options{})
	if err != nil {
		return c, fmt.Errorf("the run without faults that times random faults: %w", err)
	}
	// The first step's phases: a fault's time is measured from the first start of its phase.
	spans := map[model.PhaseName]faults.Stretch{}
	var order []model.PhaseName
	add := func(name model.PhaseName, from, to time.Duration) {
		if _, seen := spans[name]; seen {
			return
		}
		spans[name] = faults.Stretch{From: from, To: to}
		order = append(order, name)
	}
	var workers *faults.Stretch
	firstStep := ""
	for _, ph := range info.Phases {
		if ph.Name == model.PhaseControlPlane {
			add(ph.Name, ph.From, ph.To)
		}
		if _, ok := ph.Name.Pool(); ok {
			add(ph.Name, ph.From, ph.To)
			switch {
			case workers == nil:
				workers, firstStep = &faults.Stretch{From: ph.From, To: ph.To}, ph.Step
			case ph.Step == firstStep:
				workers.To = max(workers.To, ph.To)
			}
		}
	}
	if workers != nil {
		add(model.PhaseWorkers, workers.From, workers.To)
	}
	for _, name := range order {
		sp := spans[name]
		shape := faults.PhaseShape{Length: sp.To - sp.From}
		for _, iv := range mem.Intervals {
			if iv.Reason == model.ReasonNodeDrain && iv.From >= sp.From && iv.From < sp.To {
				shape.Drains = append(shape.Drains, faults.Stretch{From: iv.From - sp.From, To: iv.To - sp.From})
			}
		}
		c.Phases[name] = shape
	}
	return c, nil
}
