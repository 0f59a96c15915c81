package capi

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
	"github.com/zdt-dev/zdt/harness/internal/kube"
	"github.com/zdt-dev/zdt/model"
)

// Inventory implements harness.Cluster: the live workload cluster as preflight and postflight
// checks see it. Pools and zones of nodes come from their Machines.
func (c *Cluster) Inventory(ctx context.Context) (*model.Inventory, error) {
	machines, err := c.w.mgmt.Resource(c.res.Machines).Namespace(c.w.namespace).
		List(ctx, metav1.ListOptions{LabelSelector: objects.LabelClusterName + "=" + c.w.name})
	if err != nil {
		return nil, fmt.Errorf("inventory: list machines: %w", err)
	}
	pools, zones := map[string]string{}, map[string]string{}
	var noNode []string
	for i := range machines.Items {
		m := &machines.Items[i]
		if n := objects.MachineNode(m); n != "" {
			pools[n] = objects.MachinePool(m)
			zones[n] = objects.Str(m, "spec", "failureDomain")
		} else if !objects.Deleting(m) {
			noNode = append(noNode, m.GetName())
		}
	}
	inv, err := kube.ReadInventory(ctx, c.w.workload, c.opts.AppNamespace, pools, zones)
	if err != nil {
		return nil, err
	}
	inv.MachinesWithoutNode = noNode
	inv.At = c.Now()
	return inv, nil
}

// MachineRef is a Machine and its infrastructure object.
type MachineRef struct {
	Name string
	// Infra is spec.infrastructureRef: the provider's object (a DockerMachine on CAPD).
	InfraGroup, InfraKind, InfraName string
}

// MachinesWithoutNode lists the Cluster's Machines, not being deleted, that Cluster API has not
// matched to a Node (no status.nodeRef): their node, if it runs, is one Cluster API would
// delete without a drain.
func MachinesWithoutNode(ctx context.Context, mgmt dynamic.Interface, namespace, cluster string) ([]MachineRef, error) {
	return machineRefs(ctx, mgmt, namespace, cluster, func(m *unstructured.Unstructured) bool {
		return objects.MachineNode(m) == "" && !objects.Deleting(m)
	})
}

func machineRefs(ctx context.Context, mgmt dynamic.Interface, namespace, cluster string, keep func(*unstructured.Unstructured) bool) ([]MachineRef, error) {
	res := objects.ResourcesAt("")
	machines, err := mgmt.Resource(res.Machines).Namespace(namespace).
		List(ctx, metav1.ListOptions{LabelSelector: objects.LabelClusterName + "=" + cluster})
	if err != nil {
		return nil, fmt.Errorf("list machines: %w", err)
	}
	var out []MachineRef
	for i := range machines.Items {
		m := &machines.Items[i]
		if !keep(m) {
			continue
		}
		group := objects.Str(m, "spec", "infrastructureRef", "apiGroup")
		if group == "" { // v1beta1
			group, _, _ = strings.Cut(objects.Str(m, "spec", "infrastructureRef", "apiVersion"), "/")
		}
		out = append(out, MachineRef{Name: m.GetName(), InfraGroup: group,
			InfraKind: objects.Str(m, "spec", "infrastructureRef", "kind"), InfraName: objects.Str(m, "spec", "infrastructureRef", "name")})
	}
	return out, nil
}
