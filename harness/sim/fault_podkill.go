package sim

import (
	"sort"
	"strings"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

func init() { registerFault(faults.PodKill, injectPodKill) }

// injectPodKill force-deletes pods of a workload: their processes die at once (requests in
// flight are reset) and the objects are removed while kube-proxies still route to them.
func injectPodKill(c *Cluster, f *faults.Fault) (string, func()) {
	var victims []string
	for _, w := range c.workloads {
		if w.name != f.Target.Workload {
			continue
		}
		pods := append([]*pod(nil), w.active...)
		sort.Slice(pods, func(i, j int) bool { return pods[i].name < pods[j].name })
		for i := 0; i < f.Count() && len(pods) > 0; i++ {
			k := c.rng.IntN(len(pods))
			p := pods[k]
			pods = append(pods[:k], pods[k+1:]...)
			victims = append(victims, p.name)
			if p.started && !p.exited {
				c.processExit(p, false)
			}
			c.podGone(p)
		}
	}
	if len(victims) == 0 {
		return "no pod of " + f.Target.Workload + " to kill", nil
	}
	return "killed " + strings.Join(victims, ", "), nil
}
