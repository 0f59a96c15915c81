// Package objects reads Cluster API objects as unstructured data, by their field paths, so that zdt
// works with every served API version (v1beta2 from Cluster API v1.11, v1beta1 before).
package objects

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
	ClusterGroup      = "cluster.x-k8s.io"
	ControlPlaneGroup = "controlplane.cluster.x-k8s.io"
	// DefaultAPIVersion is the version zdt asks for when it is not told otherwise.
	DefaultAPIVersion = "v1beta2"

	LabelClusterName    = "cluster.x-k8s.io/cluster-name"
	LabelControlPlane   = "cluster.x-k8s.io/control-plane"
	LabelDeploymentName = "cluster.x-k8s.io/deployment-name"
	LabelTopologyMDName = "topology.cluster.x-k8s.io/deployment-name"
)

// Resources are the Cluster API Resources zdt reads, at one API version.
type Resources struct {
	Clusters, Machines, MachineDeployments, KubeadmControlPlanes schema.GroupVersionResource
}

// ResourcesAt returns the Resources at version (v1beta2 or v1beta1).
func ResourcesAt(version string) Resources {
	if version == "" {
		version = DefaultAPIVersion
	}
	return Resources{
		Clusters:             schema.GroupVersionResource{Group: ClusterGroup, Version: version, Resource: "clusters"},
		Machines:             schema.GroupVersionResource{Group: ClusterGroup, Version: version, Resource: "machines"},
		MachineDeployments:   schema.GroupVersionResource{Group: ClusterGroup, Version: version, Resource: "machinedeployments"},
		KubeadmControlPlanes: schema.GroupVersionResource{Group: ControlPlaneGroup, Version: version, Resource: "kubeadmcontrolplanes"},
	}
}

// Str reads a string field; "" when absent.
func Str(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// Num reads an integer field, and whether it is there.
func Num(u *unstructured.Unstructured, path ...string) (int64, bool) {
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

// FirstNum reads the first of several integer fields that is present: v1beta2 renamed some.
func FirstNum(u *unstructured.Unstructured, paths ...[]string) (int64, bool) {
	for _, p := range paths {
		if n, ok := Num(u, p...); ok {
			return n, true
		}
	}
	return 0, false
}

// Condition is one Condition of a Cluster API object, in either API version's shape.
type Condition struct {
	Type, Status, Reason, Message string
}

// Conditions returns every Condition of u: v1beta2 status.conditions, v1beta1's
// status.v1beta2.conditions, and the deprecated v1beta1 ones kept in v1beta2 objects.
func Conditions(u *unstructured.Unstructured) []Condition {
	var out []Condition
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
			out = append(out, Condition{Type: get("type"), Status: get("status"), Reason: get("reason"), Message: get("message")})
		}
	}
	return out
}

// MachineNode returns the name of a Machine's Node.
func MachineNode(m *unstructured.Unstructured) string {
	return Str(m, "status", "nodeRef", "name")
}

// MachineVersion returns a Machine's Kubernetes version.
func MachineVersion(m *unstructured.Unstructured) string {
	return Str(m, "spec", "version")
}

// MachinePool returns the worker pool (topology name of the MachineDeployment) of a Machine,
// or "" for a control plane machine.
func MachinePool(m *unstructured.Unstructured) string {
	l := m.GetLabels()
	if _, ok := l[LabelControlPlane]; ok {
		return ""
	}
	if p := l[LabelTopologyMDName]; p != "" {
		return p
	}
	return l[LabelDeploymentName]
}

// IsControlPlaneMachine reports whether m belongs to the control plane.
func IsControlPlaneMachine(m *unstructured.Unstructured) bool {
	_, ok := m.GetLabels()[LabelControlPlane]
	return ok
}

// Deleting reports whether an object has a deletion timestamp.
func Deleting(m metav1.Object) bool { return m.GetDeletionTimestamp() != nil }

// DrainState reads a Machine's drain from its conditions: whether a drain is under way, and
// the progress message that names what blocks it.
func DrainState(m *unstructured.Unstructured) (draining bool, msg string) {
	for _, c := range Conditions(m) {
		switch {
		case c.Type == "Deleting" && c.Reason == "DrainingNode":
			return true, c.Message
		case c.Type == "DrainingSucceeded" && c.Status == "False" && strings.HasPrefix(c.Reason, "Draining"):
			draining, msg = true, c.Message
		}
	}
	return draining, msg
}

// MachineNodeReady reports whether a Machine's node is Ready by its Conditions (v1beta2
// NodeReady, v1beta1 NodeHealthy); a Machine without either Condition counts as ready.
func MachineNodeReady(m *unstructured.Unstructured) bool {
	for _, c := range Conditions(m) {
		if (c.Type == "NodeReady" || c.Type == "NodeHealthy") && c.Status != "True" {
			return false
		}
	}
	return true
}
