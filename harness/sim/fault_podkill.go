package sim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zdt-dev/zdt/harness/sim/internal/world"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.PodKill, injectPodKill) }

// injectPodKill force-deletes pods of a workload: their processes die at once (requests in
// flight are reset) and the objects are removed while kube-proxies still route to them.
func injectPodKill(c *Cluster, f *faults.Fault) (string, func(), error) {
	var victims []string
	for _, w := range c.w.Workloads {
		if w.Name != f.Target.Workload || w.System {
			continue
		}
		pods := append([]*world.Pod(nil), w.Active...)
		sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
		for i := 0; i < f.Count() && len(pods) > 0; i++ {
			k := c.w.Rng.IntN(len(pods))
			p := pods[k]
			pods = append(pods[:k], pods[k+1:]...)
			victims = append(victims, p.Name)
			if p.Started && !p.Exited {
				c.w.ProcessExit(p, false)
			}
			c.w.PodGone(p)
		}
	}
	if len(victims) == 0 {
		return "", nil, fmt.Errorf("no pod of %s to kill", f.Target.Workload)
	}
	return "killed " + strings.Join(victims, ", "), nil, nil
}
