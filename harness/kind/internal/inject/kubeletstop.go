package inject

import (
	"context"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// kubeletStop stops the kubelet inside the node (systemctl stop): its pods keep running and
// serving, but the node stops reporting and goes NotReady after the grace period, and nothing on
// it can be stopped. The undo starts it again.
func (c nodeContainers) kubeletStop(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	return env.OnNodes(ctx, f, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		if _, err := c.exec(ctx, n.Name, "systemctl", "stop", "kubelet"); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			if _, err := c.exec(ctx, n.Name, "systemctl", "start", "kubelet"); err != nil && !gone(err) {
				return err
			}
			return nil
		}, nil
	})
}
