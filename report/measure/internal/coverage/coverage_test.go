package coverage

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestLargestGap checks the gap measured between requests against the true one, to within two
// slices (a tenth of the resolution).
func TestLargestGap(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		sends []time.Duration
		from  time.Duration
		to    time.Duration
		want  time.Duration
	}{
		{"dense", nil, 0, 10 * time.Second, 0},
		{"a 3 s hole", []time.Duration{1000 * ms, 4000 * ms}, 0, 5 * time.Second, 3 * time.Second},
		{"nothing before the first request", []time.Duration{2500 * ms}, 0, 2600 * ms, 2500 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Coverage{width: time.Second / Slices}
			if tc.sends == nil {
				c.MarkSpan(0, 10*time.Second, 1000) // 100/s
			}
			for _, s := range tc.sends {
				c.Mark(s)
			}
			got, _ := c.LargestGap(tc.from, tc.to)
			if d := got - tc.want; d < -2*c.width || d > 2*c.width {
				t.Errorf("gap %s, want %s (to within %s)", got, tc.want, 2*c.width)
			}
		})
	}
	// An aggregated sample of n requests over a span marks every slice it covers.
	c := &Coverage{width: 50 * ms}
	c.MarkSpan(0, time.Second, 100)
	if c.marked() != 20 {
		t.Errorf("%d slices marked by 100 requests over 1s, want 20", c.marked())
	}
}

// TestLargestGapMatchesASliceBySliceScan compares the word-skipping scan with a plain one on
// random coverage: long full and empty stretches, and scattered slices.
func TestLargestGapMatchesASliceBySliceScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		c := &Coverage{width: time.Millisecond}
		n := 64 + rng.IntN(2000)
		for i := 0; i < n; {
			k := 1 + rng.IntN(300)
			if rng.IntN(2) == 0 {
				c.markRange(int64(i), int64(min(i+k, n)-1))
			} else if rng.IntN(4) == 0 {
				c.Mark(time.Duration(i+rng.IntN(k)) * time.Millisecond)
			}
			i += k
		}
		from := time.Duration(rng.IntN(100)) * time.Millisecond
		to := time.Duration(n-rng.IntN(50)) * time.Millisecond
		gap, at := c.largestGapWithin(from, to)
		// The plain scan.
		best, bestAt, run, start := 0, from, 0, 0
		for i := int(from / c.width); i <= int((to-1)/c.width); i++ {
			if c.has(i) {
				if run > best {
					best, bestAt = run, time.Duration(start)*c.width
				}
				run = 0
				continue
			}
			if run == 0 {
				start = i
			}
			run++
		}
		if run > best {
			best, bestAt = run, time.Duration(start)*c.width
		}
		wantGap, wantAt := time.Duration(best+1)*c.width, bestAt
		if best == 0 {
			wantGap, wantAt = 0, from
		}
		if gap != wantGap || at != wantAt {
			t.Fatalf("trial %d: largest gap %s at %s, the plain scan %s at %s", trial, gap, at, wantGap, wantAt)
		}
	}
}

// TestMarkRangeMarksEachSlice compares markRange with marking its slices one by one.
func TestMarkRangeMarksEachSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 2000 {
		a, b := &Coverage{width: time.Millisecond}, &Coverage{width: time.Millisecond}
		for range 1 + rng.IntN(4) {
			i0 := int64(rng.IntN(700))
			i1 := i0 + int64(rng.IntN(300)) - 20
			a.markRange(i0, i1)
			for i := i0; i <= i1; i++ {
				b.Mark(time.Duration(i) * time.Millisecond)
			}
		}
		for i := range 1100 {
			if a.has(i) != b.has(i) {
				t.Fatalf("trial %d: slice %d marked %v by markRange, %v one by one", trial, i, a.has(i), b.has(i))
			}
		}
	}
}

// TestMarkSpanMarksEachRequest compares markSpan with marking each request it stands for.
func TestMarkSpanMarksEachRequest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 3000 {
		a, b := &Coverage{width: 50 * time.Millisecond}, &Coverage{width: 50 * time.Millisecond}
		at := time.Duration(rng.Int64N(int64(10 * time.Second)))
		span := time.Duration(rng.Int64N(int64(5 * time.Second)))
		n := 1 + rng.Int64N(200)
		a.MarkSpan(at, span, n)
		if n <= 1 || span <= 0 {
			b.Mark(at)
		} else {
			for i := int64(0); i < n; i++ {
				b.Mark(at + span/time.Duration(n)*time.Duration(i))
			}
		}
		for i := range 400 {
			if a.has(i) != b.has(i) {
				t.Fatalf("trial %d (at %v span %v n %d): slice %d marked %v, %v request by request", trial, at, span, n, i, a.has(i), b.has(i))
			}
		}
	}
}

// TestResetForgetsEveryMark checks that a coverage reused after Reset (as a judged sweep reuses
// each stream's from run to run) sees only the new run's requests, however far the old run's
// marks reached.
func TestResetForgetsEveryMark(t *testing.T) {
	c := New(50*time.Millisecond, 4)
	c.MarkSpan(0, 10*time.Minute, 60000) // 100/s for 10 minutes: the words grow past their room
	c.Reset(50 * time.Millisecond)
	c.Mark(time.Second)
	c.Mark(9 * time.Minute)
	got, at := c.LargestGap(time.Second, 9*time.Minute)
	if want := 9*time.Minute - time.Second; got < want-2*c.width || got > want+2*c.width {
		t.Errorf("after Reset: largest gap %s at %s, want %s: the old run's marks remain", got, at, want)
	}
}
