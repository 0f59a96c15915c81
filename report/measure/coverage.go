package measure

import (
	"math/bits"
	"time"
)

// DefaultResolution is the shortest disruption a run must be able to see when the scenario states
// none (criteria.resolution).
const DefaultResolution = time.Second

// coverageSlices is how finely coverage divides the resolution: gaps are measured to within
// two slices, a tenth of the resolution.
const coverageSlices = 20

// coverage marks the slices of time in which one stream sent at least one request, so that the
// largest gap between two requests is known to within two slices without keeping every send
// time: a bit per slice, a 2-hour run at a 1 s resolution holds 18 KiB per stream.
type coverage struct {
	width time.Duration
	bits  []uint64
}

func (c *coverage) mark(t time.Duration) {
	if t < 0 {
		return
	}
	i := int(t / c.width)
	for len(c.bits) <= i/64 {
		c.bits = append(c.bits, 0)
	}
	c.bits[i/64] |= 1 << (i % 64)
}

// markSpan marks n requests sent evenly over [at, at+span), as an aggregated sample stands for.
func (c *coverage) markSpan(at, span time.Duration, n int64) {
	if n <= 1 || span <= 0 {
		c.mark(at)
		return
	}
	step := span / time.Duration(n)
	last := at + step*time.Duration(n-1)
	if step <= c.width {
		for t := at; t <= last; t += c.width {
			c.mark(t)
		}
		c.mark(last)
		return
	}
	for i := int64(0); i < n; i++ {
		c.mark(at + step*time.Duration(i))
	}
}

func (c *coverage) has(i int) bool {
	return i/64 < len(c.bits) && c.bits[i/64]&(1<<(i%64)) != 0
}

// largestGap returns the longest stretch of [from, to] without a request, as the slices show
// it: a run of k empty slices between two marked ones is a gap of about (k+1) slices.
func (c *coverage) largestGap(from, to time.Duration) (gap, at time.Duration) {
	first, last := int(from/c.width), int((to-1)/c.width) // a slice starting at to is outside
	if last < first {
		return 0, from
	}
	run, start := 0, first
	best, bestAt := 0, from
	for i := first; i <= last; i++ {
		// Skip whole empty words quickly.
		if i%64 == 0 && i+63 <= last && (i/64 >= len(c.bits) || c.bits[i/64] == 0) {
			if run == 0 {
				start = i
			}
			run += 64
			i += 63
			continue
		}
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
	if best == 0 {
		return 0, from
	}
	return time.Duration(best+1) * c.width, bestAt
}

// marked counts the marked slices (for tests).
func (c *coverage) marked() int {
	n := 0
	for _, w := range c.bits {
		n += bits.OnesCount64(w)
	}
	return n
}
