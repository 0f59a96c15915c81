package capi

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	for i := range machines.Items {
		m := &machines.Items[i]
		if n := objects.MachineNode(m); n != "" {
			pools[n] = objects.MachinePool(m)
			zones[n] = objects.Str(m, "spec", "failureDomain")
		}
	}
	inv, err := kube.ReadInventory(ctx, c.w.workload, c.opts.AppNamespace, pools, zones)
	if err != nil {
		return nil, err
	}
	inv.At = c.Now()
	return inv, nil
}
