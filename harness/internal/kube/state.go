package kube

import (
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/zdt-dev/zdt/model"
)

// StateFrom computes a state sample from the workload cluster's objects: per Deployment of
// namespace, its ready replicas, ready endpoints and PDB floor; Ready nodes by kubelet
// version; schedulable workers and the requests still free on them.
func StateFrom(at time.Duration, deps []*appsv1.Deployment, pods []*corev1.Pod, slices []*discoveryv1.EndpointSlice,
	pdbs []*policyv1.PodDisruptionBudget, nodes []*corev1.Node, namespace string) *model.StateSample {
	s := &model.StateSample{At: at, NodesByVersion: map[string]int{}}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	for _, d := range deps {
		if d.Namespace != namespace {
			continue
		}
		ws := model.WorkloadState{Name: d.Name, Desired: 1, PDBFloor: -1}
		if d.Spec.Replicas != nil {
			ws.Desired = int(*d.Spec.Replicas)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			sel = labels.Nothing()
		}
		for _, p := range pods {
			if p.Namespace == namespace && p.DeletionTimestamp == nil && PodReady(p) && sel.Matches(labels.Set(p.Labels)) {
				ws.Ready++
			}
		}
		for _, es := range slices {
			if es.Namespace != namespace || es.Labels[discoveryv1.LabelServiceName] != d.Name {
				continue
			}
			for _, e := range es.Endpoints {
				if e.Conditions.Ready == nil || *e.Conditions.Ready {
					ws.Endpoints++
				}
			}
		}
		for _, b := range pdbs {
			bs, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			if b.Namespace != namespace || err != nil || bs.Empty() || !bs.Matches(labels.Set(d.Spec.Template.Labels)) {
				continue
			}
			ws.PDBFloor = int(b.Status.DesiredHealthy)
			break
		}
		s.Workloads = append(s.Workloads, ws)
	}
	used := map[string][2]int64{}
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		cpu, mem := PodRequests(&p.Spec)
		u := used[p.Spec.NodeName]
		used[p.Spec.NodeName] = [2]int64{u[0] + cpu, u[1] + mem}
	}
	for _, n := range nodes {
		if !NodeReady(n) {
			continue
		}
		s.NodesByVersion[n.Status.NodeInfo.KubeletVersion]++
		if _, cp := n.Labels[LabelControlPlaneNode]; cp || n.Spec.Unschedulable {
			continue
		}
		s.SchedulableNodes++
		u := used[n.Name]
		s.FreeCPUMilli += n.Status.Allocatable.Cpu().MilliValue() - u[0]
		s.FreeMemoryBytes += n.Status.Allocatable.Memory().Value() - u[1]
	}
	return s
}

// PodRequests sums the CPU (milli) and memory requests of a pod's containers.
func PodRequests(spec *corev1.PodSpec) (int64, int64) {
	var cpu, mem int64
	for _, ct := range spec.Containers {
		cpu += ct.Resources.Requests.Cpu().MilliValue()
		mem += ct.Resources.Requests.Memory().Value()
	}
	return cpu, mem
}
