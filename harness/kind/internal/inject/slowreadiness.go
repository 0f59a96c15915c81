package inject

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// The ConfigMap through which faults reach zdt's sample app, mounted (optional) in every pod.
const (
	FaultsConfigMap = "zdt-faults"
	FaultsMountPath = "/etc/zdt-faults"
)

// SlowStartKey is the ConfigMap key a workload's pods read their extra startup delay from.
func SlowStartKey(workload string) string { return "slow-start-" + workload }

// slowReadiness makes the pods of a workload started during the fault take the delay longer to
// serve: the key slow-start-<workload> of the zdt-faults ConfigMap holds the delay, and the
// sample app started in a pod that mounts it waits that much more before it listens (pods
// already running are not affected, as on the simulator). The undo removes the key.
func slowReadiness(ctx context.Context, env *chaos.Env, f *faults.Fault) (chaos.Injection, error) {
	w := f.Target.Workload
	if w == "" {
		return chaos.Injection{}, fmt.Errorf("SlowReadiness needs target.workload")
	}
	cms := env.Client.CoreV1().ConfigMaps(env.AppNamespace)
	key := SlowStartKey(w)
	set := func(ctx context.Context, value string) error {
		cm, err := cms.Get(ctx, FaultsConfigMap, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if value == "" {
				return nil
			}
			_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: FaultsConfigMap, Namespace: env.AppNamespace,
				Labels: map[string]string{dockercli.LabelOwned: "true"}}, Data: map[string]string{key: value}}, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		if value == "" {
			delete(cm.Data, key)
		} else {
			cm.Data[key] = value
		}
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	}
	d := f.Extra()
	if err := set(ctx, d.String()); err != nil {
		return chaos.Injection{}, fmt.Errorf("ConfigMap %s/%s: %w", env.AppNamespace, FaultsConfigMap, err)
	}
	return chaos.Injection{
		Msg: fmt.Sprintf("pods of %s started from now on serve %v later (ConfigMap %s/%s key %s)", w, d, env.AppNamespace, FaultsConfigMap, key),
		Undo: func(ctx context.Context) error {
			return set(ctx, "")
		},
	}, nil
}
