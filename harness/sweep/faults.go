package sweep

import (
	"fmt"
	"math/rand/v2"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/scenarios"
)

// faultStream keeps the fault schedule's random draws apart from the simulator's own, so that
// a schedule written to a scenario file replays exactly under the same seed.
const faultStream = 0xfa17_5eed

func dur(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }

func ptr[T any](v T) *T { return &v }

// RandomFaults draws a fault schedule of one to three faults from the seed: kinds, targets,
// the phase they are timed to, offsets and durations. The same seed gives the same schedule.
func RandomFaults(sc *scenarios.Scenario, seed int64) []scenarios.Fault {
	rng := rand.New(rand.NewPCG(uint64(seed), faultStream))
	phases := []string{"control-plane", "workers"}
	for _, p := range sc.Spec.Cluster.WorkerPools {
		phases = append(phases, "pool/"+p.Name)
	}
	n := 1 + rng.IntN(3)
	out := make([]scenarios.Fault, 0, n)
	for i := 0; i < n; i++ {
		f := scenarios.Fault{
			Kind: scenarios.FaultKinds[rng.IntN(len(scenarios.FaultKinds))],
			At: scenarios.FaultTime{
				Phase: phases[rng.IntN(len(phases))],
				After: metav1.Duration{Duration: time.Duration(rng.IntN(49)) * 5 * time.Second},
			},
			Duration: dur(time.Duration(2+rng.IntN(35)) * 5 * time.Second),
			Target:   scenarios.FaultTarget{Count: ptr(int32(1))},
		}
		switch f.Kind {
		case scenarios.FaultNodeCrash, scenarios.FaultKubeletStop, scenarios.FaultNetworkPartition:
			f.Target.Node = []string{"draining", ""}[rng.IntN(2)]
		case scenarios.FaultNetworkDelay:
			f.Target.Node = ""
			f.Delay = dur(time.Duration(1+rng.IntN(10)) * 50 * time.Millisecond)
		case scenarios.FaultPodKill, scenarios.FaultSlowReadiness:
			if f.Kind == scenarios.FaultPodKill {
				f.Duration = dur(0) // a kill is instantaneous
			}
			f.Target.Workload = sc.Spec.Workloads[rng.IntN(len(sc.Spec.Workloads))].Name
			if f.Kind == scenarios.FaultSlowReadiness {
				f.Delay = dur(time.Duration(1+rng.IntN(12)) * 5 * time.Second)
			}
		case scenarios.FaultProvisionSlowness:
			f.Delay = dur(time.Duration(1+rng.IntN(12)) * 10 * time.Second)
		}
		f.Name = fmt.Sprintf("%s-%d", f.Kind, i)
		out = append(out, f)
	}
	return out
}
