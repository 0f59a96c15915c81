package sim

import (
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.SlowReadiness, injectSlowReadiness) }

// injectSlowReadiness makes pods of a workload started during the fault take longer to serve
// (a slow dependency, a cold cache).
func injectSlowReadiness(c *Cluster, f *faults.Fault) (string, func()) {
	if c.faults.slowStart == nil {
		c.faults.slowStart = map[*workload]time.Duration{}
	}
	d := f.Extra()
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
