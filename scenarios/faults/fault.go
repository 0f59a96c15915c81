package faults

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
)

// Kind names a kind of fault, e.g. NodeCrash.
type Kind string

// Fault is one injected fault of a scenario (spec.faults[]).
type Fault struct {
	// Name identifies the fault in reports (default: kind and index).
	Name string `json:"name,omitempty"`
	Kind Kind   `json:"kind"`
	// Target selects what the fault hits.
	Target Target `json:"target"`
	// At is when the fault starts.
	At Time `json:"at"`
	// Duration is how long the fault lasts (0: until the end of the run for lasting faults).
	Duration *metav1.Duration `json:"duration,omitempty"`
	// Delay is the added latency of a NetworkDelay fault, or the extra time of the slowness
	// kinds (default: the fault's duration).
	Delay *metav1.Duration `json:"delay,omitempty"`
}

// Target selects what a fault hits. Unset fields match anything.
type Target struct {
	// Node is "draining" (the node being drained at that time), a pool name with "pool/",
	// "control-plane", or a node name.
	Node string `json:"node,omitempty"`
	// Workload picks a workload's pods (PodKill, SlowReadiness).
	Workload string `json:"workload,omitempty"`
	// Count is how many matching targets are hit (default 1).
	Count *int32 `json:"count,omitempty"`
}

// The node selectors of Target.Node besides node names and "pool/<name>".
const (
	NodeDraining     = "draining"
	NodeControlPlane = "control-plane"
	NodePoolPrefix   = "pool/"
)

// Time places a fault in the run: an offset into a phase, or from the start of the run, or
// from an event of the rollout seen in that phase (e.g. the second drain of pool/md-0).
type Time struct {
	// Phase is "upgrade" (start of the first upgrade step), "control-plane", "workers",
	// "pool/<name>" or empty (start of the run).
	Phase model.PhaseName `json:"phase,omitempty"`
	// Event, when set, times the fault from the Nth such event of the rollout after the start
	// of Phase rather than from the phase's start: a phase lasts longer on a real cluster than
	// on the simulator, so an offset that hits a drain on one side can miss it on the other.
	Event Event `json:"event,omitempty"`
	// Nth is which event counts, from 1 (default 1).
	Nth int32 `json:"nth,omitempty"`
	// After is the offset from the start of that phase, or from the event.
	After metav1.Duration `json:"after"`
}

// Event is a moment of the rollout a fault can be timed to.
type Event string

// The events of Time.Event; each provider reports them from what it sees of the rollout.
const (
	// EventNodeDrain is the start of a node's drain: Cluster API began deleting its machine.
	EventNodeDrain Event = "NodeDrain"
	// EventMachineCreated is the creation of a new Machine (a surge or replacement machine).
	EventMachineCreated Event = "MachineCreated"
)

// Events lists every event, sorted.
var Events = []Event{EventMachineCreated, EventNodeDrain}

// NthEvent returns which event the fault waits for (at least 1).
func (t Time) NthEvent() int {
	if t.Nth < 1 {
		return 1
	}
	return int(t.Nth)
}

// String renders when the fault starts, e.g. "pool/md-0+30s" or "the 2nd NodeDrain in
// pool/md-0+5s".
func (t Time) String() string {
	phase := string(t.Phase)
	if phase == "" {
		phase = "run start"
	}
	if t.Event == "" {
		return fmt.Sprintf("%s+%s", phase, t.After.Duration)
	}
	return fmt.Sprintf("%s %s in %s+%s", ordinal(t.NthEvent()), t.Event, phase, t.After.Duration)
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprintf("%d%s", n, suffix)
}

// Length returns the fault's duration; 0 when it lasts (or, for instant kinds, is instant).
func (f *Fault) Length() time.Duration {
	if f.Duration == nil {
		return 0
	}
	return f.Duration.Duration
}

// Extra is the latency a NetworkDelay fault adds, or the extra time of a slowness kind: the
// fault's delay, or its duration when no delay is set.
func (f *Fault) Extra() time.Duration {
	if f.Delay != nil {
		return f.Delay.Duration
	}
	return f.Length()
}

// Node returns the node selector of a node fault: Target.Node, or its kind's default.
func (f *Fault) Node() string {
	if f.Target.Node == "" {
		if d, ok := Lookup(f.Kind); ok {
			return d.DefaultNode
		}
	}
	return f.Target.Node
}

// Count returns how many targets the fault hits (at least 1).
func (f *Fault) Count() int {
	if f.Target.Count == nil || *f.Target.Count < 1 {
		return 1
	}
	return int(*f.Target.Count)
}

// Describe renders a fault in one line, e.g. "NodeCrash on draining at workers+30s for 2m0s".
func (f *Fault) Describe() string {
	target := f.Node()
	if f.Target.Workload != "" {
		target = "workload " + f.Target.Workload
	}
	if target == "" {
		target = "any worker"
	}
	return fmt.Sprintf("%s on %s at %s for %s", f.Kind, target, f.At, f.Length())
}
