package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Timeouts of injection and undo: each is a few commands or API calls.
const (
	injectTimeout = time.Minute
	undoTimeout   = time.Minute
)

// Injection is what an injector did: a message for the timeline naming the objects it touched,
// the nodes it hit, and how to undo it (nil when there is nothing to undo).
type Injection struct {
	Msg   string
	Nodes []string
	Undo  func(ctx context.Context) error
}

// Injector injects one kind of fault into the cluster Env describes, or says why it could not
// (its target matched nothing, a command failed).
type Injector func(ctx context.Context, env *Env, f *faults.Fault) (Injection, error)

// Injectors are the kinds a provider injects.
type Injectors map[faults.Kind]Injector

// With returns the injectors of both sets; those of more win.
func (in Injectors) With(more Injectors) Injectors {
	out := Injectors{}
	for k, v := range in {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// Injects reports whether the set has an injector for the kind.
func (in Injectors) Injects(k faults.Kind) bool { _, ok := in[k]; return ok }

// Node is what injectors know of a node of the workload cluster.
type Node struct {
	Name, Pool   string
	ControlPlane bool
	// Deleting is set once Cluster API began deleting the node's machine; Draining while it
	// drains it.
	Deleting, Draining bool
	Ready              bool
}

// Env is the cluster injectors act on.
type Env struct {
	// Client is the workload cluster's API; AppNamespace holds the workloads under test.
	Client       kubernetes.Interface
	AppNamespace string
	// Nodes lists the workload cluster's nodes as the run sees them now.
	Nodes func() []Node
	// Management is the management cluster's API, Machines the Cluster API Machine resource it
	// serves and ClusterNamespace the namespace of the run's Cluster; Management may be nil.
	Management       dynamic.Interface
	Machines         schema.GroupVersionResource
	ClusterNamespace string
	// Log receives a line per injection and undo; may be nil.
	Log func(format string, args ...any)

	mu  sync.Mutex
	rng *rand.Rand
}

// IntN draws from the run's seeded stream: the same seed picks the same targets among the same
// candidates.
func (e *Env) IntN(n int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rng.IntN(n)
}

// PickNodes picks count nodes matching a fault's node selector: "draining" (workers being
// drained), "control-plane", "pool/NAME", a node name, or "" (any worker), as the simulator does.
func (e *Env) PickNodes(f *faults.Fault) ([]Node, error) {
	sel := f.Node()
	var cands []Node
	for _, n := range e.Nodes() {
		var match bool
		switch {
		case sel == faults.NodeDraining:
			match = n.Draining || n.Deleting && !n.ControlPlane
		case sel == faults.NodeControlPlane:
			match = n.ControlPlane && !n.Deleting
		case strings.HasPrefix(sel, faults.NodePoolPrefix):
			match = n.Pool != "" && n.Pool == strings.TrimPrefix(sel, faults.NodePoolPrefix) && !n.Deleting
		case sel == "":
			match = !n.ControlPlane && !n.Deleting
		default:
			match = n.Name == sel
		}
		if match {
			cands = append(cands, n)
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].Name < cands[j].Name })
	var out []Node
	for len(out) < f.Count() && len(cands) > 0 {
		k := e.IntN(len(cands))
		out = append(out, cands[k])
		cands = append(cands[:k], cands[k+1:]...)
	}
	if len(out) == 0 {
		target := sel
		if target == "" {
			target = "any worker"
		}
		return nil, fmt.Errorf("no node matched %s", target)
	}
	return out, nil
}

// OnNodes applies a node fault to the nodes it selects, and undoes it on every one of them.
func (e *Env) OnNodes(ctx context.Context, f *faults.Fault, apply func(ctx context.Context, n Node) (undo func(context.Context) error, err error)) (Injection, error) {
	nodes, err := e.PickNodes(f)
	if err != nil {
		return Injection{}, err
	}
	var undos []func(context.Context) error
	var names []string
	for _, n := range nodes {
		undo, err := apply(ctx, n)
		if err != nil {
			// What was done to the others is undone at once: the fault did not happen as
			// the scenario says.
			errs := []error{fmt.Errorf("%s on %s: %w", f.Kind, n.Name, err)}
			for _, u := range undos {
				errs = append(errs, u(context.WithoutCancel(ctx)))
			}
			return Injection{}, errors.Join(errs...)
		}
		if undo != nil {
			undos = append(undos, undo)
		}
		names = append(names, n.Name)
	}
	inj := Injection{Msg: fmt.Sprintf("%s on %s", f.Kind, strings.Join(names, ", ")), Nodes: names}
	if len(undos) > 0 {
		inj.Undo = func(ctx context.Context) error {
			var errs []error
			for _, u := range undos {
				errs = append(errs, u(ctx))
			}
			return errors.Join(errs...)
		}
	}
	return inj, nil
}

// Logf logs a line when the Env has a Log.
func (e *Env) Logf(format string, args ...any) {
	if e.Log != nil {
		e.Log(format, args...)
	}
}

// Recorder receives the scheduler's intervals; the capi timeline is one.
type Recorder interface {
	Interval(level model.Level, loc model.Locator, reason model.Reason, msg string, from, to time.Duration, cutShort bool)
}

// Scheduler times a scenario's faults on a real cluster. Its methods are safe for concurrent use.
type Scheduler struct {
	faults []*faults.Fault
	inj    Injectors
	env    *Env
	rec    Recorder
	clock  clock.Clock
	now    func() time.Duration

	// ctx ends the timers at Close; injections and undos run on their own bounded contexts.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	awaiting []*awaited
	active   []*active
}

type awaited struct {
	f    *faults.Fault
	left int
}

type active struct {
	f     *faults.Fault
	from  time.Duration
	inj   Injection
	ended bool
}

// SchedulerInput configures a Scheduler.
type SchedulerInput struct {
	Faults    []faults.Fault
	Injectors Injectors
	Env       *Env
	Recorder  Recorder
	// Clock runs the timers (a fake in tests); Now is the offset from the start of the run.
	Clock clock.Clock
	Now   func() time.Duration
	// Seed drives the choice of targets.
	Seed int64
}

// NewScheduler returns a scheduler for the faults; nothing is armed before StartPhase.
func NewScheduler(in SchedulerInput) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{inj: in.Injectors, env: in.Env, rec: in.Recorder, clock: in.Clock, now: in.Now, ctx: ctx, cancel: cancel}
	if s.clock == nil {
		s.clock = clock.RealClock{}
	}
	s.env.rng = rand.New(rand.NewPCG(uint64(in.Seed), 0xfa17_c4a05))
	for i := range in.Faults {
		s.faults = append(s.faults, &in.Faults[i])
	}
	return s
}

// StartPhase arms the faults timed to a phase that begins; those timed to an event start
// counting the phase's events.
func (s *Scheduler) StartPhase(phase model.PhaseName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, f := range s.faults {
		if f.At.Phase != phase {
			continue
		}
		if f.At.Event != "" {
			s.awaiting = append(s.awaiting, &awaited{f: f, left: f.At.NthEvent()})
			continue
		}
		s.after(f.At.After.Duration, func() { s.inject(f) })
	}
}

// Event counts an event of the rollout for the faults waiting for it and arms those whose
// event it is. It never blocks on an injection.
func (s *Scheduler) Event(ev faults.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	kept := s.awaiting[:0]
	for _, a := range s.awaiting {
		if a.f.At.Event == ev {
			a.left--
		}
		if a.left > 0 {
			kept = append(kept, a)
			continue
		}
		f := a.f
		s.after(f.At.After.Duration, func() { s.inject(f) })
	}
	s.awaiting = kept
}

// after runs fn after d on its own goroutine, unless Close comes first. s.mu is held.
func (s *Scheduler) after(d time.Duration, fn func()) {
	t := s.clock.NewTimer(d)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-t.C():
			fn()
		case <-s.ctx.Done():
			t.Stop()
		}
	}()
}

func (s *Scheduler) inject(f *faults.Fault) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	from := s.now()
	inj := s.inj[f.Kind]
	if inj == nil {
		s.missed(f, "the provider cannot inject "+string(f.Kind))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), injectTimeout)
	res, err := inj(ctx, s.env, f)
	cancel()
	if err != nil {
		s.missed(f, err.Error())
		return
	}
	a := &active{f: f, from: from, inj: res}
	s.env.Logf("fault %s: %s", f.Name, res.Msg)
	s.mu.Lock()
	s.active = append(s.active, a)
	closed := s.closed
	if !closed && f.Length() > 0 {
		// The fault lasts its duration from when its injection began.
		s.after(from+f.Length()-s.now(), func() { s.end(a, false) })
	}
	s.mu.Unlock()
	if closed {
		s.end(a, true)
	}
}

// end undoes a fault and records it, once.
func (s *Scheduler) end(a *active, cutShort bool) {
	s.mu.Lock()
	if a.ended {
		s.mu.Unlock()
		return
	}
	a.ended = true
	s.mu.Unlock()
	msg := fmt.Sprintf("%s: %s", a.f.Name, a.inj.Msg)
	if a.inj.Undo != nil {
		ctx, cancel := context.WithTimeout(context.Background(), undoTimeout)
		err := a.inj.Undo(ctx)
		cancel()
		if err != nil {
			msg += fmt.Sprintf(" (undo failed: %v)", err)
			s.env.Logf("fault %s: undo failed: %v", a.f.Name, err)
		} else {
			s.env.Logf("fault %s: undone", a.f.Name)
		}
	}
	loc := model.Locator{Fault: a.f.Name}
	if len(a.inj.Nodes) == 1 {
		loc.Node = a.inj.Nodes[0]
	}
	s.rec.Interval(model.Error, loc, model.ReasonFaultInjected, msg, a.from, s.now(), cutShort)
}

// missed records a fault that could not be applied: the run is then inconclusive, since the
// cluster did not go through what the scenario says.
func (s *Scheduler) missed(f *faults.Fault, why string) {
	now := s.now()
	s.env.Logf("fault %s: not applied: %s", f.Name, why)
	s.rec.Interval(model.Error, model.Locator{Fault: f.Name}, model.ReasonFaultNotApplied,
		fmt.Sprintf("%s: not applied: %s", f.Name, why), now, now, false)
}

// Close stops every timer, waits for injections under way, undoes every fault still active
// (cut short) and records those whose event never came. Nothing is injected after it.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	awaiting := s.awaiting
	s.awaiting = nil
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	for _, a := range awaiting {
		s.missed(a.f, fmt.Sprintf("its event (the %s) never came", a.f.At))
	}
	s.mu.Lock()
	act := append([]*active(nil), s.active...)
	s.mu.Unlock()
	for _, a := range act {
		s.end(a, true)
	}
}
