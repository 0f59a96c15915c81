package capi

import (
	"context"
	"encoding/base64"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// WorkloadKubeconfig reads the kubeconfig Cluster API keeps for a workload cluster, the Secret
// <cluster>-kubeconfig (key "value") in the Cluster's namespace of the management cluster.
func WorkloadKubeconfig(ctx context.Context, mgmt dynamic.Interface, namespace, cluster string) ([]byte, error) {
	s, err := mgmt.Resource(secretsGVR).Namespace(namespace).Get(ctx, cluster+"-kubeconfig", metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig %s/%s-kubeconfig: %w", namespace, cluster, err)
	}
	data, ok, err := unstructured.NestedString(s.Object, "data", "value")
	if err != nil || !ok {
		return nil, fmt.Errorf("workload cluster kubeconfig %s/%s-kubeconfig: no data.value", namespace, cluster)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("workload cluster kubeconfig %s/%s-kubeconfig: %w", namespace, cluster, err)
	}
	return raw, nil
}
