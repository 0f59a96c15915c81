package chaos

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

// nodeCordon marks nodes unschedulable; the undo makes them schedulable again unless Cluster
// API has begun deleting their machine since (it cordons them to drain them).
func nodeCordon(ctx context.Context, env *Env, f *faults.Fault) (Injection, error) {
	return env.OnNodes(ctx, f, func(ctx context.Context, n Node) (func(context.Context) error, error) {
		if err := setUnschedulable(ctx, env, n.Name, true); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			for _, now := range env.Nodes() {
				if now.Name == n.Name && now.Deleting {
					return nil
				}
			}
			return setUnschedulable(ctx, env, n.Name, false)
		}, nil
	})
}

func setUnschedulable(ctx context.Context, env *Env, node string, v bool) error {
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, v)
	if _, err := env.Client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, []byte(patch), metavOpts()); err != nil {
		return fmt.Errorf("node %s unschedulable=%t: %w", node, v, err)
	}
	return nil
}
