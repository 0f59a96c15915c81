package sim

import (
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/scenarios"
)

func init() { registerFault(scenarios.FaultSlowReadiness, injectSlowReadiness) }

// injectSlowReadiness makes pods of a workload started during the fault take longer to serve
// (a slow dependency, a cold cache).
func injectSlowReadiness(c *Cluster, f *scenarios.Fault) (string, func()) {
	if c.faults.slowStart == nil {
		c.faults.slowStart = map[*workload]time.Duration{}
	}
	d := faultDelay(f)
	var undo func()
	for _, w := range c.workloads {
		if w.name == f.Target.Workload {
			w := w
			c.faults.slowStart[w] += d
			undo = chain(undo, func() { c.faults.slowStart[w] -= d })
		}
	}
	return fmt.Sprintf("pods of %s start serving %s later", f.Target.Workload, d), undo
}
