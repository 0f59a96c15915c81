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

// A load balancer change reaches the cached route of every workload, including one whose route
// nobody asked for in between (a Flush that sent it no request): its route must not stay stale.
func TestRouteOfAWorkloadNotAskedForIsRecomputed(t *testing.T) {
	node := &Node{Up: true}
	mk := func(name string) *Workload {
		w := &Workload{Name: name}
		for b := range w.Views {
			w.Views[b].Ready = []*Pod{{Name: name + "-0", Node: node, Serving: true}}
		}
		w.Route.Dirty = true
		return w
	}
	a, b := mk("a"), mk("b")
	c := &World{Workloads: []*Workload{a, b}}
	c.Edge.Up[0] = 1
	if r := c.EdgeRoute(a); r.NoBackend || r.Fail != 0 {
		t.Fatalf("a with one healthy backend: %+v", r)
	}
	if r := c.EdgeRoute(b); r.NoBackend || r.Fail != 0 {
		t.Fatalf("b with one healthy backend: %+v", r)
	}
	// The only backend leaves the load balancer; only a is asked for its route at once.
	c.Edge.Up[0], c.LBDirty = 0, true
	if r := c.EdgeRoute(a); !r.NoBackend {
		t.Fatalf("a after its last backend left: %+v, want no backend", r)
	}
	if r := c.EdgeRoute(b); !r.NoBackend {
		t.Errorf("b after the last backend left: %+v, want no backend (a stale route)", r)
	}
}
