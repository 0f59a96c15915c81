package render

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// stepPointsPerSample is a point per state sample, the plain way to draw a step line.
func stepPointsPerSample(xs, ys []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range xs {
		if i > 0 {
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i-1]})
		}
		pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
	}
	return pts
}

// corners drops repeated points and the points in the middle of a straight horizontal or
// vertical run: what is left is the drawn line itself.
func corners(pts plotter.XYs) plotter.XYs {
	var out plotter.XYs
	for _, p := range pts {
		if n := len(out); n > 0 && out[n-1] == p {
			continue
		}
		if n := len(out); n >= 2 {
			a, b := out[n-2], out[n-1]
			if (a.X == b.X && b.X == p.X) || (a.Y == b.Y && b.Y == p.Y) {
				out[n-1] = p
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

// A step line with points only where the value changes is the same line as one with a point per
// sample, from the first sample to the last, with far fewer points when the value seldom changes.
func TestStepPointsDrawTheSameLine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(300)
		xs, ys := make([]float64, n), make([]float64, n)
		y := float64(r.IntN(5))
		for i := range xs {
			xs[i] = float64(i) + float64(r.IntN(3))*0.5 + float64(i)
			if r.IntN(10) == 0 {
				y = float64(r.IntN(5))
			}
			ys[i] = y
		}
		got, want := stepPoints(xs, ys), stepPointsPerSample(xs, ys)
		if !slices.Equal(corners(got), corners(want)) {
			t.Fatalf("trial %d: the lines differ:\n got %v\nwant %v", trial, corners(got), corners(want))
		}
		if got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Fatalf("trial %d: the line spans %v-%v, want %v-%v", trial, got[0], got[len(got)-1], want[0], want[len(want)-1])
		}
	}
	// A value that never changes over 10,000 samples is two points.
	xs, ys := make([]float64, 10000), make([]float64, 10000)
	for i := range xs {
		xs[i], ys[i] = float64(i), 3
	}
	if got := stepPoints(xs, ys); len(got) != 2 {
		t.Errorf("a constant line has %d points, want 2", len(got))
	}
}
