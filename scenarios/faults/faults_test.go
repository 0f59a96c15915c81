package faults

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var drawCtx = DrawContext{Workloads: []string{"web", "orders"}, Pools: []string{"md-0", "md-1"}}

func TestEveryKindIsDescribed(t *testing.T) {
	if len(All()) < 10 {
		t.Fatalf("only %d fault kinds registered", len(All()))
	}
	for _, d := range All() {
		if d.Summary == "" || !strings.Contains(d.Cause.Drops, "%s") || d.Cause.DropsFix == "" {
			t.Errorf("%s: summary %q, cause %+v: every kind says what it does and how a report names it", d.Kind, d.Summary, d.Cause)
		}
		if d.Effects == 0 {
			t.Errorf("%s declares no effect: reports could never blame it", d.Kind)
		}
	}
}

func TestRandomSchedulesAreValidAndSeeded(t *testing.T) {
	c := ValidateContext{Workloads: sets.New(drawCtx.Workloads...), Pools: sets.New(drawCtx.Pools...)}
	kinds := map[Kind]bool{}
	for seed := int64(1); seed <= 500; seed++ {
		a, b := Random(seed, drawCtx), Random(seed, drawCtx)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d drew two schedules", seed)
		}
		if len(a) < 1 || len(a) > MaxDrawn {
			t.Fatalf("seed %d drew %d faults", seed, len(a))
		}
		for i := range a {
			kinds[a[i].Kind] = true
			if errs := Validate(&a[i], c, field.NewPath("f")); len(errs) > 0 {
				t.Errorf("seed %d drew an invalid fault %+v: %v", seed, a[i], errs)
			}
		}
	}
	if len(kinds) != len(All()) {
		t.Errorf("500 seeds drew %d of %d kinds", len(kinds), len(All()))
	}
}

// TestAddingAKindLeavesOtherDrawsAlone registers one more kind and checks that every fault it
// does not replace is drawn exactly as before: draws are keyed by the kind's name.
func TestAddingAKindLeavesOtherDrawsAlone(t *testing.T) {
	const seeds = 2000
	before := make([][]Fault, seeds)
	for i := range before {
		before[i] = Random(int64(i+1), drawCtx)
	}
	register(Descriptor{Kind: "TestOnlyKind", Summary: "a kind for this test", Cause: genericCause})
	defer func() {
		delete(registry, "TestOnlyKind")
		sortedKinds.Store(nil)
	}()
	won, kept := 0, 0
	for i := range before {
		after := Random(int64(i+1), drawCtx)
		if len(after) != len(before[i]) {
			t.Fatalf("seed %d: %d faults before, %d after: the number of faults depends on the kinds", i+1, len(before[i]), len(after))
		}
		for slot := range after {
			if after[slot].Kind == "TestOnlyKind" {
				won++
				continue
			}
			kept++
			if !reflect.DeepEqual(after[slot], before[i][slot]) {
				t.Fatalf("seed %d slot %d changed: %+v, was %+v", i+1, slot, after[slot], before[i][slot])
			}
		}
	}
	// The new kind takes about 1/(kinds) of the slots, never the others'.
	if won == 0 || won > kept/len(All())*2 {
		t.Errorf("the new kind won %d slots and left %d", won, kept)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	c := ValidateContext{Workloads: sets.New("web"), Pools: sets.New("md-0")}
	one := int32(0)
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: "Meteor"}, "f.kind: Unsupported value"},
		{Fault{Kind: PodKill}, "f.target.workload: Required value"},
		{Fault{Kind: PodKill, Target: Target{Workload: "db"}}, `f.target.workload: Unsupported value: "db"`},
		{Fault{Kind: NodeCrash, Target: Target{Node: "pool/md-9"}}, `f.target.node: Unsupported value: "pool/md-9"`},
		{Fault{Kind: NodeCrash, Target: Target{Count: &one}}, "f.target.count: Invalid value: 0"},
		{Fault{Kind: NodeCrash, At: Time{Phase: "lunch"}}, `f.at.phase: Unsupported value: "lunch"`},
		{Fault{Kind: NetworkDelay}, "f.delay: Required value"},
	} {
		errs := Validate(&tc.f, c, field.NewPath("f"))
		if !strings.Contains(fmt.Sprint(errs), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.f, errs, tc.want)
		}
	}
}
