package inject

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// provisionSlowness makes the machines created during the fault late: each new container of
// the workload cluster is frozen (docker pause) as soon as it appears, for the fault's delay,
// then thawed; the Docker provider's bootstrap waits or retries meanwhile, as it would on a slow
// machine. The watch stops at the fault's end, and machines still frozen are thawed then (the
// simulator lets them finish their delay), at the end of the run or on Ctrl-C.
func (c nodeContainers) provisionSlowness(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	delay := f.Extra()
	watch, stop := context.WithTimeout(context.WithoutCancel(ctx), faultLimit(f, time.Minute))
	var mu sync.Mutex
	frozen := map[string]time.Time{} // container -> when it is thawed
	thaw := func(ctx context.Context, name string) error {
		if _, err := dockercli.Run(ctx, nil, "unpause", name); err != nil && !gone(err) && !strings.Contains(err.Error(), "is not paused") {
			return err
		}
		delete(frozen, name)
		env.Logf("fault %s: machine container %s thawed", f.Name, name)
		return nil
	}
	done, err := c.watchNewMachines(watch, func(name string) (bool, bool) {
		if _, err := dockercli.Run(watch, nil, "pause", name); err != nil {
			return false, true // not running yet: the next poll freezes it
		}
		mu.Lock()
		frozen[name] = time.Now().Add(delay)
		mu.Unlock()
		env.Logf("fault %s: machine container %s frozen for %v", f.Name, name, delay)
		return true, true
	}, func() {
		mu.Lock()
		defer mu.Unlock()
		for name, at := range frozen {
			if time.Now().After(at) {
				_ = thaw(watch, name)
			}
		}
	})
	if err != nil {
		stop()
		return chaos.Injection{}, err
	}
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

// faultLimit bounds a watch a fault starts: its duration and a margin, or two hours for a fault
// that lasts until the end of the run.
func faultLimit(f *faults.Fault, margin time.Duration) time.Duration {
	if f.Length() > 0 {
		return f.Length() + margin
	}
	return 2 * time.Hour
}
