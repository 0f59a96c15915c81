// Package sim is zdt's default provider: a deterministic discrete-event simulation of a Cluster
// API managed cluster during an upgrade, with its HTTP traffic, on a virtual clock.
//
// The simulation has four parts under internal/: des, the event clock; world, the Kubernetes
// side (nodes, pods, workloads, PDBs, the scheduler and controllers, EndpointSlices, kube-proxy
// views, load balancers); capi, the Cluster API controllers (machines, the KubeadmControlPlane
// and MachineDeployment rollouts, drains); traffic, the load and the API prober. This package
// wires them into a harness.Cluster and injects faults, one fault_<kind>.go file per kind.
package sim
