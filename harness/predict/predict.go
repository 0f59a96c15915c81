// Package predict is zdt's digital twin of a live cluster (zdt predict): it reads the cluster
// read-only (nodes and their pools, allocatable capacity, the Deployments, StatefulSets,
// DaemonSets, PDBs with their live status, Services and HPAs), builds the scenario of its next
// upgrade, and plays it on the simulator over many seeds to say, per workload, where requests
// would drop, which PDB would stall a drain, how low ready replicas would go, and how long the
// upgrade would take.
package predict

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/capi"
	"github.com/zdt-dev/zdt/harness/preflight"
	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/harness/sweep"
	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/importer"
)

// poolLabels name a node's pool, tried in order: Cluster API's MachineDeployment, then the
// managed services' node pools.
var poolLabels = []string{
	"cluster.x-k8s.io/deployment-name",
	"eks.amazonaws.com/nodegroup",
	"kubernetes.azure.com/agentpool",
	"cloud.google.com/gke-nodepool",
}

// systemNamespaces hold the cluster's own pods, which the twin leaves out (listed).
func systemNamespace(ns string) bool { return strings.HasPrefix(ns, "kube-") }

// Twin is the scenario read from a live cluster, with what the reading assumed and left out.
type Twin struct {
	*importer.Result
	// Notes are about the cluster itself: pools, control plane, PDBs blocking now.
	Notes []string
}

// Read builds the twin of the cluster behind cs. It only lists objects. topo, when the
// cluster's management cluster was read (zdt predict --cluster), gives the pools as its
// MachineDeployments with their rollout strategies and drain timeouts, the control plane size
// and the version; without it pools come from node labels and roll with Cluster API's defaults.
func Read(ctx context.Context, cs kubernetes.Interface, base *scenarios.Scenario, to string, topo *capi.Topology) (*Twin, error) {
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	tw := &Twin{}
	var cp []corev1.Node
	pools := map[string][]corev1.Node{}
	var from *utilversion.Version
	for _, n := range nodes.Items {
		if v, err := utilversion.ParseGeneric(n.Status.NodeInfo.KubeletVersion); err == nil && (from == nil || v.LessThan(from)) {
			from = v
		}
		if isControlPlane(&n, topo) {
			cp = append(cp, n)
			continue
		}
		name := poolOfNode(&n, topo)
		pools[name] = append(pools[name], n)
	}
	if len(nodes.Items) == 0 {
		return nil, fmt.Errorf("the cluster has no node")
	}
	if len(pools) == 0 {
		// A cluster whose workloads run on its control plane (a kind cluster): its one node
		// is modelled as a pool too, as the upgrade replaces it under the workloads.
		pools["control-plane"] = cp
		tw.Notes = append(tw.Notes, fmt.Sprintf("no worker node: the workloads run on the control plane, modelled as a pool of %d node(s) replaced one at a time", len(cp)))
	}

	if topo != nil {
		for _, m := range topo.Unmatched {
			tw.Notes = append(tw.Notes, fmt.Sprintf("Machine %s/%s has no Node in Cluster API's view (no status.nodeRef): the twin has only the nodes that exist; the real rollout waits for it and deletes it without a drain (zdt preflight fails on it)", topo.Namespace, m))
		}
	}
	b := *base
	b.Spec.Cluster = scenarios.Cluster{}
	replicas := int32(len(cp))
	if topo != nil && topo.ControlPlaneReplicas > 0 {
		replicas = topo.ControlPlaneReplicas
	}
	if replicas%2 == 0 {
		// The simulator models an odd control plane, as kubeadm's etcd quorum wants it.
		tw.Notes = append(tw.Notes, fmt.Sprintf("%d control plane node(s): modelled as %d", replicas, replicas+1))
		replicas++
	}
	b.Spec.Cluster.ControlPlane.Replicas = &replicas
	zones := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(pools)) {
		ns := pools[name]
		n := ns[0]
		p := scenarios.WorkerPool{Name: poolName(name), Replicas: ptr(int32(len(ns)))}
		alloc := n.Status.Allocatable
		p.Capacity = &scenarios.Capacity{}
		if q, ok := alloc[corev1.ResourceCPU]; ok {
			p.Capacity.CPU = ptr(q.DeepCopy())
		}
		if q, ok := alloc[corev1.ResourceMemory]; ok {
			p.Capacity.Memory = ptr(q.DeepCopy())
		}
		if q, ok := alloc[corev1.ResourcePods]; ok {
			p.Capacity.Pods = ptr(int32(q.Value()))
		}
		var pz []string
		for _, m := range ns {
			z := m.Labels["topology.kubernetes.io/zone"]
			if z == "" && topo != nil {
				z = topo.NodeZones[m.Name]
			}
			if z != "" && !slices.Contains(pz, z) {
				pz = append(pz, z)
				zones[z] = true
			}
		}
		sort.Strings(pz)
		p.Zones = pz
		b.Spec.Cluster.WorkerPools = append(b.Spec.Cluster.WorkerPools, p)
		if md := topologyPool(topo, name); md != nil {
			wp := &b.Spec.Cluster.WorkerPools[len(b.Spec.Cluster.WorkerPools)-1]
			wp.MaxSurge, wp.MaxUnavailable = ptr(md.MaxSurge), ptr(md.MaxUnavailable)
			wp.NodeDrainTimeout = &metav1.Duration{Duration: md.NodeDrainTimeout}
			drain := "none (waits for ever)"
			if md.NodeDrainTimeout > 0 {
				drain = md.NodeDrainTimeout.String()
			}
			tw.Notes = append(tw.Notes, fmt.Sprintf("pool %s: MachineDeployment %s/%s, %d node(s), %s CPU, %s memory allocatable each; maxSurge %s, maxUnavailable %s, nodeDrainTimeout %s",
				p.Name, topo.Namespace, md.MachineDeployment, len(ns), qty(p.Capacity.CPU), qty(p.Capacity.Memory), md.MaxSurge.String(), md.MaxUnavailable.String(), drain))
			continue
		}
		// Cluster API's defaults; a MachineDeployment's own are read with --cluster.
		wp := &b.Spec.Cluster.WorkerPools[len(b.Spec.Cluster.WorkerPools)-1]
		wp.MaxSurge, wp.MaxUnavailable = ptr(intstr.FromInt32(1)), ptr(intstr.FromInt32(0))
		tw.Notes = append(tw.Notes, fmt.Sprintf("pool %s: %d node(s), %s CPU, %s memory allocatable each; rolled with Cluster API's defaults (maxSurge 1, maxUnavailable 0) unless the scenario is edited", p.Name, len(ns), qty(p.Capacity.CPU), qty(p.Capacity.Memory)))
	}
	for z := range zones {
		b.Spec.Cluster.Zones = append(b.Spec.Cluster.Zones, z)
	}
	sort.Strings(b.Spec.Cluster.Zones)
	switch {
	case topo != nil:
		b.Spec.Versions.From = topo.Version
	case from != nil:
		b.Spec.Versions.From = "v" + from.String()
	}
	b.Spec.Versions.Via = nil

	objs, blocking, err := readObjects(ctx, cs)
	if err != nil {
		return nil, err
	}
	tw.Notes = append(tw.Notes, blocking...)
	res, err := importer.Import(objs, importer.Options{Base: &b, To: to, Name: "twin"})
	if err != nil {
		return nil, err
	}
	res.Scenario.Metadata.Description = fmt.Sprintf("The digital twin of a live cluster (%d nodes, %d workloads) upgraded to %s.", len(nodes.Items), len(res.Scenario.Spec.Workloads), to)
	tw.Result = res
	return tw, nil
}

// readObjects lists what the importer maps, outside the system namespaces, and the PDBs that
// allow no disruption right now.
func readObjects(ctx context.Context, cs kubernetes.Interface) ([]importer.Object, []string, error) {
	var objs []importer.Object
	var notes []string
	skipped := 0
	deps, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list deployments: %w", err)
	}
	for i := range deps.Items {
		o := &deps.Items[i]
		if systemNamespace(o.Namespace) {
			skipped++
			continue
		}
		objs = append(objs, importer.Object{Obj: o, Kind: "Deployment", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
	}
	sts, err := cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list statefulsets: %w", err)
	}
	for i := range sts.Items {
		o := &sts.Items[i]
		if !systemNamespace(o.Namespace) {
			objs = append(objs, importer.Object{Obj: o, Kind: "StatefulSet", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
		}
	}
	dss, err := cs.AppsV1().DaemonSets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list daemonsets: %w", err)
	}
	for i := range dss.Items {
		o := &dss.Items[i]
		if !systemNamespace(o.Namespace) {
			objs = append(objs, importer.Object{Obj: o, Kind: "DaemonSet", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
		}
	}
	pdbs, err := cs.PolicyV1().PodDisruptionBudgets("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list poddisruptionbudgets: %w", err)
	}
	for i := range pdbs.Items {
		o := &pdbs.Items[i]
		if systemNamespace(o.Namespace) {
			continue
		}
		objs = append(objs, importer.Object{Obj: o, Kind: "PodDisruptionBudget", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
		if o.Status.ObservedGeneration > 0 && o.Status.DisruptionsAllowed == 0 {
			notes = append(notes, fmt.Sprintf("PodDisruptionBudget %s/%s allows no disruption now (%d healthy, %d desired): a drain of a node with its pods stalls", o.Namespace, o.Name, o.Status.CurrentHealthy, o.Status.DesiredHealthy))
		}
	}
	svcs, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list services: %w", err)
	}
	for i := range svcs.Items {
		o := &svcs.Items[i]
		if !systemNamespace(o.Namespace) {
			objs = append(objs, importer.Object{Obj: o, Kind: "Service", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
		}
	}
	hpas, err := cs.AutoscalingV2().HorizontalPodAutoscalers("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("list horizontalpodautoscalers: %w", err)
	}
	for i := range hpas.Items {
		o := &hpas.Items[i]
		if !systemNamespace(o.Namespace) {
			objs = append(objs, importer.Object{Obj: o, Kind: "HorizontalPodAutoscaler", Name: o.Namespace + "/" + o.Name, Source: "cluster"})
		}
	}
	if skipped > 0 {
		notes = append(notes, fmt.Sprintf("%d Deployment(s) in kube-* namespaces left out: the cluster's own add-ons, not workloads load is sent to", skipped))
	}
	return objs, notes, nil
}

// Prediction is one workload's predicted upgrade over the seeds.
type Prediction struct {
	Workload string
	// MaxDropped is the worst seed's dropped requests to it (0 when it gets no load).
	MaxDropped int64
	// Stall is the longest drain stall on its PDB, with the PDB's name.
	StallSeconds float64
	PDB          string
	// MinReady and Desired are its lowest ready replicas over the seeds.
	MinReady, Desired int
}

// Outcome is the twin's prediction.
type Outcome struct {
	Passed, Failed, Inconclusive int
	Workloads                    []Prediction
	MaxUpgradeSeconds            float64
	// Failures are the failed criteria of the lowest failing seed, with cause and fix.
	Failures []report.Criterion
	Seed     int64
	// Preflight are the checks that would fail before the upgrade and stop it: zdt run of the
	// twin stops there; the prediction plays on past them.
	Preflight []string
}

// Play runs the twin's scenario over seeds on the simulator. The preflight checks do not stop
// it: a failing check would keep the upgrade from starting, and the prediction is of what the
// upgrade would do; their failures are in Outcome.Preflight.
func Play(ctx context.Context, twin *scenarios.Scenario, seeds, parallel int) (*Outcome, error) {
	out := &Outcome{Seed: -1}
	played := *twin
	played.Spec.Preflight = &scenarios.PreflightSpec{}
	for _, c := range preflight.Checks() {
		played.Spec.Preflight.Ignore = append(played.Spec.Preflight.Ignore, c.Name)
	}
	sc := &played
	by := map[string]*Prediction{}
	for _, w := range sc.Spec.Workloads {
		p := &Prediction{Workload: w.Name, MinReady: -1}
		by[w.Name] = p
		out.Workloads = append(out.Workloads, Prediction{})
	}
	var mu sync.Mutex
	judge := func(s *scenarios.Scenario, info *model.RunInfo, data *report.Judging) sweep.Verdict {
		r := data.Report(info)
		mu.Lock()
		defer mu.Unlock()
		for _, t := range r.Requests.ByTarget {
			if p := by[t.Target]; p != nil {
				p.MaxDropped = max(p.MaxDropped, t.Dropped)
			}
		}
		for _, st := range r.PDBStalls.Stalls {
			for _, p := range by {
				if p.PDB == "" || p.PDB == st.PDB {
					if pdbOf(s, p.Workload) == st.PDB && st.Seconds > p.StallSeconds {
						p.StallSeconds, p.PDB = st.Seconds, st.PDB
					}
				}
			}
		}
		for _, c := range r.Capacity.Workloads {
			if p := by[c.Workload]; p != nil && (p.MinReady < 0 || c.MinReady < p.MinReady) {
				p.MinReady, p.Desired = c.MinReady, c.Desired
			}
		}
		out.MaxUpgradeSeconds = max(out.MaxUpgradeSeconds, r.UpgradeSeconds)
		if out.Preflight == nil {
			out.Preflight = []string{}
			for _, c := range r.Preflight {
				if msg, ok := strings.CutPrefix(c.Message, "ignored by spec.preflight.ignore: "); ok {
					out.Preflight = append(out.Preflight, c.Name+": "+msg+" (fix: "+c.Fix+")")
				}
			}
		}
		if r.Verdict == report.Fail && (out.Seed < 0 || *s.Spec.Seed < out.Seed) {
			out.Seed = *s.Spec.Seed
			out.Failures = nil
			for _, c := range r.Criteria {
				if c.Outcome == report.OutcomeFail {
					out.Failures = append(out.Failures, c)
				}
			}
		}
		return sweep.VerdictOf(r)
	}
	res, err := sweep.Run(ctx, sc, sim.NewProvider(), judge, sweep.Options{Seeds: seeds, FirstSeed: *sc.Spec.Seed, Parallel: parallel})
	if err != nil {
		return nil, err
	}
	if res.HarnessErrors > 0 {
		return nil, fmt.Errorf("%d seed(s) stopped by a harness error: %s", res.HarnessErrors, res.Errors[0].Error)
	}
	out.Passed, out.Failed, out.Inconclusive = res.Passed, res.Failed, res.Inconclusive
	for i, w := range sc.Spec.Workloads {
		out.Workloads[i] = *by[w.Name]
	}
	return out, nil
}

func pdbOf(sc *scenarios.Scenario, workload string) string {
	for _, w := range sc.Spec.Workloads {
		if w.Name == workload && w.PDB != nil {
			if w.PDB.Name != "" {
				return w.PDB.Name
			}
			return w.Name
		}
	}
	return ""
}

// isControlPlane: by its Machine when the management cluster was read, by its role label otherwise.
func isControlPlane(n *corev1.Node, topo *capi.Topology) bool {
	if topo != nil {
		if p, ok := topo.NodePools[n.Name]; ok {
			return p == ""
		}
	}
	_, ok := n.Labels["node-role.kubernetes.io/control-plane"]
	return ok
}

// poolOfNode names a worker's pool: its Machine's MachineDeployment when the management
// cluster was read, the first pool label it carries otherwise.
func poolOfNode(n *corev1.Node, topo *capi.Topology) string {
	if topo != nil {
		if p := topo.NodePools[n.Name]; p != "" {
			return p
		}
	}
	for _, l := range poolLabels {
		if v := n.Labels[l]; v != "" {
			return v
		}
	}
	return "workers"
}

// topologyPool is the MachineDeployment of a pool, or nil.
func topologyPool(topo *capi.Topology, name string) *capi.Pool {
	if topo == nil {
		return nil
	}
	for i := range topo.Pools {
		if topo.Pools[i].Name == name {
			return &topo.Pools[i]
		}
	}
	return nil
}

func poolName(label string) string {
	s := strings.ToLower(label)
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Trim(s, "-")
}

func qty(q *resource.Quantity) string {
	if q == nil {
		return "?"
	}
	return q.String()
}

func ptr[T any](v T) *T { return &v }
