package sweep

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// DefaultMaxShrinkRuns bounds the runs spent shrinking one failure.
const DefaultMaxShrinkRuns = 200

// minFaultDuration is the shortest a fault is shrunk to.
const minFaultDuration = time.Second

// Shrink looks for the smallest fault schedule that still fails the example's first failed
// criterion under the same seed: fewer faults first, then shorter ones, then later ones. Each
// step keeps a change only when the run still fails that criterion. It returns the scenario that
// reproduces the failure and the number of runs it took. Interrupted (ctx), it returns the
// smallest schedule found so far, which still fails, with the context's error.
func Shrink(ctx context.Context, sc *scenarios.Scenario, p harness.Provider, judge Judge, example SeedResult, maxRuns int) (*scenarios.Scenario, int, error) {
	if maxRuns <= 0 {
		maxRuns = DefaultMaxShrinkRuns
	}
	criterion := example.Verdict.First()
	schedule := cloneFaults(example.Faults)
	runs := 0
	var runErr error
	fails := func(candidate []faults.Fault) bool {
		if runs >= maxRuns || runErr != nil {
			return false
		}
		runs++
		v, err := RunOne(ctx, Variant(sc, example.Seed, candidate), p, judge)
		if ctx.Err() != nil {
			runErr = ctx.Err()
			return false
		}
		if err != nil {
			// A candidate stopped by a harness error does not reproduce the failure; only an
			// interruption stops the shrinking.
			if ctx.Err() != nil {
				runErr = ctx.Err()
			}
			return false
		}
		return v.Fails(criterion)
	}

	// Fewer: drop faults one at a time, starting again after each success.
	for removed := true; removed; {
		removed = false
		for i := range schedule {
			candidate := append(cloneFaults(schedule[:i]), cloneFaults(schedule[i+1:])...)
			if fails(candidate) {
				schedule, removed = candidate, true
				break
			}
		}
	}
	// Shorter: halve each fault's duration while it still fails (0 means lasting: left alone).
	for i := range schedule {
		for d := schedule[i].Duration.Duration / 2; d >= minFaultDuration; d /= 2 {
			candidate := cloneFaults(schedule)
			candidate[i].Duration = &metav1.Duration{Duration: d}
			if !fails(candidate) {
				break
			}
			schedule = candidate
		}
	}
	// Later: push each fault later in its phase while it still fails.
	for i := range schedule {
		for step := 0; step < 4; step++ {
			candidate := cloneFaults(schedule)
			after := candidate[i].At.After.Duration
			candidate[i].At.After.Duration = after*2 + 5*time.Second
			if !fails(candidate) {
				break
			}
			schedule = candidate
		}
	}
	out := Variant(sc, example.Seed, schedule)
	out.Metadata.Name = reproName(sc.Metadata.Name, example.Seed, criterion)
	out.Metadata.Description = fmt.Sprintf("Shrunk from %s seed %d: %d fault(s) that still fail %s. Reproduce with zdt run on this file.",
		sc.Metadata.Name, example.Seed, len(schedule), criterion)
	// Interrupted, the schedule is the smallest found so far: it still fails.
	return out, runs, runErr
}

func cloneFaults(fs []faults.Fault) []faults.Fault {
	out := make([]faults.Fault, len(fs))
	for i, f := range fs {
		out[i] = f
		if f.Duration != nil {
			d := *f.Duration
			out[i].Duration = &d
		}
	}
	return out
}

// reproName makes a scenario name (a DNS label) for a shrunk failure.
func reproName(base string, seed int64, criterion string) string {
	crit := strings.NewReplacer("/", "-", "_", "-").Replace(criterion)
	name := fmt.Sprintf("%s-seed%d-%s", base, seed, crit)
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	return name
}
