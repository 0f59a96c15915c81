package faults

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/zdt-dev/zdt/model"
)

// TargetKind says which field of Target a kind of fault reads.
type TargetKind int

// The targets of fault kinds.
const (
	// TargetNone: the fault hits the cluster as a whole (the eviction API, new machines).
	TargetNone TargetKind = iota
	// TargetNodes: Target.Node selects the nodes (default: any worker).
	TargetNodes
	// TargetWorkload: Target.Workload names the workload whose pods are hit (required).
	TargetWorkload
)

// DelayUse says how a kind of fault reads Fault.Delay.
type DelayUse int

// The uses of Fault.Delay.
const (
	// DelayUnused: the kind has no delay.
	DelayUnused DelayUse = iota
	// DelayRequired: the kind needs a delay above 0 (NetworkDelay).
	DelayRequired
	// DelayOrDuration: the delay defaults to the fault's duration (the slowness kinds).
	DelayOrDuration
)

// Effect is a way a kind of fault disturbs a cluster. Reports blame a fault only for a failure
// its mechanism can cause, not for whatever failed while it was active.
type Effect uint

// The effects of fault kinds; a kind may have several.
const (
	// EffectNodeTraffic: requests to pods on the fault's nodes get no answer (the node is off or
	// cut off): clients see timeouts.
	EffectNodeTraffic Effect = 1 << iota
	// EffectPodTraffic: requests in flight to the fault's workload's pods fail (killed).
	EffectPodTraffic
	// EffectLatency: requests through the fault's nodes are slower; they fail only by timing out.
	EffectLatency
	// EffectAPI: the Kubernetes API fails, when the fault hits control plane nodes or their
	// apiservers.
	EffectAPI
	// EffectReadyReplicas: workloads lose ready replicas (nodes NotReady, pods killed, slower
	// replacements).
	EffectReadyReplicas
	// EffectRollout: the rollout slows down or stalls (drains, machines); requests fail only
	// through what that causes.
	EffectRollout
)

// Has reports whether e includes every effect of x.
func (e Effect) Has(x Effect) bool { return e&x == x }

var effectNames = []string{"node traffic", "pod traffic", "latency", "API", "ready replicas", "rollout"}

// String lists the effects, e.g. "node traffic, API".
func (e Effect) String() string {
	var out []string
	for i, n := range effectNames {
		if e.Has(1 << i) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// Cause is how a report names a fault of this kind as the cause of a failed criterion.
type Cause struct {
	// Drops joins the fault's description (%s) to a cause of dropped requests, e.g. "while %s
	// took a node away".
	Drops string
	// DropsFix is the fix printed under such a cause.
	DropsFix string
}

// DrawContext is what a random draw may pick targets and times from.
type DrawContext struct {
	// Workloads and Pools name the scenario's workloads and worker pools.
	Workloads, Pools []string
	// Phases are the shapes of the phases faults are timed in (control-plane, workers, each
	// pool), as a run of the scenario without faults showed them; without them offsets go up
	// to DefaultMaxOffset and "draining" is drawn blind.
	Phases map[model.PhaseName]PhaseShape
}

// PhaseShape is how long a phase lasted and when its nodes drained, as offsets from its start.
type PhaseShape struct {
	Length time.Duration
	Drains []Stretch
}

// Stretch is a stretch of time, as offsets.
type Stretch struct{ From, To time.Duration }

// Descriptor is everything zdt knows about one kind of fault except how each provider injects
// it. Each kind registers its descriptor from its own file.
type Descriptor struct {
	Kind Kind
	// Summary says what the fault does to a cluster, in a sentence (zdt faults).
	Summary string
	// Target is the target field the kind reads.
	Target TargetKind
	// DefaultNode is the Target.Node of a node fault that names none (empty: any worker).
	DefaultNode string
	// Delay is how the kind reads Fault.Delay.
	Delay DelayUse
	// Instant kinds happen at once (a kill): their duration is ignored and drawn as 0.
	Instant bool
	// Validate checks what is particular to the kind, after the checks every fault gets; nil
	// when there is nothing more.
	Validate func(f *Fault, p *field.Path) field.ErrorList
	// Draw sets the kind's own fields of a randomly drawn fault (target, delay), whose phase,
	// offset and duration are drawn already, from r; nil when the defaults do.
	Draw func(r *rand.Rand, c DrawContext, f *Fault)
	// Effects are the ways the kind disturbs a cluster: reports blame it only for those.
	Effects Effect
	// Cause names the fault in reports.
	Cause Cause
}

var registry = map[Kind]*Descriptor{}

// register adds a kind; each kind's file calls it once from init.
func register(d Descriptor) {
	if _, dup := registry[d.Kind]; dup {
		panic("faults: kind registered twice: " + string(d.Kind))
	}
	registry[d.Kind] = &d
	sortedKinds.Store(nil)
}

// Lookup returns the descriptor of a kind.
func Lookup(k Kind) (*Descriptor, bool) {
	d, ok := registry[k]
	return d, ok
}

// All returns every kind's descriptor, sorted by kind.
func All() []*Descriptor { return slices.Clone(sorted()) }

// sortedKinds is every kind's descriptor, sorted by kind (sorted), made at its first use after
// a registration: shared, read-only.
var sortedKinds atomic.Pointer[[]*Descriptor]

func sorted() []*Descriptor {
	if p := sortedKinds.Load(); p != nil {
		return *p
	}
	out := make([]*Descriptor, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Descriptor) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
	sortedKinds.Store(&out)
	return out
}

// Kinds returns every kind, sorted.
func Kinds() []Kind {
	var out []Kind
	for _, d := range All() {
		out = append(out, d.Kind)
	}
	return out
}

// ValidateContext is what a fault's references are checked against.
type ValidateContext struct {
	// Workloads and Pools are the names the scenario defines.
	Workloads, Pools sets.Set[string]
}

// Validate checks one fault of a defaulted scenario and returns every problem, each with its
// field path: the checks every fault gets, then those of its kind.
func Validate(f *Fault, c ValidateContext, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	d, known := Lookup(f.Kind)
	if !known {
		errs = append(errs, field.NotSupported(p.Child("kind"), f.Kind, Kinds()))
	}
	if f.Target.Workload != "" && !c.Workloads.Has(f.Target.Workload) {
		errs = append(errs, field.NotSupported(p.Child("target", "workload"), f.Target.Workload, sets.List(c.Workloads)))
	}
	if known && d.Target == TargetWorkload && f.Target.Workload == "" {
		errs = append(errs, field.Required(p.Child("target", "workload"), fmt.Sprintf("a %s fault needs the workload whose pods it hits", f.Kind)))
	}
	if pool, ok := strings.CutPrefix(f.Target.Node, NodePoolPrefix); ok && !c.Pools.Has(pool) {
		errs = append(errs, field.NotSupported(p.Child("target", "node"), f.Target.Node, prefixed(NodePoolPrefix, c.Pools)))
	}
	if n := f.Target.Count; n != nil && *n < 1 {
		errs = append(errs, field.Invalid(p.Child("target", "count"), *n, "must be at least 1"))
	}
	if !validPhase(f.At.Phase, c.Pools) {
		var phases []string
		for _, ph := range model.FaultPhases[1:] {
			phases = append(phases, string(ph))
		}
		errs = append(errs, field.NotSupported(p.Child("at", "phase"), f.At.Phase, append(phases, prefixed(NodePoolPrefix, c.Pools)...)))
	}
	errs = append(errs, nonNegative(&f.At.After, p.Child("at", "after"))...)
	if f.At.Event != "" && !slices.Contains(Events, f.At.Event) {
		errs = append(errs, field.NotSupported(p.Child("at", "event"), f.At.Event, Events))
	}
	if f.At.Nth < 0 {
		errs = append(errs, field.Invalid(p.Child("at", "nth"), f.At.Nth, "must be at least 1 (the first event)"))
	}
	if f.At.Nth > 0 && f.At.Event == "" {
		errs = append(errs, field.Required(p.Child("at", "event"), fmt.Sprintf("at.nth %d counts events: name the event (%s)", f.At.Nth, eventList())))
	}
	errs = append(errs, nonNegative(f.Duration, p.Child("duration"))...)
	errs = append(errs, nonNegative(f.Delay, p.Child("delay"))...)
	if !known {
		return errs
	}
	if d.Delay == DelayRequired && (f.Delay == nil || f.Delay.Duration <= 0) {
		errs = append(errs, field.Required(p.Child("delay"), fmt.Sprintf("a %s fault needs the latency it adds, e.g. 200ms", f.Kind)))
	}
	if d.Validate != nil {
		errs = append(errs, d.Validate(f, p)...)
	}
	return errs
}

func eventList() string {
	var out []string
	for _, e := range Events {
		out = append(out, string(e))
	}
	return strings.Join(out, " or ")
}

func validPhase(ph model.PhaseName, pools sets.Set[string]) bool {
	if pool, ok := ph.Pool(); ok {
		return pools.Has(pool)
	}
	for _, known := range model.FaultPhases {
		if ph == known {
			return true
		}
	}
	return false
}

func nonNegative(d *metav1.Duration, p *field.Path) field.ErrorList {
	if d != nil && d.Duration < 0 {
		return field.ErrorList{field.Invalid(p, d.Duration.String(), "must not be negative")}
	}
	return nil
}

func prefixed(prefix string, s sets.Set[string]) []string {
	var out []string
	for _, v := range sets.List(s) {
		out = append(out, prefix+v)
	}
	return out
}

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
