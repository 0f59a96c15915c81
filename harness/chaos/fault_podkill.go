package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

// WorkloadLabel is the label of the workloads' pods that names their workload, as zdt deploys
// them.
const WorkloadLabel = "app"

// podKill force-deletes pods of a workload (grace period 0): the kubelet kills their
// containers at once and the objects are removed while endpoints still list them.
func podKill(ctx context.Context, env *Env, f *faults.Fault) (Injection, error) {
	list, err := env.Client.CoreV1().Pods(env.AppNamespace).List(ctx, metav1.ListOptions{LabelSelector: WorkloadLabel + "=" + f.Target.Workload})
	if err != nil {
		return Injection{}, fmt.Errorf("list pods of %s: %w", f.Target.Workload, err)
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			pods = append(pods, p)
		}
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var victims []string
	zero := int64(0)
	for i := 0; i < f.Count() && len(pods) > 0; i++ {
		k := env.IntN(len(pods))
		p := pods[k]
		pods = append(pods[:k], pods[k+1:]...)
		if err := env.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			return Injection{}, fmt.Errorf("kill pod %s/%s: %w", p.Namespace, p.Name, err)
		}
		victims = append(victims, fmt.Sprintf("%s (on %s)", p.Name, p.Spec.NodeName))
	}
	if len(victims) == 0 {
		return Injection{}, fmt.Errorf("no running pod of %s to kill", f.Target.Workload)
	}
	return Injection{Msg: "killed " + strings.Join(victims, ", ") + " without grace"}, nil
}
