package world

import (
	"github.com/zdt-dev/zdt/model"
	"slices"
)

// stateSample records the periodic picture of the cluster.
func (c *World) stateSample() {
	if c.Settling {
		return
	}
	st := &c.lastState
	ws := st.scratch[:0]
	for _, w := range c.Workloads {
		if w.System {
			continue
		}
		s := model.WorkloadState{Name: w.Name, Desired: w.Replicas, Ready: w.ReadyCount, Endpoints: w.Endpoints, PDBFloor: -1}
		if len(w.PDBs) > 0 {
			_, desired, _ := c.PDBStatus(w.PDBs[0])
			s.PDBFloor = desired
		}
		ws = append(ws, s)
	}
	st.scratch = ws
	s := &st.sample
	*s = model.StateSample{At: c.Clock.Now(), APIAvailable: c.APIUp}
	// What the nodes say changes only with a change of a node (NodeChanged counts them).
	if !st.nodesSet || st.nodesEpoch != c.nodeEpoch {
		st.nodes, st.versions = c.nodeAggregate(st.versions[:0])
		st.nodesSet, st.nodesEpoch = true, c.nodeEpoch
	}
	vs := st.versions
	s.SchedulableNodes, s.FreeCPUMilli, s.FreeMemoryBytes = st.nodes.schedulable, st.nodes.freeCPU, st.nodes.freeMem
	// A sample shares its workloads and versions with the one before when they did not
	// change (the recorder keeps samples by value; nothing changes them once recorded).
	if st.workloads == nil || !slices.Equal(st.workloads, ws) {
		st.workloads = slices.Clone(ws)
	}
	s.Workloads = st.workloads
	// The counts come in the same order as long as the nodes do: a map is made only when
	// they changed (one with the same counts in another order is the same map).
	if c.noNodeVersions {
		st.byVersion = nil
	} else if st.byVersion == nil || !slices.Equal(st.lastVersions, vs) {
		st.byVersion = make(map[string]int, len(vs))
		for _, v := range vs {
			st.byVersion[v.version] = v.n
		}
		st.lastVersions = append(st.lastVersions[:0], vs...)
	}
	s.NodesByVersion = st.byVersion
	c.Record(c.rec.State(s))
}

// nodeAggregate counts the Ready nodes by version (appended to vs) and sums the schedulable
// ones' free capacity.
func (c *World) nodeAggregate(vs []versionCount) (nodeSums, []versionCount) {
	var a nodeSums
	i := -1
	// Gone nodes count for nothing, and a long run has more of them than live ones: the
	// control plane's nodes and the live workers are all the others.
	for _, nodes := range [2][]*Node{c.CPNodes, c.liveWorkers()} {
		for _, n := range nodes {
			if n.Gone || !n.Ready {
				continue
			}
			// Nodes mostly run the version of the node before them.
			if i < 0 || vs[i].version != n.Version {
				i = slices.IndexFunc(vs, func(v versionCount) bool { return v.version == n.Version })
				if i < 0 {
					i = len(vs)
					vs = append(vs, versionCount{version: n.Version})
				}
			}
			vs[i].n++
			if c.Schedulable(n) {
				a.schedulable++
				a.freeCPU += n.CPU - n.UsedCPU
				a.freeMem += n.Mem - n.UsedMem
			}
		}
	}
	return a, vs
}

// nodeSums are a state sample's figures of the schedulable nodes.
type nodeSums struct {
	schedulable      int
	freeCPU, freeMem int64
}

// checkNodeSums checks that the node figures stateSample reuses are what the nodes say.
func (c *World) checkNodeSums() {
	st := &c.lastState
	if !st.nodesSet || st.nodesEpoch != c.nodeEpoch {
		return
	}
	a, vs := c.nodeAggregate(st.checked[:0])
	st.checked = vs
	if a != st.nodes || !slices.Equal(vs, st.versions) {
		c.Violation("the state samples' node figures %+v %v are not what the nodes say, %+v %v (a change of a node did not call NodeChanged)", st.nodes, st.versions, a, vs)
	}
}

// stateScratch is what stateSample keeps from one sample to the next.
type stateScratch struct {
	// nodes and versions are the node figures as of NodeChanged's count nodesEpoch.
	nodes      nodeSums
	nodesEpoch uint64
	nodesSet   bool
	sample     model.StateSample // handed to the recorder, which copies what it keeps
	scratch    []model.WorkloadState
	versions   []versionCount
	workloads  []model.WorkloadState // the last sample's
	byVersion  map[string]int        // the last sample's
	// lastVersions are the counts byVersion was made from; checked the counts checkNodeSums
	// makes anew.
	lastVersions []versionCount
	checked      []versionCount
}

type versionCount struct {
	version string
	n       int
}
