package kind

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/kind/internal/inject"
	"github.com/zdt-dev/zdt/scenarios"
)

// Labels zdt puts on the objects it creates (dockercli has those of containers).
const (
	// labelManagedBy is Kubernetes' managed-by label; zdt sets it to "zdt".
	labelManagedBy = "app.kubernetes.io/managed-by"
	// labelApp selects a workload's pods.
	labelApp = "app"
	// appPort is the port the sample app listens on.
	appPort = 8080
)

// appObjects are the Kubernetes objects of the scenario's workloads.
type appObjects struct {
	Namespace   *corev1.Namespace
	Deployments []*appsv1.Deployment
	Services    []*corev1.Service
	PDBs        []*policyv1.PodDisruptionBudget
}

// sampleApps returns the objects that run the scenario's workloads as zdt's sample app (image) in
// namespace: one Deployment, one NodePort Service (the edge load balancer's backend) and at most
// one PodDisruptionBudget per workload, with the probe, preStop, grace period, spread and
// behaviour at SIGTERM the scenario gives.
func sampleApps(sc *scenarios.Scenario, namespace, image string) *appObjects {
	labels := func(extra map[string]string) map[string]string {
		m := map[string]string{labelManagedBy: "zdt"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	out := &appObjects{Namespace: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: labels(nil)}}}
	for i := range sc.Spec.Workloads {
		w := &sc.Spec.Workloads[i]
		podLabels := map[string]string{labelApp: w.Name}
		out.Deployments = append(out.Deployments, deployment(w, namespace, image, labels(podLabels)))
		out.Services = append(out.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: namespace, Labels: labels(podLabels)},
			Spec: corev1.ServiceSpec{
				Type:     corev1.ServiceTypeNodePort,
				Selector: podLabels,
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(appPort), Protocol: corev1.ProtocolTCP}},
			},
		})
		if w.PDB == nil {
			continue
		}
		name := w.PDB.Name
		if name == "" {
			name = w.Name
		}
		sel := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: labelApp, Operator: metav1.LabelSelectorOpIn, Values: append([]string{w.Name}, w.PDB.ExtraSelects...),
		}}}
		if w.PDB.SelectsNothing {
			sel = &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: w.Name + "-nothing"}}
		}
		pdb := &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels(podLabels)},
			Spec: policyv1.PodDisruptionBudgetSpec{
				MinAvailable: w.PDB.MinAvailable, MaxUnavailable: w.PDB.MaxUnavailable, Selector: sel,
			},
		}
		if p := w.PDB.UnhealthyPodEvictionPolicy; p != "" {
			v := policyv1.UnhealthyPodEvictionPolicyType(p)
			pdb.Spec.UnhealthyPodEvictionPolicy = &v
		}
		out.PDBs = append(out.PDBs, pdb)
	}
	return out
}

func deployment(w *scenarios.Workload, namespace, image string, labels map[string]string) *appsv1.Deployment {
	env := []corev1.EnvVar{
		{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "LISTEN_ADDR", Value: fmt.Sprintf(":%d", appPort)},
	}
	if w.StartupTime != nil {
		env = append(env, corev1.EnvVar{Name: "STARTUP_DELAY", Value: w.StartupTime.Duration.String()})
	}
	if s := w.Shutdown; s != nil {
		if s.OnSigterm != "" {
			env = append(env, corev1.EnvVar{Name: "ON_SIGTERM", Value: string(s.OnSigterm)})
		}
		if s.DrainTime != nil {
			env = append(env, corev1.EnvVar{Name: "DRAIN_TIME", Value: s.DrainTime.Duration.String()})
		}
	}
	// The SlowReadiness fault's ConfigMap (internal/inject/slowreadiness.go): a pod started while it names
	// this workload reads the delay at start.
	env = append(env, corev1.EnvVar{Name: "SLOW_START_FILE", Value: inject.FaultsMountPath + "/" + inject.SlowStartKey(w.Name)})
	c := corev1.Container{
		Name: "app", Image: image, ImagePullPolicy: corev1.PullIfNotPresent, Env: env,
		Ports:        []corev1.ContainerPort{{Name: "http", ContainerPort: appPort}},
		VolumeMounts: []corev1.VolumeMount{{Name: "zdt-faults", MountPath: inject.FaultsMountPath, ReadOnly: true}},
	}
	if r := w.Requests; r != nil {
		c.Resources.Requests = corev1.ResourceList{}
		if r.CPU != nil {
			c.Resources.Requests[corev1.ResourceCPU] = *r.CPU
		}
		if r.Memory != nil {
			c.Resources.Requests[corev1.ResourceMemory] = *r.Memory
		}
	} else {
		c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}
	}
	if p := w.ReadinessProbe; p != nil {
		probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromInt32(appPort)}}}
		if p.InitialDelay != nil {
			probe.InitialDelaySeconds = int32(p.InitialDelay.Duration.Seconds())
		}
		if p.Period != nil {
			probe.PeriodSeconds = max(1, int32(p.Period.Duration.Seconds()))
		}
		if p.FailureThreshold != nil {
			probe.FailureThreshold = *p.FailureThreshold
		}
		if p.SuccessThreshold != nil {
			probe.SuccessThreshold = *p.SuccessThreshold
		}
		c.ReadinessProbe = probe
	}
	if p := w.PreStop; p != nil && p.Sleep.Duration > 0 {
		// The sample app's image has no shell: the kubelet's own sleep action.
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: int64(p.Sleep.Duration.Seconds())}}}
	}
	optional := true
	pod := corev1.PodSpec{Containers: []corev1.Container{c}, Volumes: []corev1.Volume{{Name: "zdt-faults",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: inject.FaultsConfigMap}, Optional: &optional}}}}}
	if g := w.TerminationGracePeriod; g != nil {
		s := int64(g.Duration.Seconds())
		pod.TerminationGracePeriodSeconds = &s
	}
	if t := w.TopologySpread; t != nil {
		key := t.TopologyKey
		if key == "" {
			key = scenarios.TopologyHostname
		}
		skew := int32(1)
		if t.MaxSkew != nil {
			skew = *t.MaxSkew
		}
		when := corev1.DoNotSchedule
		if t.WhenUnsatisfiable == scenarios.ScheduleAnyway {
			when = corev1.ScheduleAnyway
		}
		pod.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{
			MaxSkew: skew, TopologyKey: key, WhenUnsatisfiable: when,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: w.Name}},
		}}
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: namespace, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: w.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: w.Name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod},
		},
	}
	if s := w.Strategy; s != nil {
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: s.MaxSurge, MaxUnavailable: s.MaxUnavailable}}
	}
	return d
}

// createApps creates the objects in the workload cluster; objects that exist are left as they
// are (a kept cluster keeps its app).
func createApps(ctx context.Context, cs kubernetes.Interface, o *appObjects) error {
	ok := func(err error) bool { return err == nil || apierrors.IsAlreadyExists(err) }
	if _, err := cs.CoreV1().Namespaces().Create(ctx, o.Namespace, metav1.CreateOptions{}); !ok(err) {
		return fmt.Errorf("create namespace %s: %w", o.Namespace.Name, err)
	}
	for _, d := range o.Deployments {
		if _, err := cs.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{}); !ok(err) {
			return fmt.Errorf("create deployment %s: %w", d.Name, err)
		}
	}
	for _, s := range o.Services {
		if _, err := cs.CoreV1().Services(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); !ok(err) {
			return fmt.Errorf("create service %s: %w", s.Name, err)
		}
	}
	for _, p := range o.PDBs {
		if _, err := cs.PolicyV1().PodDisruptionBudgets(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); !ok(err) {
			return fmt.Errorf("create pdb %s: %w", p.Name, err)
		}
	}
	return nil
}
