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

// Time places a fault in the run: an offset into a phase, or from the start of the run.
type Time struct {
	// Phase is "upgrade" (start of the first upgrade step), "control-plane", "workers",
	// "pool/<name>" or empty (start of the run).
	Phase model.PhaseName `json:"phase,omitempty"`
	// After is the offset from the start of that phase.
	After metav1.Duration `json:"after"`
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
	target := f.Target.Node
	if f.Target.Workload != "" {
		target = "workload " + f.Target.Workload
	}
	if target == "" {
		target = "any worker"
	}
	phase := string(f.At.Phase)
	if phase == "" {
		phase = "run start"
	}
	return fmt.Sprintf("%s on %s at %s+%s for %s", f.Kind, target, phase, f.At.After.Duration, f.Length())
}
