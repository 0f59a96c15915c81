// Package kube reads what zdt measures from a Kubernetes cluster, whatever brought it up: the
// inventory preflight and postflight checks look at, the periodic state samples, and the
// readiness of nodes and pods.
package kube

import corev1 "k8s.io/api/core/v1"

// LabelControlPlaneNode marks a control plane node.
const LabelControlPlaneNode = "node-role.kubernetes.io/control-plane"

// NodeReady reports whether a node's Ready condition is True.
func NodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// PodReady reports whether a pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
