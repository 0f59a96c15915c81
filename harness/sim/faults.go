package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// injector starts one kind of fault and returns what it did and how to undo it (nil when there
// is nothing to undo, or the fault lasts), or why it could not be applied (its target matched
// nothing). Each kind lives in its own fault_*.go file.
type injector func(c *Cluster, f *faults.Fault) (msg string, undo func(), err error)

// injectors holds every fault kind the simulator can inject.
var injectors = map[faults.Kind]injector{}

func registerFault(kind faults.Kind, inj injector) { injectors[kind] = inj }

// activeFault is a fault injected during the run.
type activeFault struct {
	f     *faults.Fault
	from  time.Duration
	msg   string
	nodes []string // the nodes a node fault hit
	ended bool
}

// armFaults schedules the faults timed to a phase that is starting; those timed to an event
// start counting the phase's events.
func (c *Cluster) armFaults(phase model.PhaseName) {
	for i := range c.sc.Spec.Faults {
		f := &c.sc.Spec.Faults[i]
		if f.At.Phase != phase {
			continue
		}
		if f.At.Event != "" {
			c.awaiting = append(c.awaiting, &awaitedFault{f: f, left: f.At.NthEvent()})
			continue
		}
		c.w.Clock.After(f.At.After.Duration, func() { c.inject(f) })
	}
}

// awaitedFault is a fault timed to an event, counting the events until its own.
type awaitedFault struct {
	f    *faults.Fault
	left int
}

// onEvent counts an event of the rollout for the faults waiting for it, and schedules those
// whose event it is.
func (c *Cluster) onEvent(ev faults.Event, _ *world.Node) {
	kept := c.awaiting[:0]
	for _, a := range c.awaiting {
		if a.f.At.Event == ev {
			a.left--
		}
		if a.left > 0 {
			kept = append(kept, a)
			continue
		}
		f := a.f
		c.w.Clock.After(f.At.After.Duration, func() { c.inject(f) })
	}
	c.awaiting = kept
}

// closeAwaited records the faults whose event never came: the run did not go through what the
// scenario says.
func (c *Cluster) closeAwaited() {
	for _, a := range c.awaiting {
		c.missed(a.f, fmt.Sprintf("its event (the %s) never came", a.f.At))
	}
	c.awaiting = nil
}

// inject starts a fault, records it, and ends it after its duration (0: it lasts).
func (c *Cluster) inject(f *faults.Fault) {
	c.w.Flush()
	a := &activeFault{f: f, from: c.w.Clock.Now()}
	inj := injectors[f.Kind]
	if inj == nil {
		c.missed(f, "the simulator cannot inject "+string(f.Kind))
		return
	}
	c.hit = nil
	msg, undo, err := inj(c, f)
	a.nodes = c.hit
	if err != nil {
		c.missed(f, err.Error())
		return
	}
	a.msg = msg
	c.faults = append(c.faults, a)
	c.w.Wake()
	if f.Length() > 0 {
		c.w.Clock.After(f.Length(), func() {
			c.w.Flush()
			if undo != nil {
				undo()
			}
			c.endFault(a)
			c.w.Wake()
		})
	}
}

// missed records a fault that could not be applied: the run is then inconclusive, since the
// cluster did not go through what the scenario says.
func (c *Cluster) missed(f *faults.Fault, why string) {
	c.w.Instant(model.Error, model.Locator{Fault: f.Name}, model.ReasonFaultNotApplied, fmt.Sprintf("%s: not applied: %s", f.Name, why))
}

// onNodes applies a node fault to the nodes the fault's target selects.
func (c *Cluster) onNodes(f *faults.Fault, apply func(n *world.Node) (undo func())) (string, func(), error) {
	nodes := c.faultNodes(f.Target.Node, f.Count())
	if len(nodes) == 0 {
		return "", nil, fmt.Errorf("no node matched %s", describeTarget(f))
	}
	var undo func()
	var names []string
	for _, n := range nodes {
		undo = chain(undo, apply(n))
		names = append(names, n.Name)
	}
	c.hit = names
	return fmt.Sprintf("%s on %s", f.Kind, strings.Join(names, ", ")), undo, nil
}

func chain(a, b func()) func() {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func() { a(); b() }
}

func describeTarget(f *faults.Fault) string {
	if f.Target.Node == "" {
		return "any worker"
	}
	return f.Target.Node
}

func (c *Cluster) endFault(a *activeFault) {
	if a.ended {
		return
	}
	a.ended = true
	loc := model.Locator{Fault: a.f.Name}
	if len(a.nodes) == 1 {
		loc.Node = a.nodes[0]
	}
	c.w.Interval(model.Error, loc, model.ReasonFaultInjected,
		fmt.Sprintf("%s: %s", a.f.Name, a.msg), a.from, c.w.Clock.Now())
}

func (c *Cluster) closeFaults() {
	for _, a := range c.faults {
		c.endFault(a)
	}
}

// faultNodes picks count live nodes matching a selector: "draining" (workers being drained),
// "control-plane", "pool/NAME", a node name, or "" (any worker).
func (c *Cluster) faultNodes(sel string, count int) []*world.Node {
	var cands []*world.Node
	for _, n := range c.w.Nodes {
		if n.Gone || !n.Joined {
			continue
		}
		match := false
		switch {
		case sel == faults.NodeDraining:
			match = c.ctl.Draining(n)
		case sel == faults.NodeControlPlane:
			match = n.Role == model.RoleControlPlane && !n.Deleting
		case strings.HasPrefix(sel, faults.NodePoolPrefix):
			match = n.Pool == strings.TrimPrefix(sel, faults.NodePoolPrefix) && n.Pool != "" && !n.Deleting
		case sel == "":
			match = n.Role == model.RoleWorker && !n.Deleting
		default:
			match = n.Name == sel
		}
		if match {
			cands = append(cands, n)
		}
	}
	var out []*world.Node
	for len(out) < count && len(cands) > 0 {
		k := c.w.Rng.IntN(len(cands))
		out = append(out, cands[k])
		cands = append(cands[:k], cands[k+1:]...)
	}
	return out
}
