package capi

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// Controller-runtime's clients (zdt's and those of Cluster API's test framework) log through
// klog, as client-go does. Without a logger set, controller-runtime prints a stack trace at the
// first client it makes.
func init() { ctrllog.SetLogger(klog.NewKlogr()) }

// scheme holds Kubernetes' built-in types and Cluster API's own (v1beta2: Clusters, Machines,
// MachineDeployments, KubeadmControlPlanes), for typed clients of the management cluster.
var scheme = sync.OnceValue(func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(clusterv1.AddToScheme(s))
	utilruntime.Must(controlplanev1.AddToScheme(s))
	return s
})

// Scheme returns the scheme of Cluster API's types zdt reads (the one Cluster API's test
// framework's ClusterProxy takes).
func Scheme() *runtime.Scheme { return scheme() }

// NewClient returns a controller-runtime client of a management cluster that reads and writes
// Cluster API's types.
func NewClient(cfg *rest.Config) (client.Client, error) {
	c, err := client.New(cfg, client.Options{Scheme: scheme()})
	if err != nil {
		return nil, fmt.Errorf("management cluster client: %w", err)
	}
	return c, nil
}

// ClusterMachines lists the Machines of the Cluster namespace/cluster, control plane and
// workers, those being deleted included.
func ClusterMachines(ctx context.Context, c client.Reader, namespace, cluster string) ([]clusterv1.Machine, error) {
	var ms clusterv1.MachineList
	if err := c.List(ctx, &ms, client.InNamespace(namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: cluster}); err != nil {
		return nil, fmt.Errorf("list machines of %s/%s: %w", namespace, cluster, err)
	}
	return ms.Items, nil
}

// DeletingMachines lists the Cluster's Machines being deleted (drained, then removed).
func DeletingMachines(ctx context.Context, c client.Reader, namespace, cluster string) ([]clusterv1.Machine, error) {
	ms, err := ClusterMachines(ctx, c, namespace, cluster)
	if err != nil {
		return nil, err
	}
	out := ms[:0]
	for _, m := range ms {
		if !m.DeletionTimestamp.IsZero() {
			out = append(out, m)
		}
	}
	return out, nil
}
