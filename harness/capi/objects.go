package capi

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Cluster API groups and the labels it puts on the objects zdt reads. zdt reads Cluster API
// objects as unstructured data, by the field paths below, so that it works with every served API
// version (v1beta2 from Cluster API v1.11, v1beta1 before) without compiling Cluster API in.
const (
	clusterGroup      = "cluster.x-k8s.io"
	controlPlaneGroup = "controlplane.cluster.x-k8s.io"
	// defaultAPIVersion is the version zdt asks for when it is not told otherwise.
	defaultAPIVersion = "v1beta2"

	labelClusterName     = "cluster.x-k8s.io/cluster-name"
	labelControlPlane    = "cluster.x-k8s.io/control-plane"
	labelDeploymentName  = "cluster.x-k8s.io/deployment-name"
	labelTopologyMDName  = "topology.cluster.x-k8s.io/deployment-name"
	labelNodeControlPlan = "node-role.kubernetes.io/control-plane"
)

// resources are the Cluster API resources zdt reads, at one API version.
type resources struct {
	Clusters, Machines, MachineDeployments, KubeadmControlPlanes schema.GroupVersionResource
}

// resourcesAt returns the resources at version (v1beta2 or v1beta1).
func resourcesAt(version string) resources {
	if version == "" {
		version = defaultAPIVersion
	}
	return resources{
		Clusters:             schema.GroupVersionResource{Group: clusterGroup, Version: version, Resource: "clusters"},
		Machines:             schema.GroupVersionResource{Group: clusterGroup, Version: version, Resource: "machines"},
		MachineDeployments:   schema.GroupVersionResource{Group: clusterGroup, Version: version, Resource: "machinedeployments"},
		KubeadmControlPlanes: schema.GroupVersionResource{Group: controlPlaneGroup, Version: version, Resource: "kubeadmcontrolplanes"},
	}
}

// str reads a string field; "" when absent.
func str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// num reads an integer field, and whether it is there.
func num(u *unstructured.Unstructured, path ...string) (int64, bool) {
	n, ok, err := unstructured.NestedInt64(u.Object, path...)
	if err != nil || !ok {
		// Objects decoded from JSON by hand (tests, some clients) carry float64.
		f, ok2, err2 := unstructured.NestedFloat64(u.Object, path...)
		if err2 != nil || !ok2 {
			return 0, false
		}
		return int64(f), true
	}
	return n, true
}

// firstNum reads the first of several integer fields that is present: v1beta2 renamed some.
func firstNum(u *unstructured.Unstructured, paths ...[]string) (int64, bool) {
	for _, p := range paths {
		if n, ok := num(u, p...); ok {
			return n, true
		}
	}
	return 0, false
}

// condition is one condition of a Cluster API object, in either API version's shape.
type condition struct {
	Type, Status, Reason, Message string
}

// conditions returns every condition of u: v1beta2 status.conditions, v1beta1's
// status.v1beta2.conditions, and the deprecated v1beta1 ones kept in v1beta2 objects.
func conditions(u *unstructured.Unstructured) []condition {
	var out []condition
	for _, path := range [][]string{
		{"status", "conditions"},
		{"status", "v1beta2", "conditions"},
		{"status", "deprecated", "v1beta1", "conditions"},
	} {
		list, _, _ := unstructured.NestedSlice(u.Object, path...)
		for _, c := range list {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			get := func(k string) string { s, _ := m[k].(string); return s }
			out = append(out, condition{Type: get("type"), Status: get("status"), Reason: get("reason"), Message: get("message")})
		}
	}
	return out
}

// machineNode returns the name of a Machine's Node.
func machineNode(m *unstructured.Unstructured) string {
	return str(m, "status", "nodeRef", "name")
}

// machineVersion returns a Machine's Kubernetes version.
func machineVersion(m *unstructured.Unstructured) string {
	return str(m, "spec", "version")
}

// machinePool returns the worker pool (topology name of the MachineDeployment) of a Machine,
// or "" for a control plane machine.
func machinePool(m *unstructured.Unstructured) string {
	l := m.GetLabels()
	if _, ok := l[labelControlPlane]; ok {
		return ""
	}
	if p := l[labelTopologyMDName]; p != "" {
		return p
	}
	return l[labelDeploymentName]
}

// isControlPlaneMachine reports whether m belongs to the control plane.
func isControlPlaneMachine(m *unstructured.Unstructured) bool {
	_, ok := m.GetLabels()[labelControlPlane]
	return ok
}

// deleting reports whether an object has a deletion timestamp.
func deleting(m metav1.Object) bool { return m.GetDeletionTimestamp() != nil }

// drainState reads a Machine's drain from its conditions: whether a drain is under way, and
// the progress message that names what blocks it.
func drainState(m *unstructured.Unstructured) (draining bool, msg string) {
	for _, c := range conditions(m) {
		switch {
		case c.Type == "Deleting" && c.Reason == "DrainingNode":
			return true, c.Message
		case c.Type == "DrainingSucceeded" && c.Status == "False" && strings.HasPrefix(c.Reason, "Draining"):
			draining, msg = true, c.Message
		}
	}
	return draining, msg
}

// machineNodeReady reports whether a Machine's node is Ready by its conditions (v1beta2
// NodeReady, v1beta1 NodeHealthy); a Machine without either condition counts as ready.
func machineNodeReady(m *unstructured.Unstructured) bool {
	for _, c := range conditions(m) {
		if (c.Type == "NodeReady" || c.Type == "NodeHealthy") && c.Status != "True" {
			return false
		}
	}
	return true
}
