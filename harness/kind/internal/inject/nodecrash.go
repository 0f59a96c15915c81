package inject

import (
	"context"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// nodeCrash kills the machine's container hard (SIGKILL): every process on the node stops at
// once, connections to its pods hang, and the node lifecycle controller takes over. When the
// fault ends, the container starts again and the node boots, unless the Docker provider has
// removed it meanwhile.
func (c nodeContainers) nodeCrash(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	return env.OnNodes(ctx, f, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		name, err := c.container(ctx, n.Name)
		if err != nil {
			return nil, err
		}
		if _, err := dockercli.Run(ctx, nil, "kill", "--signal", "KILL", name); err != nil {
			return nil, err
		}
		if f.Length() == 0 {
			return nil, nil // the machine stays down
		}
		return func(ctx context.Context) error {
			if _, err := dockercli.Run(ctx, nil, "start", name); err != nil && !gone(err) {
				return err
			}
			return nil
		}, nil
	})
}
