package kind

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// provisionPoll is how often a MachineProvisionSlowness looks for new machine containers.
const provisionPoll = time.Second

// provisionSlowness makes the machines created during the fault late: each new container of
// the workload cluster is frozen (docker pause) as soon as it appears, for the fault's delay,
// then thawed; the Docker provider's bootstrap waits or retries meanwhile, as it would on a slow
// machine. The watch stops at the fault's end, and machines still frozen are thawed then (the
// simulator lets them finish their delay), at the end of the run or on Ctrl-C.
func (c nodeContainers) provisionSlowness(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	known, err := c.machineContainers(ctx)
	if err != nil {
		return chaos.Injection{}, err
	}
	delay := f.Extra()
	limit := 2 * time.Hour // a fault without a duration lasts until the run ends
	if f.Length() > 0 {
		limit = f.Length() + time.Minute
	}
	logf := func(format string, args ...any) {
		if env.Log != nil {
			env.Log(format, args...)
		}
	}
	watch, stop := context.WithTimeout(context.WithoutCancel(ctx), limit)
	var mu sync.Mutex
	frozen := map[string]time.Time{} // container -> when it is thawed
	thaw := func(ctx context.Context, name string) error {
		if _, err := docker(ctx, nil, "unpause", name); err != nil && !gone(err) && !strings.Contains(err.Error(), "is not paused") {
			return err
		}
		delete(frozen, name)
		logf("fault %s: machine container %s thawed", f.Name, name)
		return nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(provisionPoll)
		defer t.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-t.C:
			}
			names, err := c.machineContainers(watch)
			mu.Lock()
			for name := range names {
				if err != nil || known[name] {
					continue
				}
				if _, err := docker(watch, nil, "pause", name); err != nil {
					continue // not running yet: the next poll freezes it
				}
				known[name] = true
				frozen[name] = time.Now().Add(delay)
				logf("fault %s: machine container %s frozen for %v", f.Name, name, delay)
			}
			for name, at := range frozen {
				if time.Now().After(at) {
					_ = thaw(watch, name)
				}
			}
			mu.Unlock()
		}
	}()
	return chaos.Injection{
		Msg: fmt.Sprintf("machines created from now on frozen for %v as their containers appear (docker pause)", delay),
		Undo: func(ctx context.Context) error {
			stop()
			<-done
			mu.Lock()
			defer mu.Unlock()
			var errs []string
			for name := range frozen {
				if err := thaw(ctx, name); err != nil {
					errs = append(errs, err.Error())
				}
			}
			if len(errs) > 0 {
				return fmt.Errorf("thaw machine containers: %s", strings.Join(errs, "; "))
			}
			return nil
		},
	}, nil
}

// machineContainers lists the containers of the run's workload cluster (the Docker provider's
// machines and its load balancer), as a set.
func (c nodeContainers) machineContainers(ctx context.Context) (map[string]bool, error) {
	out, err := docker(ctx, nil, "ps", "-a", "--filter", "label="+kindClusterLabel+"="+c.cluster, "--format", "{{.Names}}")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(out) {
		set[l] = true
	}
	return set, nil
}
