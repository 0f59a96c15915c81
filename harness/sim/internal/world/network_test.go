package world

import (
	"math"
	"testing"
)

func TestAllAttemptsFail(t *testing.T) {
	cases := []struct {
		name     string
		down, up int
		f        float64
		attempts int
		want     float64
	}{
		{"no backend", 0, 0, 0, 4, 1},
		{"healthy backends", 0, 3, 0, 4, 0},
		{"one stale endpoint in three, four attempts", 0, 4, 1.0 / 3, 4, math.Pow(1.0/3, 4)},
		{"one dead node of four is tried once at most", 1, 3, 0, 4, 0},
		{"every node dead", 3, 0, 0, 4, 1},
		{"two dead of three, two attempts", 2, 1, 0, 2, 2.0 / 3 * 1.0 / 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := allAttemptsFail(c.down, c.up, c.f, c.attempts); math.Abs(got-c.want) > 1e-12 {
				t.Errorf("allAttemptsFail(%d, %d, %g, %d) = %g, want %g", c.down, c.up, c.f, c.attempts, got, c.want)
			}
		})
	}
}
