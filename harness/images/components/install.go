package components

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// InstallOptions configure Install.
type InstallOptions struct {
	// Timeout bounds each wait: CRDs established, Deployments available (default 5 minutes).
	Timeout time.Duration
	// Log receives a line per step; nil discards them.
	Log io.Writer
	// Now is the clock certificates are issued by (time.Now if nil).
	Now func() time.Time
}

// FieldManager is the server-side apply field manager of the objects zdt installs.
const FieldManager = "zdt"

// InstallManifests installs providers' components (as Generate renders them) into the cluster
// of cfg without cert-manager: one CA for this install, webhook serving Secrets issued by it,
// its bundle injected (Prepare), then every object applied server-side (Install).
func InstallManifests(ctx context.Context, cfg *rest.Config, manifests [][]byte, opts InstallOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	ca, err := NewCA(now())
	if err != nil {
		return err
	}
	var all []*unstructured.Unstructured
	for _, m := range manifests {
		objs, err := Parse(m)
		if err != nil {
			return err
		}
		all = append(all, objs...)
	}
	prepared, err := Prepare(all, ca, now())
	if err != nil {
		return err
	}
	return Install(ctx, cfg, prepared, opts)
}

// Install applies objs server-side, namespaces and CRDs first (waiting until every CRD is
// established) and webhook configurations last, then waits until every Deployment among them
// is available.
func Install(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, opts InstallOptions) error {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("make a client: %w", err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return fmt.Errorf("make a discovery client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))
	ordered := append([]*unstructured.Unstructured(nil), objs...)
	sort.SliceStable(ordered, func(i, j int) bool { return applyRank(ordered[i]) < applyRank(ordered[j]) })

	var crds []string
	applied := 0
	for _, o := range ordered {
		if applyRank(o) >= 2 && len(crds) > 0 {
			logf("waiting for %d CRDs to be established", len(crds))
			if err := waitEstablished(ctx, dyn, crds, opts.Timeout); err != nil {
				return err
			}
			mapper.Reset()
			crds = nil
		}
		if err := apply(ctx, dyn, mapper, o); err != nil {
			return err
		}
		applied++
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o.GetName())
		}
	}
	logf("applied %d objects", applied)
	for _, o := range ordered {
		if o.GetKind() != "Deployment" {
			continue
		}
		logf("waiting for Deployment %s/%s to be available", o.GetNamespace(), o.GetName())
		if err := waitAvailable(ctx, dyn, o.GetNamespace(), o.GetName(), opts.Timeout); err != nil {
			return err
		}
	}
	return nil
}

// applyRank orders objects for applying: namespaces, CRDs, the rest, webhook configurations.
func applyRank(o *unstructured.Unstructured) int {
	switch o.GetKind() {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return 3
	default:
		return 2
	}
}

func apply(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured) error {
	gvk := o.GroupVersionKind()
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return fmt.Errorf("find the resource of %s %s: %w", gvk.Kind, o.GetName(), err)
	}
	var client dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		client = dyn.Resource(mapping.Resource).Namespace(o.GetNamespace())
	}
	if _, err := client.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

var (
	crdResource        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	deploymentResource = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// waitEstablished waits until every CRD of names is established.
func waitEstablished(ctx context.Context, dyn dynamic.Interface, names []string, timeout time.Duration) error {
	for _, name := range names {
		err := poll(ctx, timeout, func() (bool, string, error) {
			crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			return conditionTrue(crd, "Established"), "not established", nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s: %w", name, err)
		}
	}
	return nil
}

// waitAvailable waits until a Deployment has all its replicas available.
func waitAvailable(ctx context.Context, dyn dynamic.Interface, namespace, name string, timeout time.Duration) error {
	err := poll(ctx, timeout, func() (bool, string, error) {
		d, err := dyn.Resource(deploymentResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		want, found, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
		if !found {
			want = 1
		}
		have, _, _ := unstructured.NestedInt64(d.Object, "status", "availableReplicas")
		return have >= want && conditionTrue(d, "Available"), fmt.Sprintf("%d of %d replicas available", have, want), nil
	})
	if err != nil {
		return fmt.Errorf("Deployment %s/%s: %w", namespace, name, err)
	}
	return nil
}

func conditionTrue(o *unstructured.Unstructured, condition string) bool {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == condition && m["status"] == "True" {
			return true
		}
	}
	return false
}

// poll calls cond every second until it is done or timeout passes; the error then carries
// cond's last error or detail.
func poll(ctx context.Context, timeout time.Duration, cond func() (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		done, detail, err := cond()
		if err == nil && done {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = detail
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s (%s): %w", timeout, last, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}
