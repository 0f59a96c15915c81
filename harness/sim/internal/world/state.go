package world

import (
	"github.com/zdt-dev/zdt/model"
)

// stateSample records the periodic picture of the cluster.
func (c *World) stateSample() {
	if c.Settling {
		return
	}
	s := model.StateSample{At: c.Clock.Now(), NodesByVersion: make(map[string]int, 2), APIAvailable: c.APIUp,
		Workloads: make([]model.WorkloadState, 0, len(c.Workloads))}
	for _, w := range c.Workloads {
		ws := model.WorkloadState{Name: w.Name, Desired: w.Replicas, Ready: w.ReadyCount, Endpoints: w.Endpoints, PDBFloor: -1}
		if len(w.PDBs) > 0 {
			_, desired, _ := c.PDBStatus(w.PDBs[0])
			ws.PDBFloor = desired
		}
		s.Workloads = append(s.Workloads, ws)
	}
	for _, n := range c.Nodes {
		if n.Gone || !n.Ready {
			continue
		}
		s.NodesByVersion[n.Version]++
		if c.Schedulable(n) {
			s.SchedulableNodes++
			s.FreeCPUMilli += n.CPU - n.UsedCPU
			s.FreeMemoryBytes += n.Mem - n.UsedMem
		}
	}
	c.Record(c.rec.State(&s))
}
