// Package inject holds the faults the kind provider injects into the containers of a workload
// cluster's machines (one file per kind), beside those chaos injects through the Kubernetes API.
package inject

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Injectors are the fault kinds the kind provider injects into the workload cluster named
// workload: those of the Kubernetes API, and those done to the Docker containers of its
// machines, one file per kind. Every container command names a container of this run's workload cluster and
// runs inside it: nothing changes the host's own network.
func Injectors(workload string, delay DelayMethod) chaos.Injectors {
	n := nodeContainers{cluster: workload, delay: delay}
	return chaos.APIInjectors().With(chaos.Injectors{
		faults.NodeCrash:                n.nodeCrash,
		faults.KubeletStop:              n.kubeletStop,
		faults.APIServerRestart:         n.apiServerRestart,
		faults.NetworkDelay:             n.networkDelay,
		faults.NetworkPartition:         n.networkPartition,
		faults.MachineProvisionSlowness: n.provisionSlowness,
		faults.SlowReadiness:            slowReadiness,
		faults.MachineProvisionFailure:  n.provisionFailure,
	})
}

// Kinds is what the provider registry says the kind provider injects.
var Kinds = Injectors("", DelayNetem)

// nodeContainers runs commands in the containers of one workload cluster's machines.
type nodeContainers struct {
	cluster string
	delay   DelayMethod
}

// container returns the container of a node, after checking that it belongs to the run's
// workload cluster: the Docker provider names a machine's container, and its node, after the
// machine, and labels it with the cluster.
func (c nodeContainers) container(ctx context.Context, node string) (string, error) {
	out, err := dockercli.Run(ctx, nil, "inspect", "--format", "{{index .Config.Labels \""+dockercli.ClusterLabel+"\"}}", node)
	if err != nil {
		return "", fmt.Errorf("the container of node %s: %w", node, err)
	}
	if got := strings.TrimSpace(out); got != c.cluster {
		return "", fmt.Errorf("container %s belongs to cluster %q, not to this run's %s: zdt touches only what it created", node, got, c.cluster)
	}
	return node, nil
}

// exec runs a command inside a node's container.
func (c nodeContainers) exec(ctx context.Context, node string, args ...string) (string, error) {
	name, err := c.container(ctx, node)
	if err != nil {
		return "", err
	}
	return dockercli.Run(ctx, nil, append([]string{"exec", name}, args...)...)
}

// gone reports whether a docker error says the container no longer exists or no longer runs
// (the Docker provider is removing the machine, or a NodeCrash stopped it): an undo then has
// nothing left to do.
func gone(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "No such container") || strings.Contains(msg, "No such object") || strings.Contains(msg, "is not running")
}
