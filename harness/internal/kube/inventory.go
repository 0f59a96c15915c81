package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

// cniDaemonSets are the DaemonSets (in kube-system, or a namespace of their own name) zdt
// recognises as the cluster's CNI.
var cniDaemonSets = []string{"zdt-routeagent", "kube-flannel-ds", "kindnet", "calico-node", "cilium", "weave-net", "antrea-agent"}

// systemComponents maps the label values of kube-system pods to the component names of
// model.SystemPod: static pods carry component=..., add-ons k8s-app=....
var systemComponents = map[string]string{
	"kube-apiserver": "kube-apiserver", "kube-controller-manager": "kube-controller-manager",
	"kube-scheduler": "kube-scheduler", "etcd": "etcd", "kube-proxy": "kube-proxy", "kube-dns": "coredns",
}

// lastApplied is the annotation kubectl apply leaves, holding the manifest as it was written.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// ReadInventory reads the inventory of a workload cluster: its nodes (with the pool and zone
// given by node name, when known), the Deployments, PDBs and pods of namespace, the kube-system
// components and their versions, the CNI and CoreDNS health, and the objects of namespace for
// the removed-API check.
func ReadInventory(ctx context.Context, cs kubernetes.Interface, namespace string, pools, zones map[string]string) (*model.Inventory, error) {
	inv := &model.Inventory{}
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		inv.APIAvailable, inv.APIServerVersion = true, v.GitVersion
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list nodes: %w", err)
	}
	allPods, err := cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list pods: %w", err)
	}
	deps, err := cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list deployments: %w", err)
	}
	pdbs, err := cs.PolicyV1().PodDisruptionBudgets(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list pod disruption budgets: %w", err)
	}
	svcs, err := cs.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list services: %w", err)
	}

	// Nodes, with the requests of the pods bound to them.
	type use struct {
		cpu, mem int64
		pods     int
	}
	used := map[string]use{}
	for i := range allPods.Items {
		p := &allPods.Items[i]
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		cpu, mem := PodRequests(&p.Spec)
		u := used[p.Spec.NodeName]
		used[p.Spec.NodeName] = use{u.cpu + cpu, u.mem + mem, u.pods + 1}
		inv.Usage.CPUMilli += cpu
		inv.Usage.MemoryBytes += mem
		inv.Usage.Pods++
	}
	for _, n := range nodes.Items {
		ni := model.NodeInfo{
			Name: n.Name, Role: model.RoleWorker, Pool: pools[n.Name], Zone: n.Labels[corev1.LabelTopologyZone],
			Version: n.Status.NodeInfo.KubeletVersion, Ready: NodeReady(&n), Unschedulable: n.Spec.Unschedulable,
			AllocatableCPUMilli: n.Status.Allocatable.Cpu().MilliValue(), AllocatableMemory: n.Status.Allocatable.Memory().Value(),
			AllocatablePods:   int(n.Status.Allocatable.Pods().Value()),
			RequestedCPUMilli: used[n.Name].cpu, RequestedMemory: used[n.Name].mem, Pods: used[n.Name].pods,
		}
		if _, ok := n.Labels[LabelControlPlaneNode]; ok {
			ni.Role, ni.Pool = model.RoleControlPlane, ""
		}
		if ni.Zone == "" {
			ni.Zone = zones[n.Name]
		}
		inv.Nodes = append(inv.Nodes, ni)
	}
	sort.Slice(inv.Nodes, func(i, j int) bool { return inv.Nodes[i].Name < inv.Nodes[j].Name })

	// Workloads and their pods.
	for i := range deps.Items {
		d := &deps.Items[i]
		inv.Workloads = append(inv.Workloads, workloadInfo(d, svcs.Items))
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			continue
		}
		for j := range allPods.Items {
			p := &allPods.Items[j]
			if p.Namespace != namespace || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			inv.Pods = append(inv.Pods, model.PodInfo{Name: p.Name, Workload: d.Name, Node: p.Spec.NodeName,
				Ready: PodReady(p), Terminating: p.DeletionTimestamp != nil})
		}
		inv.Objects = append(inv.Objects, objectRef(d, "apps/v1", "Deployment"))
	}
	sort.Slice(inv.Pods, func(i, j int) bool { return inv.Pods[i].Name < inv.Pods[j].Name })
	for i := range svcs.Items {
		inv.Objects = append(inv.Objects, objectRef(&svcs.Items[i], "v1", "Service"))
	}
	for i := range pdbs.Items {
		b := &pdbs.Items[i]
		bi := model.PDBInfo{
			Name: b.Name, ExpectedPods: int(b.Status.ExpectedPods), CurrentHealthy: int(b.Status.CurrentHealthy),
			DesiredHealthy: int(b.Status.DesiredHealthy), DisruptionsAllowed: int(b.Status.DisruptionsAllowed),
			UnhealthyPolicy: string(scenarios.IfHealthyBudget),
		}
		if b.Spec.UnhealthyPodEvictionPolicy != nil {
			bi.UnhealthyPolicy = string(*b.Spec.UnhealthyPodEvictionPolicy)
		}
		if b.Spec.MinAvailable != nil {
			bi.MinAvailable = b.Spec.MinAvailable.String()
		}
		if b.Spec.MaxUnavailable != nil {
			bi.MaxUnavailable = b.Spec.MaxUnavailable.String()
		}
		if sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector); err == nil && !sel.Empty() {
			for _, d := range deps.Items {
				if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					bi.Workloads = append(bi.Workloads, d.Name)
				}
			}
		}
		inv.PDBs = append(inv.PDBs, bi)
		inv.Objects = append(inv.Objects, objectRef(b, "policy/v1", "PodDisruptionBudget"))
	}
	// What the API server served of deprecated APIs, to anyone: the manifests above are only
	// the namespace's.
	if use, err := ReadDeprecatedAPIUse(ctx, cs); err != nil {
		inv.APIUseUnread = err.Error()
	} else {
		inv.Objects = append(inv.Objects, use...)
	}

	// kube-system components, versions from their images. Pods on their way out are not the
	// cluster's components: those being deleted (evicted from a drained node whose kubelet may
	// never confirm it) and those of a node that is gone, until the pod garbage collector
	// removes them; their replacements are counted.
	existing := map[string]bool{}
	for _, n := range nodes.Items {
		existing[n.Name] = true
	}
	lowest := ""
	for i := range allPods.Items {
		p := &allPods.Items[i]
		if p.Namespace != metav1.NamespaceSystem || p.DeletionTimestamp != nil || p.Spec.NodeName != "" && !existing[p.Spec.NodeName] {
			continue
		}
		comp := systemComponents[p.Labels["component"]]
		if comp == "" {
			comp = systemComponents[p.Labels["k8s-app"]]
		}
		if comp == "" || len(p.Spec.Containers) == 0 {
			continue
		}
		inv.SystemPods = append(inv.SystemPods, model.SystemPod{Name: p.Name, Component: comp, Node: p.Spec.NodeName,
			Version: ImageTag(p.Spec.Containers[0].Image), Ready: PodReady(p)})
		if comp == "kube-apiserver" {
			if v := ImageTag(p.Spec.Containers[0].Image); v != "" && (lowest == "" || scenarios.VersionLess(v, lowest)) {
				lowest = v
			}
		}
	}
	// With several apiservers (a control plane mid-rollout), the lowest version is the one
	// that counts; /version answers for whichever served the request.
	if lowest != "" {
		inv.APIServerVersion = lowest
	}
	sort.Slice(inv.SystemPods, func(i, j int) bool { return inv.SystemPods[i].Name < inv.SystemPods[j].Name })

	addons, err := readAddons(ctx, cs)
	if err != nil {
		return nil, err
	}
	inv.Addons = addons
	return inv, nil
}

// workloadInfo reads what matters for a disruption-free upgrade from a Deployment.
func workloadInfo(d *appsv1.Deployment, svcs []corev1.Service) model.WorkloadInfo {
	w := model.WorkloadInfo{Name: d.Name, Replicas: 1, ReadyReplicas: int(d.Status.ReadyReplicas), Service: d.Name,
		TerminationGracePeriod: 30 * time.Second}
	if d.Spec.Replicas != nil {
		w.Replicas = int(*d.Spec.Replicas)
	}
	spec := &d.Spec.Template.Spec
	w.RequestsCPUMilli, w.RequestsMemory = PodRequests(spec)
	if spec.TerminationGracePeriodSeconds != nil {
		w.TerminationGracePeriod = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	for _, ct := range spec.Containers {
		if ct.ReadinessProbe != nil {
			w.HasReadinessProbe = true
		}
		if ct.Lifecycle != nil && ct.Lifecycle.PreStop != nil {
			w.PreStop = max(w.PreStop, preStopSleep(ct.Lifecycle.PreStop))
		}
		if m := onSigterm(d, &ct); m != "" {
			w.OnSigterm = m
		}
	}
	if len(spec.TopologySpreadConstraints) > 0 {
		ts := spec.TopologySpreadConstraints[0]
		w.SpreadKey, w.SpreadHard = ts.TopologyKey, ts.WhenUnsatisfiable == corev1.DoNotSchedule
	}
	for _, s := range svcs {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			w.Service = s.Name
			break
		}
	}
	return w
}

// preStopSleep returns how long a preStop hook waits: the sleep action, or an exec of
// "sleep N"; a hook of another kind counts as one second.
func preStopSleep(h *corev1.LifecycleHandler) time.Duration {
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second
	case h.Exec != nil:
		cmd := strings.Fields(strings.Join(h.Exec.Command, " "))
		for i, f := range cmd {
			if (f == "sleep" || strings.HasSuffix(f, "/sleep")) && i+1 < len(cmd) {
				if d, err := time.ParseDuration(cmd[i+1]); err == nil {
					return d
				}
				if n, err := strconv.ParseFloat(cmd[i+1], 64); err == nil {
					return time.Duration(n * float64(time.Second))
				}
			}
		}
	}
	return time.Second
}

// AnnotationOnSigterm says what a workload's application does at SIGTERM (Drain, Graceful or
// Exit), on the Deployment or its pod template: what manifests cannot show otherwise.
const AnnotationOnSigterm = "zdt.dev/on-sigterm"

// onSigterm reads what a container's application does at SIGTERM: the zdt.dev/on-sigterm
// annotation, or zdt's sample app configuration (env ON_SIGTERM, flag --on-sigterm); "" when
// nothing says.
func onSigterm(d *appsv1.Deployment, ct *corev1.Container) string {
	if v := d.Spec.Template.Annotations[AnnotationOnSigterm]; v != "" {
		return v
	}
	if v := d.Annotations[AnnotationOnSigterm]; v != "" {
		return v
	}
	for _, e := range ct.Env {
		if e.Name == "ON_SIGTERM" && e.Value != "" {
			return e.Value
		}
	}
	args := append(append([]string{}, ct.Command...), ct.Args...)
	for i, a := range args {
		for _, flag := range []string{"--on-sigterm", "-on-sigterm"} {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
			if a == flag && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// objectRef names a live object with the apiVersion it was written in when kubectl apply left
// it, otherwise the version zdt read it at.
func objectRef(o metav1.Object, apiVersion, kind string) model.ObjectRef {
	if s := o.GetAnnotations()[lastApplied]; s != "" {
		var m struct {
			APIVersion string `json:"apiVersion"`
		}
		if json.Unmarshal([]byte(s), &m) == nil && m.APIVersion != "" {
			apiVersion = m.APIVersion
		}
	}
	return model.ObjectRef{APIVersion: apiVersion, Kind: kind, Namespace: o.GetNamespace(), Name: o.GetName(), Source: "live"}
}

// ImageTag returns the tag of an image reference, without a digest.
func ImageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return ""
	}
	return image[i+1:]
}

// readAddons reports the CNI DaemonSet and CoreDNS, healthy when every pod they want is ready
// and up to date.
func readAddons(ctx context.Context, cs kubernetes.Interface) ([]model.Addon, error) {
	var out []model.Addon
	dss, err := cs.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("inventory: list daemonsets: %w", err)
	}
	for _, ds := range dss.Items {
		known := false
		for _, name := range cniDaemonSets {
			known = known || ds.Name == name
		}
		if !known {
			continue
		}
		st := ds.Status
		a := model.Addon{Name: ds.Name, Kind: "cni", Healthy: st.DesiredNumberScheduled > 0 &&
			st.NumberReady == st.DesiredNumberScheduled && st.UpdatedNumberScheduled == st.DesiredNumberScheduled}
		if !a.Healthy {
			a.Message = fmt.Sprintf("%d of %d pods ready, %d up to date", st.NumberReady, st.DesiredNumberScheduled, st.UpdatedNumberScheduled)
		}
		out = append(out, a)
	}
	dns, err := cs.AppsV1().Deployments(metav1.NamespaceSystem).Get(ctx, "coredns", metav1.GetOptions{})
	if err == nil {
		want := int32(1)
		if dns.Spec.Replicas != nil {
			want = *dns.Spec.Replicas
		}
		a := model.Addon{Name: "coredns", Kind: "dns", Healthy: dns.Status.ReadyReplicas >= want}
		if !a.Healthy {
			a.Message = fmt.Sprintf("%d of %d replicas ready", dns.Status.ReadyReplicas, want)
		}
		out = append(out, a)
	}
	return out, nil
}
