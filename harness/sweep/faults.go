package sweep

import (
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// RandomFaults draws a fault schedule of one to three faults from the seed (faults.Random): the
// same seed gives the same schedule, and adding a fault kind leaves the faults of other kinds
// alone.
func RandomFaults(sc *scenarios.Scenario, seed int64) []faults.Fault {
	c := faults.DrawContext{}
	for _, w := range sc.Spec.Workloads {
		c.Workloads = append(c.Workloads, w.Name)
	}
	for _, p := range sc.Spec.Cluster.WorkerPools {
		c.Pools = append(c.Pools, p.Name)
	}
	return faults.Random(seed, c)
}
