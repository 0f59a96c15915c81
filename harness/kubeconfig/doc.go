// Package kubeconfig is the provider that runs scenarios on a workload cluster an existing
// Cluster API management cluster manages, on any infrastructure: how zdt goes past one machine.
package kubeconfig
