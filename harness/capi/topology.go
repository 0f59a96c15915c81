package capi

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/zdt-dev/zdt/harness/capi/internal/objects"
)

// Topology is what a management cluster says about one of its Clusters, read-only: the
// version, the control plane size, each worker pool's MachineDeployment with its rollout
// strategy and drain timeout, which node belongs to which pool, and how to reach the workload
// cluster. zdt predict builds its twin from it.
type Topology struct {
	Namespace, Name string
	// Version is spec.topology.version.
	Version string
	// ControlPlaneReplicas is the KubeadmControlPlane's spec.replicas (or the number of control
	// plane Machines when it cannot be read).
	ControlPlaneReplicas int32
	// Pools are the Cluster's MachineDeployments, by topology name.
	Pools []Pool
	// NodePools maps a node to its pool ("" for a control plane node); NodeZones to its
	// Machine's failure domain.
	NodePools, NodeZones map[string]string
	// Unmatched are the Machines (not being deleted) Cluster API has not matched to a Node.
	Unmatched []string
	// Workload reaches the workload cluster, from the Secret <name>-kubeconfig.
	Workload *rest.Config
}

// Pool is one MachineDeployment as its rolling update sees it.
type Pool struct {
	// Name is the topology name (spec.topology.workers.machineDeployments[].name);
	// MachineDeployment is the object's name.
	Name, MachineDeployment string
	Replicas                int32
	// MaxSurge and MaxUnavailable are the rolling update's, Cluster API's defaults (1, 0) when
	// the object leaves them out.
	MaxSurge, MaxUnavailable intstr.IntOrString
	// NodeDrainTimeout bounds a drain; 0 waits for ever.
	NodeDrainTimeout time.Duration
}

// ReadTopology reads the Cluster namespace/name from the management cluster behind mgmt.
// It only gets and lists.
func ReadTopology(ctx context.Context, mgmt *rest.Config, namespace, name string) (*Topology, error) {
	dyn, err := dynamic.NewForConfig(mgmt)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(mgmt)
	if err != nil {
		return nil, fmt.Errorf("management cluster: %w", err)
	}
	return readTopology(ctx, dyn, disc, namespace, name)
}

func readTopology(ctx context.Context, mgmt dynamic.Interface, disc discovery.DiscoveryInterface, ns, name string) (*Topology, error) {
	version, err := servedVersion(disc)
	if err != nil {
		return nil, err
	}
	res := objects.ResourcesAt(version)
	cl, err := mgmt.Resource(res.Clusters).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("cluster %s/%s: %w", ns, name, err)
	}
	t := &Topology{Namespace: ns, Name: name, Version: objects.Str(cl, "spec", "topology", "version"),
		NodePools: map[string]string{}, NodeZones: map[string]string{}}
	if t.Version == "" {
		return nil, fmt.Errorf("cluster %s/%s has no spec.topology: zdt upgrades clusters made from a ClusterClass", ns, name)
	}
	sel := metav1.ListOptions{LabelSelector: objects.LabelClusterName + "=" + name}
	mds, err := mgmt.Resource(res.MachineDeployments).Namespace(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("cluster %s/%s: list machinedeployments: %w", ns, name, err)
	}
	for i := range mds.Items {
		t.Pools = append(t.Pools, poolOf(&mds.Items[i]))
	}
	sort.Slice(t.Pools, func(i, j int) bool { return t.Pools[i].Name < t.Pools[j].Name })
	machines, err := mgmt.Resource(res.Machines).Namespace(ns).List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("cluster %s/%s: list machines: %w", ns, name, err)
	}
	cpMachines := int32(0)
	for i := range machines.Items {
		m := &machines.Items[i]
		if objects.IsControlPlaneMachine(m) {
			cpMachines++
		}
		if n := objects.MachineNode(m); n != "" {
			t.NodePools[n] = objects.MachinePool(m)
			t.NodeZones[n] = objects.Str(m, "spec", "failureDomain")
		} else if !objects.Deleting(m) {
			t.Unmatched = append(t.Unmatched, m.GetName())
		}
	}
	t.ControlPlaneReplicas = cpMachines
	if ref := objects.Str(cl, "spec", "controlPlaneRef", "name"); ref != "" {
		if kcp, err := mgmt.Resource(res.KubeadmControlPlanes).Namespace(ns).Get(ctx, ref, metav1.GetOptions{}); err == nil {
			if n, ok := objects.Num(kcp, "spec", "replicas"); ok {
				t.ControlPlaneReplicas = int32(n)
			}
		}
	}
	kc, err := WorkloadKubeconfig(ctx, mgmt, ns, name)
	if err != nil {
		return nil, err
	}
	if t.Workload, err = clientcmd.RESTConfigFromKubeConfig(kc); err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig: %w", err)
	}
	return t, nil
}

// poolOf reads a MachineDeployment's rollout in either API version's shape: v1beta2
// spec.rollout.strategy.rollingUpdate and spec.template.spec.deletion.nodeDrainTimeoutSeconds,
// v1beta1 spec.strategy.rollingUpdate and spec.template.spec.nodeDrainTimeout.
func poolOf(md *unstructured.Unstructured) Pool {
	p := Pool{MachineDeployment: md.GetName(), Name: md.GetLabels()[objects.LabelTopologyMDName],
		MaxSurge: intstr.FromInt32(1), MaxUnavailable: intstr.FromInt32(0)}
	if p.Name == "" {
		p.Name = md.GetName()
	}
	if n, ok := objects.Num(md, "spec", "replicas"); ok {
		p.Replicas = int32(n)
	}
	for _, path := range [][]string{{"spec", "rollout", "strategy", "rollingUpdate"}, {"spec", "strategy", "rollingUpdate"}} {
		ru, ok, _ := unstructured.NestedMap(md.Object, path...)
		if !ok {
			continue
		}
		if v, ok := intOrString(ru["maxSurge"]); ok {
			p.MaxSurge = v
		}
		if v, ok := intOrString(ru["maxUnavailable"]); ok {
			p.MaxUnavailable = v
		}
		break
	}
	if s, ok := objects.Num(md, "spec", "template", "spec", "deletion", "nodeDrainTimeoutSeconds"); ok {
		p.NodeDrainTimeout = time.Duration(s) * time.Second
	} else if d, err := time.ParseDuration(objects.Str(md, "spec", "template", "spec", "nodeDrainTimeout")); err == nil {
		p.NodeDrainTimeout = d
	}
	return p
}

func intOrString(v any) (intstr.IntOrString, bool) {
	switch x := v.(type) {
	case int64:
		return intstr.FromInt32(int32(x)), true
	case float64:
		return intstr.FromInt32(int32(x)), true
	case string:
		return intstr.Parse(x), true
	}
	return intstr.IntOrString{}, false
}
