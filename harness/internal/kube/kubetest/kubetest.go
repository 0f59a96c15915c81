// Package kubetest builds the Kubernetes objects the tests of zdt's real providers use.
package kubetest

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Node is a node at a kubelet version with 4 CPUs, 8Gi and 110 pods allocatable.
func Node(name, version string, ready, unschedulable bool, labels map[string]string) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.NodeSpec{Unschedulable: unschedulable},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: version},
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
				corev1.ResourcePods: resource.MustParse("110"),
			},
		},
	}
}

// Pod is a pod of a Deployment's ReplicaSet, requesting 250m and 256Mi.
func Pod(namespace, name, workload, nodeName string, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	yes := true
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: namespace, Name: name,
			Labels:          map[string]string{"app": workload, "pod-template-hash": "5d8f"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: workload + "-5d8f", Controller: &yes}},
		},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "app",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("256Mi")}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

// SystemPod is a kube-system pod of a component running image.
func SystemPod(name, component, image, nodeName string) *corev1.Pod {
	p := Pod(metav1.NamespaceSystem, name, component, nodeName, true)
	p.Labels = map[string]string{"component": component}
	p.OwnerReferences = nil
	p.Spec.Containers[0].Image = image
	return p
}

// WebDeployment is the Deployment web in namespace zdt, as kubectl apply left it: 3 replicas
// (2 ready), a readiness probe, a 5 s preStop sleep, exit at SIGTERM, a hard hostname spread.
func WebDeployment() *appsv1.Deployment {
	three := int32(3)
	grace := int64(45)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "zdt", Name: "web",
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"apps/v1","kind":"Deployment"}`}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &three,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{TopologyKey: "kubernetes.io/hostname",
						WhenUnsatisfiable: corev1.DoNotSchedule, MaxSkew: 1}},
					Containers: []corev1.Container{{
						Name: "app", Image: "zdt-sampleapp:dev",
						Env:            []corev1.EnvVar{{Name: "ON_SIGTERM", Value: "Exit"}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz"}}},
						Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}},
					}},
				},
			},
		},
		Status: appsv1.DeploymentStatus{ReadyReplicas: 2},
	}
}
