package measure

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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

// TestSortedTimelineOrder checks sortedTimeline against a plain stable sort by start, end,
// reason, locator and message, for timelines shaped as runs record them (mostly in order, with
// long intervals recorded late, far from their place) and for shuffled ones.
func TestSortedTimelineOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	reasons := []model.Reason{model.ReasonPodNotReady, model.ReasonPodTerminating, model.ReasonNodeDrain}
	var scratch []timelineKey
	for trial := range 300 {
		n := rng.IntN(400)
		in := make([]model.Interval, n)
		for i := range in {
			from := time.Duration(i/2+rng.IntN(3)) * time.Second
			if rng.IntN(20) == 0 { // a long interval, recorded when it ends
				from = time.Duration(rng.IntN(i/2+1)) * time.Second
			}
			in[i] = model.Interval{From: from, To: from + time.Duration(rng.IntN(3))*time.Second, Reason: reasons[rng.IntN(len(reasons))],
				Locator: model.Locator{Pod: fmt.Sprintf("p-%d", rng.IntN(4))}, Message: fmt.Sprintf("m%d", rng.IntN(2))}
		}
		if trial%3 == 0 {
			rng.Shuffle(n, func(i, j int) { in[i], in[j] = in[j], in[i] })
		}
		want := slices.Clone(in)
		slices.SortStableFunc(want, func(x, y model.Interval) int {
			switch {
			case x.From != y.From:
				return cmp.Compare(x.From, y.From)
			case x.To != y.To:
				return cmp.Compare(x.To, y.To)
			case x.Reason != y.Reason:
				return strings.Compare(string(x.Reason), string(y.Reason))
			}
			if c := CompareLocators(&x.Locator, &y.Locator); c != 0 {
				return c
			}
			return strings.Compare(x.Message, y.Message)
		})
		if got := sortedTimeline(in, false, &scratch); !slices.Equal(got, want) {
			t.Fatalf("trial %d (%d intervals): sortedTimeline's order differs from the stable sort's", trial, n)
		}
	}
}
