package measure

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
)

// TestSortedTimelineInPlace checks that the timeline put in order where it is comes out as the
// sorted copy does, for random timelines with ties and near-sorted runs.
func TestSortedTimelineInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	reasons := []model.Reason{model.ReasonPodNotReady, model.ReasonPodTerminating, model.ReasonNodeDrain}
	var scratch []timelineKey // shared by every call, as an Accumulator's is
	for trial := range 500 {
		n := rng.IntN(120)
		in := make([]model.Interval, n)
		for i := range in {
			from := time.Duration(i/3+rng.IntN(4)) * time.Second
			in[i] = model.Interval{From: from, To: from + time.Duration(rng.IntN(3))*time.Second, Reason: reasons[rng.IntN(len(reasons))],
				Locator: model.Locator{Pod: fmt.Sprintf("p-%d", rng.IntN(5))}, Message: fmt.Sprintf("m%d", rng.IntN(3))}
		}
		want := sortedTimeline(in, false, &scratch)
		got := sortedTimeline(slices.Clone(in), true, &scratch)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: the timeline sorted in place differs from the sorted copy", trial)
		}
	}
}
