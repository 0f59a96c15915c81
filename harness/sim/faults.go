package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// injector starts one kind of fault and returns what it did and how to undo it (nil when there
// is nothing to undo, or the fault lasts). Each kind lives in its own fault_*.go file.
type injector func(c *Cluster, f *faults.Fault) (msg string, undo func())

// injectors holds every fault kind the simulator can inject.
var injectors = map[faults.Kind]injector{}

func registerFault(kind faults.Kind, inj injector) { injectors[kind] = inj }

// faultState is what the injected faults currently change in the cluster.
type faultState struct {
	active         []*activeFault
	slowStart      map[*workload]time.Duration
	provisionSlow  time.Duration
	provisionFails int
	evictionErrors int
}

type activeFault struct {
	f     *faults.Fault
	from  time.Duration
	msg   string
	ended bool
}

func (c *Cluster) evictionErrorsActive() bool { return c.faults.evictionErrors > 0 }

func (c *Cluster) slowStart(p *pod) time.Duration { return c.faults.slowStart[p.w] }

func (c *Cluster) provisionDelay(n *node) time.Duration { return c.faults.provisionSlow }

func (c *Cluster) provisionFails(n *node) bool {
	if c.faults.provisionFails > 0 {
		c.faults.provisionFails--
		return true
	}
	return false
}

// armFaults schedules the faults timed to a phase that is starting.
func (c *Cluster) armFaults(phase model.PhaseName) {
	for i := range c.sc.Spec.Faults {
		f := &c.sc.Spec.Faults[i]
		if f.At.Phase != phase {
			continue
		}
		c.clock.after(f.At.After.Duration, func() { c.inject(f) })
	}
}

// inject starts a fault, records it, and ends it after its duration (0: it lasts).
func (c *Cluster) inject(f *faults.Fault) {
	c.flush()
	a := &activeFault{f: f, from: c.clock.now}
	inj := injectors[f.Kind]
	var undo func()
	if inj == nil {
		a.msg = "the simulator cannot inject " + string(f.Kind)
	} else {
		a.msg, undo = inj(c, f)
	}
	c.faults.active = append(c.faults.active, a)
	c.wake()
	if f.Length() > 0 {
		c.clock.after(f.Length(), func() {
			c.flush()
			if undo != nil {
				undo()
			}
			c.endFault(a)
			c.wake()
		})
	}
}

// onNodes applies a node fault to the nodes the fault's target selects.
func (c *Cluster) onNodes(f *faults.Fault, apply func(n *node) (undo func())) (string, func()) {
	nodes := c.faultNodes(f.Target.Node, f.Count())
	if len(nodes) == 0 {
		return "no node matched " + describeTarget(f), nil
	}
	var undo func()
	for _, n := range nodes {
		undo = chain(undo, apply(n))
	}
	return fmt.Sprintf("%s on %s", f.Kind, nodeNames(nodes)), undo
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
	c.interval(model.Error, model.Locator{Fault: a.f.Name}, model.ReasonFaultInjected,
		fmt.Sprintf("%s: %s", a.f.Name, a.msg), a.from, c.clock.now)
}

func (c *Cluster) closeFaults() {
	for _, a := range c.faults.active {
		c.endFault(a)
	}
}

// faultNodes picks count live nodes matching a selector: "draining" (workers being drained),
// "control-plane", "pool/NAME", a node name, or "" (any worker).
func (c *Cluster) faultNodes(sel string, count int) []*node {
	var cands []*node
	for _, n := range c.nodes {
		if n.gone || !n.joined {
			continue
		}
		match := false
		switch {
		case sel == "draining":
			match = n.role == model.RoleWorker && n.deleting && !n.drainDone
		case sel == "control-plane":
			match = n.role == model.RoleControlPlane && !n.deleting
		case strings.HasPrefix(sel, "pool/"):
			match = n.pool != nil && n.pool.name == strings.TrimPrefix(sel, "pool/") && !n.deleting
		case sel == "":
			match = n.role == model.RoleWorker && !n.deleting
		default:
			match = n.name == sel
		}
		if match {
			cands = append(cands, n)
		}
	}
	var out []*node
	for len(out) < count && len(cands) > 0 {
		k := c.rng.IntN(len(cands))
		out = append(out, cands[k])
		cands = append(cands[:k], cands[k+1:]...)
	}
	return out
}
