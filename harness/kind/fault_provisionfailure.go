package kind

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness/chaos"
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
	known, err := c.machineContainers(ctx)
	if err != nil {
		return chaos.Injection{}, err
	}
	count := 1
	if f.Target.Count != nil {
		count = int(*f.Target.Count)
	}
	limit := 2 * time.Hour
	if f.Length() > 0 {
		limit = f.Length()
	}
	logf := func(format string, args ...any) {
		if env.Log != nil {
			env.Log(format, args...)
		}
	}
	watch, stop := context.WithTimeout(context.WithoutCancel(ctx), limit)
	machines := env.Management.Resource(env.Machines).Namespace(env.ClusterNamespace)
	var once sync.Once
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(provisionPoll)
		defer t.Stop()
		for failed := 0; failed < count; {
			select {
			case <-watch.Done():
				return
			case <-t.C:
			}
			names, err := c.machineContainers(watch)
			if err != nil {
				continue
			}
			for name := range names {
				if known[name] || failed >= count {
					continue
				}
				if _, err := machines.Get(watch, name, metav1.GetOptions{}); err != nil {
					known[name] = true // not a Machine's container (a load balancer)
					continue
				}
				known[name] = true
				if _, err := docker(watch, nil, "kill", name); err != nil && !gone(err) {
					logf("fault %s: kill machine container %s: %v", f.Name, name, err)
				}
				if err := machines.Delete(watch, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					logf("fault %s: delete Machine %s: %v", f.Name, name, err)
				}
				failed++
				logf("fault %s: machine %s failed to provision (container killed, Machine deleted), %d of %d", f.Name, name, failed, count)
			}
		}
	}()
	return chaos.Injection{
		Msg: fmt.Sprintf("the next %d machine(s) created fail to provision (container killed, Machine deleted)", count),
		Undo: func(context.Context) error {
			once.Do(stop)
			<-done
			return nil
		},
	}, nil
}
