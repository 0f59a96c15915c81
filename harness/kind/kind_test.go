package kind

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/zdt-dev/zdt/harness/images/components"
	"github.com/zdt-dev/zdt/harness/kind/internal/dockercli"
	"github.com/zdt-dev/zdt/harness/kind/internal/isolation"
	"github.com/zdt-dev/zdt/scenarios"
)

func scenario(t *testing.T) *scenarios.Scenario {
	t.Helper()
	sc, _, err := scenarios.Open("../../testdata/scenarios/kind-small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestTopology(t *testing.T) {
	sc := scenario(t)
	out, err := topology(topologyInput{Name: "zdt-wl-1", Scenario: sc, Preload: []string{"zdt.dev/sampleapp:dev"}, ServiceRangeDropIn: "/cache/node-files/range.conf"})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := components.Parse(out)
	if err != nil {
		t.Fatalf("the rendered topology does not parse: %v\n%s", err, out)
	}
	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byKind[o.GetKind()+"/"+o.GetName()] = o
	}
	cl := byKind["Cluster/zdt-wl-1"]
	if cl == nil {
		t.Fatalf("no Cluster in\n%s", out)
	}
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"spec", "topology", "version"}, "v1.36.3"},
		{[]string{"spec", "topology", "classRef", "name"}, clusterClassName},
		{[]string{"spec", "topology", "controlPlane", "replicas"}, float64(1)},
		{[]string{"metadata", "labels", dockercli.LabelOwned}, "true"},
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(cl.Object, c.path...)
		if got != c.want {
			t.Errorf("%s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	mds, _, _ := unstructured.NestedSlice(cl.Object, "spec", "topology", "workers", "machineDeployments")
	if len(mds) != 1 {
		t.Fatalf("machineDeployments = %v", mds)
	}
	md := mds[0].(map[string]any)
	if md["name"] != "md-0" || md["replicas"] != float64(2) {
		t.Errorf("machineDeployment = %v", md)
	}
	if s, _, _ := unstructured.NestedFieldNoCopy(md, "rollout", "strategy", "rollingUpdate", "maxSurge"); s != float64(1) {
		t.Errorf("maxSurge = %v (%T)", s, s)
	}
	w := byKind["DockerMachineTemplate/"+clusterClassName+"-worker"]
	pre, _, _ := unstructured.NestedStringSlice(w.Object, "spec", "template", "spec", "preLoadImages")
	if len(pre) != 1 || pre[0] != "zdt.dev/sampleapp:dev" {
		t.Errorf("preLoadImages = %v", pre)
	}
	// Every machine, control plane and workers, mounts the kubelet drop-in that keeps packets
	// for the service range on the node, and the Cluster's service range is the one it names.
	for _, name := range []string{clusterClassName + "-worker", clusterClassName + "-control-plane"} {
		mounts, _, _ := unstructured.NestedSlice(byKind["DockerMachineTemplate/"+name].Object, "spec", "template", "spec", "extraMounts")
		found := false
		for _, m := range mounts {
			m := m.(map[string]any)
			if m["containerPath"] == isolation.ServiceRangeDropInPath && m["hostPath"] == "/cache/node-files/range.conf" && m["readOnly"] == true {
				found = true
			}
		}
		if !found {
			t.Errorf("%s mounts no service range drop-in: %v", name, mounts)
		}
	}
	if svc, _, _ := unstructured.NestedStringSlice(cl.Object, "spec", "clusterNetwork", "services", "cidrBlocks"); len(svc) != 1 || svc[0] != WorkloadServiceRange {
		t.Errorf("service cidrBlocks = %v, want [%s]", svc, WorkloadServiceRange)
	}
	if !strings.Contains(string(out), `"zdt.dev/kind-node:{{ .builtin.machineDeployment.version }}"`) {
		t.Errorf("the workers' node image patch is missing:\n%s", out)
	}
}

func TestApps(t *testing.T) {
	sc := scenario(t)
	o := sampleApps(sc, "zdt", "zdt.dev/sampleapp:dev")
	if len(o.Deployments) != 2 || len(o.Services) != 2 || len(o.PDBs) != 2 {
		t.Fatalf("got %d deployments, %d services, %d pdbs", len(o.Deployments), len(o.Services), len(o.PDBs))
	}
	d := o.Deployments[0]
	c := d.Spec.Template.Spec.Containers[0]
	if d.Name != "web" || *d.Spec.Replicas != 3 {
		t.Errorf("deployment %s replicas %d", d.Name, *d.Spec.Replicas)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.PeriodSeconds != 2 || c.ReadinessProbe.FailureThreshold != 2 {
		t.Errorf("readiness probe %+v", c.ReadinessProbe)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != 5 {
		t.Errorf("preStop %+v", c.Lifecycle)
	}
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g != 30 {
		t.Errorf("grace %v", g)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["ON_SIGTERM"] != "Drain" || env["DRAIN_TIME"] != "5s" || env["STARTUP_DELAY"] != "5s" {
		t.Errorf("env %v", env)
	}
	if ts := d.Spec.Template.Spec.TopologySpreadConstraints; len(ts) != 1 || ts[0].WhenUnsatisfiable != corev1.ScheduleAnyway {
		t.Errorf("spread %+v", ts)
	}
	if o.Services[0].Spec.Type != corev1.ServiceTypeNodePort {
		t.Errorf("service type %s", o.Services[0].Spec.Type)
	}
	if p := o.PDBs[0]; p.Spec.MaxUnavailable == nil || p.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("pdb %+v", p.Spec)
	}
}

func TestEdgeConfig(t *testing.T) {
	ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue}
	node := func(name, ip string, mod func(*corev1.Node)) corev1.Node {
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{ready}, Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}}}
		if mod != nil {
			mod(&n)
		}
		return n
	}
	pod := func(node, label, value string, ready corev1.ConditionStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{label: value}}, Spec: corev1.PodSpec{NodeName: node},
			Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}}}
	}
	var pods []corev1.Pod
	for _, n := range []string{"a", "b", "cp", "cordoned", "notready"} {
		pods = append(pods, pod(n, "k8s-app", "kube-proxy", corev1.ConditionTrue), pod(n, "app", "zdt-route-agent", corev1.ConditionTrue))
	}
	// A worker just Ready: its route agent runs, its kube-proxy does not yet.
	pods = append(pods, pod("new", "k8s-app", "kube-proxy", corev1.ConditionFalse), pod("new", "app", "zdt-route-agent", corev1.ConditionTrue))
	nodes := edgeNodes([]corev1.Node{
		node("b", "172.18.0.3", nil),
		node("a", "172.18.0.2", nil),
		node("cp", "172.18.0.4", func(n *corev1.Node) { n.Labels["node-role.kubernetes.io/control-plane"] = "" }),
		node("cordoned", "172.18.0.5", func(n *corev1.Node) { n.Spec.Unschedulable = true }),
		node("notready", "172.18.0.6", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }),
		node("new", "172.18.0.7", nil),
	}, dataplaneReady(pods))
	cfg, err := edgeConfig([]edgeBackend{{Name: "web", Frontend: 10000, NodePort: 30080}}, nodes)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bind *:10000", "server a 172.18.0.2:30080 check", "server b 172.18.0.3:30080 check", "option httpchk GET /readyz"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if got := serverNames(cfg); strings.Join(got, ",") != "a,b" {
		t.Errorf("servers %v, want a,b (control plane, cordoned, not Ready nodes and a node whose kube-proxy is not Ready left out)", got)
	}
}
