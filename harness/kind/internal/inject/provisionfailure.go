package inject

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// provisionFailure makes the next count machines created fail to provision: each new container
// of the workload cluster is killed as soon as it appears, and its Machine deleted in the
// management cluster, so that the MachineSet or control plane creates a replacement (the
// Docker provider names a machine's container after the Machine). The watch stops once count
// machines failed, or at the fault's end.
func (c nodeContainers) provisionFailure(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	if env.Management == nil {
		return chaos.Injection{}, fmt.Errorf("MachineProvisionFailure needs the management cluster's API")
	}
	count := 1
	if f.Target.Count != nil {
		count = int(*f.Target.Count)
	}
	watch, stop := context.WithTimeout(context.WithoutCancel(ctx), faultLimit(f, 0))
	machines := env.Management.Resource(env.Machines).Namespace(env.ClusterNamespace)
	failed := 0
	done, err := c.watchNewMachines(watch, func(name string) (bool, bool) {
		if _, err := machines.Get(watch, name, metav1.GetOptions{}); err != nil {
			return true, true // not a Machine's container (a load balancer)
		}
		if _, err := dockercli.Run(watch, nil, "kill", name); err != nil && !gone(err) {
			env.Logf("fault %s: kill machine container %s: %v", f.Name, name, err)
		}
		if err := machines.Delete(watch, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			env.Logf("fault %s: delete Machine %s: %v", f.Name, name, err)
		}
		failed++
		env.Logf("fault %s: machine %s failed to provision (container killed, Machine deleted), %d of %d", f.Name, name, failed, count)
		return true, failed < count
	}, nil)
	if err != nil {
		stop()
		return chaos.Injection{}, err
	}
	return chaos.Injection{
		Msg: fmt.Sprintf("the next %d machine(s) created fail to provision (container killed, Machine deleted)", count),
		Undo: func(context.Context) error {
			stop()
			<-done
			return nil
		},
	}, nil
}
