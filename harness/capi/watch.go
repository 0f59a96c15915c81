package capi

import (
	"context"
	"fmt"
	"time"

	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/harness/internal/kube"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
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
		func(o *metav1.ListOptions) { o.LabelSelector = objects.LabelClusterName + "=" + c.w.name })
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
	tick := c.w.clock.NewTicker(c.opts.StateInterval)
	defer tick.Stop()
	for {
		c.sampleState(ctx, l)
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
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
	s := kube.StateFrom(c.Now(), typed[*appsv1.Deployment](l.deps), typed[*corev1.Pod](l.pods),
		typed[*discoveryv1.EndpointSlice](l.slices), typed[*policyv1.PodDisruptionBudget](l.pdbs),
		typed[*corev1.Node](l.nodes), c.opts.AppNamespace)
	s.APIAvailable = c.apiAnswers(ctx)
	if err := c.rec.State(s); err != nil {
		c.tl.Fail(err)
	}
}

// apiAnswers reports whether the workload cluster's API answers /version within a second.
func (c *Cluster) apiAnswers(ctx context.Context) bool {
	done := make(chan bool, 1)
	go func() {
		_, err := c.w.workload.Discovery().ServerVersion()
		done <- err == nil
	}()
	t := c.w.clock.NewTimer(time.Second)
	defer t.Stop()
	select {
	case ok := <-done:
		return ok
	case <-t.C():
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
