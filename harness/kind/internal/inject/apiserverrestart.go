package inject

import (
	"context"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// The API server's static pod manifest, and where it is kept while the fault lasts.
const (
	apiServerManifest = "/etc/kubernetes/manifests/kube-apiserver.yaml"
	apiServerParked   = "/etc/kubernetes/kube-apiserver.yaml.zdt-fault"
)

// apiServerRestart restarts the API server of control plane nodes. With a duration, its static
// pod manifest is moved out of the kubelet's manifest folder (the kubelet stops the API server)
// and back when the fault ends (the kubelet starts it, which takes its start time): the API is
// down from the stop until the new API server answers. Without one, the API server's container
// is stopped and the kubelet restarts it at once.
func (c nodeContainers) apiServerRestart(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	target := *f
	target.Target.Node = f.Node()
	return env.OnNodes(ctx, &target, func(ctx context.Context, n chaos.Node) (func(context.Context) error, error) {
		if f.Length() == 0 {
			_, err := c.exec(ctx, n.Name, "sh", "-c", "crictl stop --timeout 0 $(crictl ps -q --name kube-apiserver)")
			return nil, err
		}
		if _, err := c.exec(ctx, n.Name, "mv", apiServerManifest, apiServerParked); err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := c.exec(ctx, n.Name, "mv", apiServerParked, apiServerManifest)
			if gone(err) {
				return nil
			}
			return err
		}, nil
	})
}
