package capi

import (
	"context"
	"fmt"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/zdt-dev/zdt/model"
)

// syncTimeout bounds the informers' first list.
const syncTimeout = 2 * time.Minute

// listers are the informer caches the state sampler reads.
type listers struct {
	nodes  cache.Indexer
	pods   cache.Indexer
	deps   cache.Indexer
	pdbs   cache.Indexer
	slices cache.Indexer
}

// watch runs the informers that feed the timeline and the state sampler until ctx ends. It
// reports on ready once the caches are synced (or why they are not).
func (c *Cluster) watch(ctx context.Context, ready chan<- error) {
	mgmt := dynamicinformer.NewFilteredDynamicSharedInformerFactory(c.w.mgmt, 0, c.w.namespace,
		func(o *metav1.ListOptions) { o.LabelSelector = labelClusterName + "=" + c.w.name })
	machines := mgmt.ForResource(c.res.Machines).Informer()
	all := informers.NewSharedInformerFactory(c.w.workload, 0)
	app := informers.NewSharedInformerFactoryWithOptions(c.w.workload, 0, informers.WithNamespace(c.opts.AppNamespace))
	nodes := all.Core().V1().Nodes().Informer()
	pods := all.Core().V1().Pods().Informer()
	slices := app.Discovery().V1().EndpointSlices().Informer()
	pdbs := app.Policy().V1().PodDisruptionBudgets().Informer()
	deps := app.Apps().V1().Deployments().Informer()
	tl := c.tl

	handlers := []struct {
		inf cache.SharedIndexInformer
		h   cache.ResourceEventHandler
	}{
		{machines, cache.ResourceEventHandlerDetailedFuncs{
			AddFunc: func(obj any, initial bool) {
				if u, ok := obj.(*unstructured.Unstructured); ok {
					tl.OnMachine(u, initial)
				}
			},
			UpdateFunc: func(_, obj any) {
				if u, ok := obj.(*unstructured.Unstructured); ok {
					tl.OnMachine(u, false)
				}
			},
			DeleteFunc: func(obj any) { tl.OnMachineDeleted(objectName(obj)) },
		}},
		{nodes, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onTyped(obj, tl.OnNode) },
			UpdateFunc: func(_, obj any) { onTyped(obj, tl.OnNode) },
			DeleteFunc: func(obj any) { tl.OnNodeDeleted(objectName(obj)) },
		}},
		{pods, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { c.onAppPod(obj) },
			UpdateFunc: func(_, obj any) { c.onAppPod(obj) },
			DeleteFunc: func(obj any) {
				if ns, name := objectKey(obj); ns == c.opts.AppNamespace {
					tl.OnPodDeleted(ns, name)
				}
			},
		}},
		{slices, cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { onTyped(obj, tl.OnEndpointSlice) },
			UpdateFunc: func(_, obj any) { onTyped(obj, tl.OnEndpointSlice) },
			DeleteFunc: func(obj any) {
				if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				if es, ok := obj.(*discoveryv1.EndpointSlice); ok {
					tl.OnEndpointSliceDeleted(es.Namespace, es.Name, es.Labels[discoveryv1.LabelServiceName])
				}
			},
		}},
	}
	for _, h := range handlers {
		if _, err := h.inf.AddEventHandler(h.h); err != nil {
			ready <- fmt.Errorf("watch cluster: %w", err)
			return
		}
	}
	mgmt.Start(ctx.Done())
	all.Start(ctx.Done())
	app.Start(ctx.Done())
	defer mgmt.Shutdown()
	defer all.Shutdown()
	defer app.Shutdown()

	syncCtx, cancel := context.WithTimeout(ctx, syncTimeout)
	synced := cache.WaitForCacheSync(syncCtx.Done(), machines.HasSynced, nodes.HasSynced, pods.HasSynced,
		slices.HasSynced, pdbs.HasSynced, deps.HasSynced)
	cancel()
	if !synced {
		ready <- fmt.Errorf("watch cluster: caches not synced within %s", syncTimeout)
		return
	}
	ready <- nil

	l := &listers{nodes: nodes.GetIndexer(), pods: pods.GetIndexer(), deps: deps.GetIndexer(), pdbs: pdbs.GetIndexer(), slices: slices.GetIndexer()}
	tick := time.NewTicker(c.opts.StateInterval)
	defer tick.Stop()
	for {
		c.sampleState(ctx, l)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (c *Cluster) onAppPod(obj any) {
	if p, ok := obj.(*corev1.Pod); ok && p.Namespace == c.opts.AppNamespace {
		c.tl.OnPod(p)
	}
}

// onTyped calls fn with obj when it has fn's type.
func onTyped[T any](obj any, fn func(T)) {
	if o, ok := obj.(T); ok {
		fn(o)
	}
}

// objectKey returns the namespace and name of an object, or of a tombstone's object.
func objectKey(obj any) (string, string) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if o, ok := obj.(metav1.Object); ok {
		return o.GetNamespace(), o.GetName()
	}
	return "", ""
}

func objectName(obj any) string {
	_, n := objectKey(obj)
	return n
}

// sampleState records one state sample from the informer caches, and whether the API answers.
func (c *Cluster) sampleState(ctx context.Context, l *listers) {
	s := stateFrom(c.Now(), typed[*appsv1.Deployment](l.deps), typed[*corev1.Pod](l.pods),
		typed[*discoveryv1.EndpointSlice](l.slices), typed[*policyv1.PodDisruptionBudget](l.pdbs),
		typed[*corev1.Node](l.nodes), c.opts.AppNamespace)
	s.APIAvailable = c.apiAnswers(ctx)
	if err := c.rec.State(s); err != nil && c.tl.Err() == nil {
		c.tl.mu.Lock()
		c.tl.err = err
		c.tl.mu.Unlock()
	}
}

// apiAnswers reports whether the workload cluster's API answers /version within a second.
func (c *Cluster) apiAnswers(ctx context.Context) bool {
	done := make(chan bool, 1)
	go func() {
		_, err := c.w.workload.Discovery().ServerVersion()
		done <- err == nil
	}()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case ok := <-done:
		return ok
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func typed[T any](idx cache.Indexer) []T {
	var out []T
	for _, o := range idx.List() {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// stateFrom computes a state sample from the workload cluster's objects: per Deployment of
// namespace, its ready replicas, ready endpoints and PDB floor; Ready nodes by kubelet
// version; schedulable workers and the requests still free on them.
func stateFrom(at time.Duration, deps []*appsv1.Deployment, pods []*corev1.Pod, slices []*discoveryv1.EndpointSlice,
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
		cpu, mem := podRequests(&p.Spec)
		u := used[p.Spec.NodeName]
		used[p.Spec.NodeName] = [2]int64{u[0] + cpu, u[1] + mem}
	}
	for _, n := range nodes {
		if !nodeReady(n) {
			continue
		}
		s.NodesByVersion[n.Status.NodeInfo.KubeletVersion]++
		if _, cp := n.Labels[labelNodeControlPlan]; cp || n.Spec.Unschedulable {
			continue
		}
		s.SchedulableNodes++
		u := used[n.Name]
		s.FreeCPUMilli += n.Status.Allocatable.Cpu().MilliValue() - u[0]
		s.FreeMemoryBytes += n.Status.Allocatable.Memory().Value() - u[1]
	}
	return s
}

// podRequests sums the CPU (milli) and memory requests of a pod's containers.
func podRequests(spec *corev1.PodSpec) (int64, int64) {
	var cpu, mem int64
	for _, ct := range spec.Containers {
		cpu += ct.Resources.Requests.Cpu().MilliValue()
		mem += ct.Resources.Requests.Memory().Value()
	}
	return cpu, mem
}
