package inject

import (
	"context"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"strings"
	"time"
)

// provisionPoll is how often a machine provisioning fault looks for new machine containers.
const provisionPoll = time.Second

// watchNewMachines calls each, once, for every container of the workload cluster that appears
// after the call, polling every provisionPoll until ctx ends or each returns false; tick runs
// after every poll. A container each declines (returns handled false) is offered again at the
// next poll. The returned channel closes when the watch stops.
func (c nodeContainers) watchNewMachines(ctx context.Context, each func(name string) (handled, more bool), tick func()) (<-chan struct{}, error) {
	known, err := c.machineContainers(ctx)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(provisionPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			names, err := c.machineContainers(ctx)
			if err != nil {
				continue
			}
			for name := range names {
				if known[name] {
					continue
				}
				handled, more := each(name)
				if handled {
					known[name] = true
				}
				if !more {
					return
				}
			}
			if tick != nil {
				tick()
			}
		}
	}()
	return done, nil
}

// machineContainers lists the containers of the run's workload cluster (the Docker provider's
// machines and its load balancer), as a set.
func (c nodeContainers) machineContainers(ctx context.Context) (map[string]bool, error) {
	out, err := dockercli.Run(ctx, nil, "ps", "-a", "--filter", "label="+dockercli.ClusterLabel+"="+c.cluster, "--format", "{{.Names}}")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(out) {
		set[l] = true
	}
	return set, nil
}
