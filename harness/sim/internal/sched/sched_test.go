package sched

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestNumFeasibleNodesToFind checks kube-scheduler's adaptive percentage at its corners.
func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, c := range []struct{ nodes, want int }{
		{5, 5}, {99, 99}, {100, 100}, // every node below 100 (and at least 100)
		{1000, 420}, // 50% - 1000/125 = 42%
		{5000, 500}, // 50% - 40 = 10%
		{6000, 300}, // the 5% floor
		{150, 100},  // 49% is 73: at least 100
	} {
		if got := numFeasibleNodesToFind(c.nodes); got != c.want {
			t.Errorf("numFeasibleNodesToFind(%d) = %d, want %d", c.nodes, got, c.want)
		}
	}
}

// cluster is n schedulable workers of 4 CPUs, 8 GiB and 110 pods, in zones round robin.
func cluster(n, zones int) *Scheduler {
	s := &Scheduler{}
	for i := 0; i < n; i++ {
		s.Set(i, Info{CPU: 4000, Mem: 8 << 30, MaxPods: 110, Zone: int32(i % zones), Schedulable: true})
		s.AddLive(i)
	}
	return s
}

func pod(s *Scheduler) Pod {
	return Pod{Shape: s.Shape(100, 128<<20), CPU: 100, Mem: 128 << 20}
}

// TestPickPrefersLeastAllocated: with no spread, the node with the most room wins.
func TestPickPrefersLeastAllocated(t *testing.T) {
	s := cluster(3, 1)
	for i := 0; i < 3; i++ {
		used := int64(3000 - 1000*i) // node 2 is the emptiest
		s.Set(i, Info{CPU: 4000, Mem: 8 << 30, UsedCPU: used, MaxPods: 110, Schedulable: true})
	}
	p := pod(s)
	if got := s.Pick(&p, rand.NewPCG(1, 1)); got != 2 {
		t.Fatalf("picked %d, want node 2 (least allocated)", got)
	}
}

// TestPickSkipsWhatDoesNotFit: a cordoned node or a full one is never picked; none left: -1.
func TestPickSkipsWhatDoesNotFit(t *testing.T) {
	s := cluster(3, 1)
	s.Set(0, Info{CPU: 4000, Mem: 8 << 30, MaxPods: 110}) // cordoned
	s.Set(1, Info{CPU: 4000, Mem: 8 << 30, UsedCPU: 3950, MaxPods: 110, Schedulable: true})
	s.Set(2, Info{CPU: 4000, Mem: 8 << 30, Pods: 110, MaxPods: 110, Schedulable: true})
	p := pod(s)
	if got := s.Pick(&p, rand.NewPCG(1, 1)); got != -1 {
		t.Fatalf("picked %d of nodes the pod fits on none of", got)
	}
	if got := s.StaleLive(); got != -1 {
		t.Fatalf("live worker %d holds a stale class after Set", got)
	}
}

// TestPickHardSpread: DoNotSchedule with maxSkew 1 over nodes holding 1, 1 and 0 pods leaves
// only the empty node; over zones the same holds per zone.
func TestPickHardSpread(t *testing.T) {
	s := cluster(3, 3)
	p := pod(s)
	p.Spread, p.Hard, p.MaxSkew, p.PerNode = SpreadNode, true, 1, []int{1, 1, 0}
	for seed := uint64(0); seed < 20; seed++ {
		if got := s.Pick(&p, rand.NewPCG(seed, 1)); got != 2 {
			t.Fatalf("seed %d: picked %d, want 2 (the others would make the skew 2)", seed, got)
		}
	}
	p.Spread, p.PerNode, p.PerZone = SpreadZone, nil, []int{2, 1, 2}
	if got := s.Pick(&p, rand.NewPCG(1, 1)); got != 1 {
		t.Fatalf("picked %d, want 1 (the emptiest zone)", got)
	}
}

// TestPickTiesAreUniform: among equal nodes each is picked about as often.
func TestPickTiesAreUniform(t *testing.T) {
	s := cluster(4, 1)
	p := pod(s)
	src := rand.NewPCG(3, 4)
	var got [4]int
	const draws = 40000
	for i := 0; i < draws; i++ {
		got[s.Pick(&p, src)]++
	}
	for j, n := range got {
		if n < draws/4*9/10 || n > draws/4*11/10 {
			t.Errorf("node %d picked %d times of %d, want about %d", j, n, draws, draws/4)
		}
	}
}

// TestSameComparesEveryField checks that Info.same tells apart two Infos that differ in any one
// field, so that a field added to Info is not forgotten there.
func TestSameComparesEveryField(t *testing.T) {
	base := Info{CPU: 1, Mem: 2, UsedCPU: 3, UsedMem: 4, Pods: 5, MaxPods: 6, Zone: 7, Schedulable: true}
	if c := base; !base.same(&c) {
		t.Fatal("an Info is not the same as its copy")
	}
	typ := reflect.TypeOf(base)
	for i := 0; i < typ.NumField(); i++ {
		other := base
		f := reflect.ValueOf(&other).Elem().Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int32, reflect.Int64:
			f.SetInt(f.Int() + 100)
		default:
			t.Fatalf("field %s: kind %s not handled by this test", typ.Field(i).Name, f.Kind())
		}
		if base.same(&other) {
			t.Errorf("Infos that differ in %s are the same to Info.same", typ.Field(i).Name)
		}
	}
}
