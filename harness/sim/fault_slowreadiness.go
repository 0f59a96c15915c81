package sim

import (
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.SlowReadiness, injectSlowReadiness) }

// injectSlowReadiness makes pods of a workload started during the fault take longer to serve
// (a slow dependency, a cold cache).
func injectSlowReadiness(c *Cluster, f *faults.Fault) (string, func(), error) {
	e := &c.w.Effects
	if e.SlowStart == nil {
		e.SlowStart = map[*world.Workload]time.Duration{}
	}
	d := f.Extra()
	w := c.w.Workload(f.Target.Workload)
	if w == nil {
		return "", nil, fmt.Errorf("no workload %s", f.Target.Workload)
	}
	e.SlowStart[w] += d
	return fmt.Sprintf("pods of %s start serving %s later", f.Target.Workload, d), func() { e.SlowStart[w] -= d }, nil
}
