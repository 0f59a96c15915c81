// Package sched is kube-scheduler as the simulator models it for application pods: it filters
// the live workers on resources and topology spread (hard or soft), scores them on spread and
// least allocated resources, looks at as many nodes as kube-scheduler does
// (numFeasibleNodesToFind, round robin from where the last search stopped), and breaks ties at
// random in scan order, as selectHost does.
//
// A fleet scores hundreds of nodes per pod, so nodes in the same state share a class: whether
// a pod fits a class and its resource terms are worked out once per class and pod shape, and a
// search reads little more than a class number per node. The world tells the scheduler of every
// change of a node (Set) and of the list of live workers (ResetLive, AddLive).
package sched

import (
	"math/bits"
	"math/rand/v2"

	"github.com/zdt-dev/zdt/harness/sim/internal/draw"
)

// Info is what the scheduler reads of a node.
type Info struct {
	CPU, Mem, UsedCPU, UsedMem int64
	Pods, MaxPods              int32
	Zone                       int32 // the zone's number
	Schedulable                bool
}

// same reports whether a and b are equal, field by field (== on the struct calls memequal).
func (a *Info) same(b *Info) bool {
	return a.CPU == b.CPU && a.Mem == b.Mem && a.UsedCPU == b.UsedCPU && a.UsedMem == b.UsedMem &&
		a.Pods == b.Pods && a.MaxPods == b.MaxPods && a.Zone == b.Zone && a.Schedulable == b.Schedulable
}

// class is one Info that some node has or had.
type class struct {
	info Info
	// shape is the request shape (Shape) fits and terms were worked out for; 0: none.
	shape int32
	fits  bool
	terms float64
}

// slot is a live worker as Pick reads it: its node index and its class.
type slot struct{ node, class int32 }

// Scheduler is the scheduler's view of the nodes, by node index (the world's numbering).
type Scheduler struct {
	nodeClass []int32 // by node index
	classes   []class
	classOf   map[Info]int32
	shapes    map[[2]int64]int32
	// live are the live workers in scan order, livePos the place of each node in live (-1:
	// none); next is where the next search of live starts.
	live    []slot
	livePos []int32
	next    int
}

// Set records node's state: a node index one past the last adds a node.
func (s *Scheduler) Set(node int, info Info) {
	// Most changes of a node leave what the scheduler reads of it as it was.
	if node < len(s.nodeClass) && s.classes[s.nodeClass[node]].info.same(&info) {
		return
	}
	cl, ok := s.classOf[info]
	if !ok {
		if s.classOf == nil {
			s.classOf = map[Info]int32{}
		}
		cl = int32(len(s.classes))
		s.classes = append(s.classes, class{info: info})
		s.classOf[info] = cl
	}
	if node == len(s.nodeClass) {
		s.nodeClass = append(s.nodeClass, cl)
		s.livePos = append(s.livePos, -1)
		return
	}
	s.nodeClass[node] = cl
	if pos := s.livePos[node]; pos >= 0 {
		s.live[pos].class = cl
	}
}

// Reset empties the scheduler, keeping what it allocated, for another cluster.
func (s *Scheduler) Reset() {
	clear(s.classOf)
	clear(s.shapes)
	*s = Scheduler{nodeClass: s.nodeClass[:0], classes: s.classes[:0], classOf: s.classOf, shapes: s.shapes,
		live: s.live[:0], livePos: s.livePos[:0]}
}

// View is node's state as Set last recorded it.
func (s *Scheduler) View(node int) Info { return s.classes[s.nodeClass[node]].info }

// ResetLive empties the list of live workers; AddLive then appends them in scan order.
func (s *Scheduler) ResetLive() {
	s.live = s.live[:0]
	for i := range s.livePos {
		s.livePos[i] = -1
	}
}

// AddLive appends a node to the live workers.
func (s *Scheduler) AddLive(node int) {
	s.livePos[node] = int32(len(s.live))
	s.live = append(s.live, slot{node: int32(node), class: s.nodeClass[node]})
}

// StaleLive is the first live worker (its position in the list) whose class is not its node's,
// -1 when there is none: a check of the bookkeeping.
func (s *Scheduler) StaleLive() int {
	for j, sl := range s.live {
		if sl.class != s.nodeClass[sl.node] {
			return j
		}
	}
	return -1
}

// Shape numbers a pod's requests, the same number for the same requests (from 1).
func (s *Scheduler) Shape(cpu, mem int64) int32 {
	k := [2]int64{cpu, mem}
	sh, ok := s.shapes[k]
	if !ok {
		if s.shapes == nil {
			s.shapes = map[[2]int64]int32{}
		}
		sh = int32(len(s.shapes) + 1)
		s.shapes[k] = sh
	}
	return sh
}

// Spread is the topology domain a pod's spread constraint counts in.
type Spread uint8

const (
	NoSpread   Spread = iota
	SpreadNode        // kubernetes.io/hostname (and any key other than the zone's)
	SpreadZone        // topology.kubernetes.io/zone
)

// Pod is what Pick reads of a pod and its workload.
type Pod struct {
	Shape    int32 // Shape(CPU, Mem)
	CPU, Mem int64
	Spread   Spread
	// Hard is whenUnsatisfiable: DoNotSchedule (else the count is only scored); MaxSkew its skew.
	Hard    bool
	MaxSkew int
	// PerNode and PerZone count the workload's pods by node index and zone number (missing
	// entries are 0).
	PerNode, PerZone []int
}

// count is the pod's workload's count in the spread domain of a node.
func (p *Pod) count(node int32, zone int32) int {
	switch p.Spread {
	case SpreadZone:
		if int(zone) < len(p.PerZone) {
			return p.PerZone[zone]
		}
	case SpreadNode:
		if int(node) < len(p.PerNode) {
			return p.PerNode[node]
		}
	}
	return 0
}

// Kube-scheduler does not score every node of a large cluster: it stops filtering once it has
// found numFeasibleNodesToFind feasible nodes, and the next pod's search starts where this one
// stopped (pkg/scheduler/schedule_one.go, findNodesThatPassFilters and numFeasibleNodesToFind,
// with the default percentageOfNodesToScore of 0, the adaptive percentage).
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// numFeasibleNodesToFind is kube-scheduler's: every node below 100 nodes, otherwise
// 50% - nodes/125 of them (at least 5%, at least 100 nodes).
func numFeasibleNodesToFind(all int) int {
	if all < minFeasibleNodesToFind {
		return all
	}
	pct := max(50-all/125, minFeasibleNodesPercentageToFind)
	return max(all*pct/100, minFeasibleNodesToFind)
}

// Pick is the live worker (its position in the order of AddLive) the pod goes to, -1 for none;
// ties are drawn from src.
//
// A node's score is 10 times its count of the workload's pods in its spread domain, plus its
// resource terms, each at most 1 on a node the pod fits: a node with more pods than the best
// so far can neither win nor tie, and is passed over on the count alone.
func (s *Scheduler) Pick(p *Pod, src *rand.PCG) int {
	live, classes := s.live, s.classes
	all := len(live)
	if all == 0 {
		return -1
	}
	minCount := 0
	if p.Hard {
		// The global minimum counts eligible domains (schedulable nodes, or their zones), over
		// every node as PodTopologySpread's PreFilter does. A soft constraint scores the count
		// itself and needs no minimum.
		minCount = -1
		for _, sl := range live {
			if info := &classes[sl.class].info; info.Schedulable {
				if cnt := p.count(sl.node, info.Zone); minCount < 0 || cnt < minCount {
					minCount = cnt
				}
			}
		}
	}
	toFind := numFeasibleNodesToFind(all)
	start := s.next % all
	best := -1
	bestCnt, bestScore, ties, feasible, processed := 0, 0.0, 0, 0, 0
	zone := p.Spread == SpreadZone
	perNode, perZone := p.PerNode, p.PerZone
	for i := 0; i < all && feasible < toFind; i++ {
		processed++
		j := start + i
		if j >= all {
			j -= all
		}
		sl := live[j]
		cl := &classes[sl.class]
		if cl.shape != p.Shape {
			// Nodes in one state with the same requests score the same (the same operands
			// give the same result).
			si := &cl.info
			cl.shape = p.Shape
			cl.fits = si.Schedulable && si.UsedCPU+p.CPU <= si.CPU && si.UsedMem+p.Mem <= si.Mem && si.Pods < si.MaxPods
			if cl.fits {
				cl.terms = float64(si.UsedCPU+p.CPU)/float64(si.CPU) + float64(si.UsedMem+p.Mem)/float64(si.Mem)
			}
		}
		if !cl.fits {
			continue
		}
		cnt := 0
		if p.Spread != NoSpread {
			switch {
			case zone:
				if z := cl.info.Zone; int(z) < len(perZone) {
					cnt = perZone[z]
				}
			case int(sl.node) < len(perNode):
				cnt = perNode[sl.node]
			}
			if p.Hard && cnt+1-minCount > p.MaxSkew {
				continue
			}
		}
		feasible++
		if best >= 0 && cnt > bestCnt {
			continue
		}
		score := cl.terms // 10*0 + terms is terms
		if cnt != 0 {
			score = 10*float64(cnt) + cl.terms
		}
		switch {
		case best < 0 || score < bestScore:
			best, bestCnt, bestScore, ties = j, cnt, score, 1
		case score == bestScore:
			ties++
			// draw.Uint64N(src, ties) == 0 with its common case written out: most of a
			// fleet's nodes tie, and the call is a good part of the draw.
			n := uint64(ties)
			x := src.Uint64()
			if n&(n-1) == 0 {
				x &= n - 1
			} else {
				hi, lo := bits.Mul64(x, n)
				if lo < n {
					hi = draw.Reject(src, n, hi, lo)
				}
				x = hi
			}
			if x == 0 {
				best = j
			}
		}
	}
	s.next = (start + processed) % all
	return best
}
