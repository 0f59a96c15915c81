// Package coverage records, for one load stream, the slices of time in which it sent at least
// one request, so that the largest gap between two requests is known to within two slices
// without keeping every send time (the load-coverage criterion).
package coverage

import (
	"math/bits"
	"slices"
	"time"
)

// Slices is how finely a coverage divides the resolution it is made for: gaps are measured to
// within two slices, a tenth of the resolution.
const Slices = 20

// maxSlices bounds a stream's coverage (2 MiB): a 4-day run at the default resolution. Beyond
// it nothing is marked, and the stretch counts as a gap: coverage there is unknown.
const maxSlices = 1 << 24

// Coverage marks the slices of time in which one stream sent at least one request: a bit per
// slice, a 2-hour run at a 1 s resolution holds 18 KiB per stream.
type Coverage struct {
	width time.Duration
	// bits are the marked slices; its words beyond len are all zero (New makes them so, and
	// Reset clears every word used), so that grow need not clear them.
	bits []uint64
}

// New returns an empty coverage of slices of width, with room for words 64-slice words.
func New(width time.Duration, words int) *Coverage {
	return &Coverage{width: width, bits: make([]uint64, 0, words)}
}

// Reset empties c for slices of width, keeping its room.
func (c *Coverage) Reset(width time.Duration) {
	clear(c.bits)
	c.width, c.bits = width, c.bits[:0]
}

// Mark marks the slice of a request sent at t.
func (c *Coverage) Mark(t time.Duration) {
	if t < 0 {
		return
	}
	i := int(t / c.width)
	if t/c.width >= maxSlices {
		return
	}
	c.grow(i / 64)
	c.bits[i/64] |= 1 << (i % 64)
}

// grow makes room for word w.
func (c *Coverage) grow(w int) {
	if need := w + 1; need > len(c.bits) {
		c.bits = slices.Grow(c.bits, need-len(c.bits))[:need]
	}
}

// MarkSpan marks n requests sent evenly over [at, at+span), as an aggregated sample stands for.
func (c *Coverage) MarkSpan(at, span time.Duration, n int64) {
	if n <= 1 || span <= 0 || at < 0 {
		c.Mark(at)
		return
	}
	step := span / time.Duration(n)
	last := at + step*time.Duration(n-1)
	if step <= c.width {
		// Every slice from the first request to the last holds one.
		c.markRange(int64(at/c.width), int64(last/c.width))
		return
	}
	if last/c.width < maxSlices {
		// Every request falls within the slices kept: room is made once.
		c.grow(int(last / c.width / 64))
		for t, i := at, int64(0); i < n; t, i = t+step, i+1 {
			j := int(t / c.width)
			c.bits[j/64] |= 1 << (j % 64)
		}
		return
	}
	for i := int64(0); i < n && (at+step*time.Duration(i))/c.width < maxSlices; i++ {
		c.Mark(at + step*time.Duration(i))
	}
}

// markRange marks slices i0 to i1, a word at a time.
func (c *Coverage) markRange(i0, i1 int64) {
	i1 = min(i1, maxSlices-1)
	if i0 > i1 {
		return
	}
	c.grow(int(i1 / 64))
	w0, w1 := i0/64, i1/64
	if w0 == w1 {
		c.bits[w0] |= (^uint64(0) >> (63 - (i1%64 - i0%64))) << (i0 % 64)
		return
	}
	c.bits[w0] |= ^uint64(0) << (i0 % 64)
	for w := w0 + 1; w < w1; w++ {
		c.bits[w] = ^uint64(0)
	}
	c.bits[w1] |= ^uint64(0) >> (63 - i1%64)
}

func (c *Coverage) has(i int) bool {
	return i/64 < len(c.bits) && c.bits[i/64]&(1<<(i%64)) != 0
}

// LargestGap returns the longest stretch of [from, to] without a request, as the slices show
// it: a run of k empty slices between two marked ones is a gap of about (k+1) slices.
func (c *Coverage) LargestGap(from, to time.Duration) (gap, at time.Duration) {
	// Beyond maxSlices nothing is marked: that stretch counts as a gap, coverage there unknown.
	var beyond time.Duration
	if to/c.width > maxSlices {
		beyond, to = to-maxSlices*c.width, maxSlices*c.width
	}
	if g, at := c.largestGapWithin(from, to); g >= beyond {
		return g, at
	}
	return beyond, to
}

func (c *Coverage) largestGapWithin(from, to time.Duration) (gap, at time.Duration) {
	first, last := int(from/c.width), int((to-1)/c.width) // a slice starting at to is outside
	if last < first {
		return 0, from
	}
	// Runs of empty slices, a word at a time: the zeros, then the ones, after position i.
	run, start := 0, first
	best, bestAt := 0, from
	for i := first; i <= last; {
		var word uint64
		if w := i / 64; w < len(c.bits) {
			word = c.bits[w] >> (i % 64)
		}
		n := min(64-i%64, last-i+1) // the positions of the word from i on
		if n < 64 {
			word &= 1<<n - 1
		}
		zeros := min(bits.TrailingZeros64(word), n)
		if zeros > 0 {
			if run == 0 {
				start = i
			}
			run += zeros
		}
		if zeros == n {
			i += n
			continue
		}
		// A marked slice ends the run.
		if run > best {
			best, bestAt = run, time.Duration(start)*c.width
		}
		run = 0
		ones := min(bits.TrailingZeros64(^(word >> zeros)), n-zeros)
		i += zeros + ones
		// Whole words of marked slices hold no gap: most of a stream's coverage.
		if i%64 == 0 {
			for w := i / 64; i+63 <= last && w < len(c.bits) && c.bits[w] == ^uint64(0); w++ {
				i += 64
			}
		}
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
func (c *Coverage) marked() int {
	n := 0
	for _, w := range c.bits {
		n += bits.OnesCount64(w)
	}
	return n
}
