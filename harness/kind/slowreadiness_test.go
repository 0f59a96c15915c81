package kind

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/zdt-dev/zdt/harness/chaos"
	"github.com/zdt-dev/zdt/harness/kind/internal/inject"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// The fault writes the workload's delay where its pods read it at start, and the undo takes it
// away; the sample app's Deployment mounts that key.
func TestSlowReadinessReachesTheSampleApp(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewSimpleClientset()
	env := &chaos.Env{Client: cs, AppNamespace: "zdt"}
	f := &faults.Fault{Name: "slow", Kind: faults.SlowReadiness, Target: faults.Target{Workload: "web"},
		Duration: &metav1.Duration{Duration: time.Minute}, Delay: &metav1.Duration{Duration: 45 * time.Second}}
	inj, err := inject.Injectors("", inject.DelayNetem)[faults.SlowReadiness](ctx, env, f)
	if err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps("zdt").Get(ctx, inject.FaultsConfigMap, metav1.GetOptions{})
	if err != nil || cm.Data["slow-start-web"] != "45s" {
		t.Fatalf("ConfigMap %+v, %v; want slow-start-web: 45s", cm, err)
	}
	if err := inj.Undo(ctx); err != nil {
		t.Fatal(err)
	}
	cm, _ = cs.CoreV1().ConfigMaps("zdt").Get(ctx, inject.FaultsConfigMap, metav1.GetOptions{})
	if _, ok := cm.Data["slow-start-web"]; ok {
		t.Errorf("the key outlived the fault: %v", cm.Data)
	}

	replicas := int32(2)
	d := deployment(&scenarios.Workload{Name: "web", Replicas: &replicas}, "zdt", "app:dev", map[string]string{labelApp: "web"})
	pod := d.Spec.Template.Spec
	env0 := map[string]string{}
	for _, e := range pod.Containers[0].Env {
		env0[e.Name] = e.Value
	}
	if env0["SLOW_START_FILE"] != inject.FaultsMountPath+"/slow-start-web" || len(pod.Volumes) != 1 ||
		pod.Volumes[0].ConfigMap == nil || pod.Volumes[0].ConfigMap.Name != inject.FaultsConfigMap || !*pod.Volumes[0].ConfigMap.Optional ||
		pod.Containers[0].VolumeMounts[0].MountPath != inject.FaultsMountPath {
		t.Errorf("pod spec %+v does not read the fault's ConfigMap", pod)
	}
}
