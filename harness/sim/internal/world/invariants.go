package world

import (
	"fmt"
	"time"
)

// Invariants are properties every run of the simulator must keep, checked as it runs (in the
// manner of FoundationDB's simulation): a broken one is a fault of the simulator, reported as a
// harness error, never as a verdict on the scenario.
//
//   - A pod the kubelet has begun terminating is gone within its grace period (and a status
//     sync) while its node's kubelet runs.
//   - A kubelet that sees the API begins terminating a deleted pod within a sync, and starts the
//     container of a pod bound to its node.
//   - A pod's endpoint follows the pod: ready while the pod is Ready and not terminating, not
//     ready otherwise, within the endpoint controller's delay.

// invariantPeriod is how often the invariants are checked in a cluster of up to
// invariantPods pods; a larger one is checked proportionally less often, so that the checks
// cost about the same share of a run whatever its size (they visit every pod). A broken
// invariant stays broken, so it is still caught, later. A large cluster's pods do not stay in
// the caches between two checks: each visit waits on memory. In the 150,000-pod fleet
// (BenchmarkLarge) a check takes about 6 ms on a 2-core machine: one every 225 s of simulated
// upgrade was 16% of the run, one every 900 s is some 4%. A cluster of up to 2,500 pods (every
// scenario of the library) is checked every 15 s.
const (
	invariantPeriod = 15 * time.Second
	invariantPods   = 2500
)

// checkEvery is how often this cluster's invariants are checked.
func (c *World) checkEvery() time.Duration {
	pods := 0
	for _, w := range c.Sc.Spec.Workloads {
		pods += int(*w.Replicas)
	}
	return invariantPeriod * time.Duration(max(1, pods/invariantPods))
}

// Violation records the first broken invariant; the run stops with it as a harness error.
func (c *World) Violation(format string, args ...any) {
	if c.violation == nil {
		c.violation = fmt.Errorf("simulator invariant broken at t+%s: %s", c.Clock.Now(), fmt.Sprintf(format, args...))
	}
}

// Violated returns the first broken invariant, or nil.
func (c *World) Violated() error { return c.violation }

// ArmInvariants checks the invariants periodically from now on.
func (c *World) ArmInvariants() {
	every := c.checkEvery()
	var tick func()
	tick = func() {
		c.checkInvariants(every)
		c.Clock.After(every, tick)
	}
	c.Clock.After(every, tick)
}

func (c *World) checkInvariants(every time.Duration) {
	now := c.Clock.Now()
	sync := c.Cal.KubeletSync.Duration
	slack := time.Second
	for _, n := range c.Nodes {
		if v := c.sched.View(n.idx); v != c.schedOf(n) {
			c.Violation("the scheduler's view of node %s is stale: %+v, the node is %+v (a change of the node did not call NodeChanged)",
				n.Name, v, c.schedOf(n))
		}
		if n.Gone {
			continue
		}
		acts := kubeletActs(n)
		for _, p := range n.Pods {
			switch {
			case p.Gone:
			case p.Terminating && p.termStarted && acts &&
				now-p.termAt > p.W.Spec.TerminationGracePeriod.Duration+sync+slack:
				c.Violation("pod %s has been terminating for %s on node %s, whose kubelet runs: it is past its grace period (%s)",
					p.Name, now-p.termAt, n.Name, p.W.Spec.TerminationGracePeriod.Duration)
			case p.Terminating && !p.termStarted && p.Started && !p.Exited && acts &&
				now-max(p.DeletedAt, n.backAt) > sync+slack:
				c.Violation("pod %s was deleted at t+%s, and the kubelet of node %s, which sees the API, has not begun terminating it",
					p.Name, p.DeletedAt, n.Name)
			case p.startWaiting && acts && now-n.backAt > sync+slack:
				c.Violation("pod %s waits for its container on node %s, whose kubelet runs", p.Name, n.Name)
			}
			if ans := answerOf(p); !p.ansMarked && ans != p.ans {
				c.Violation("pod %s answers %d, its Service's figures count it as %d and it is not marked to be counted again (a change of what PodAnswers reads did not call answerMayChange)",
					p.Name, ans, p.ans)
			}
			want := p.Started && !p.Gone && p.Ready && !p.Terminating
			if p.ep.Ready != want {
				if p.epStale == 0 {
					p.epStale = now
				} else if now-p.epStale > c.Cal.EndpointSync.Duration+every {
					c.Violation("the endpoint of pod %s has said ready=%v since t+%s while the pod's state says %v", p.Name, p.ep.Ready, p.epStale, want)
				}
			} else {
				p.epStale = 0
			}
		}
	}
	c.checkNodeSums()
	if c.live != nil {
		if j := c.sched.StaleLive(); j >= 0 {
			c.Violation("the scheduler's list of live workers holds node %s in a state it has left", c.live[j].Name)
		}
	}
	// The views' counts are the sums of their pods' counted answers, for the workloads load is
	// sent to (the only ones whose figures are read).
	for _, w := range c.Workloads {
		if !w.Target {
			continue
		}
		for b := range w.Views {
			v := &w.Views[b]
			if bad, refused := countAnswers(v.Ready); bad != v.readyBad || refused != v.readyRefused {
				c.Violation("the ready view of %s in bucket %d counts %d not answering and %d refusing, its pods %d and %d", w.Name, b, v.readyBad, v.readyRefused, bad, refused)
			}
			if bad, refused := countAnswers(v.Term); bad != v.termBad || refused != v.termRefused {
				c.Violation("the terminating view of %s in bucket %d counts %d not answering and %d refusing, its pods %d and %d", w.Name, b, v.termBad, v.termRefused, bad, refused)
			}
		}
	}
}

// countAnswers sums what the pods of a view add to its counts.
func countAnswers(set []*Pod) (bad, refused int) {
	for _, p := range set {
		b, r := badOf(p.ans)
		bad, refused = bad+b, refused+r
	}
	return bad, refused
}
