// Package sim is zdt's default provider: a deterministic discrete-event simulation of a Cluster
// API managed cluster during an upgrade, with its HTTP traffic, on a virtual clock.
//
// The simulation has four parts under internal/: des, the event clock; world, the Kubernetes
// side (nodes, pods, workloads, PDBs, the scheduler and controllers, EndpointSlices, kube-proxy
// views, load balancers); capi, the Cluster API controllers (machines, the KubeadmControlPlane
// and MachineDeployment rollouts, drains); traffic, the load and the API prober. This package
// wires them into a harness.Cluster and injects faults, one fault_<kind>.go file per kind.
//
// A sweep runs the simulation thousands of times a second and a fleet has 150,000 pods, so the
// hot paths are built for it without changing what is computed:
//   - events wait in a 4-ary heap of values; those that come a fixed delay after they are
//     scheduled (endpoint propagation, most of a large run's events) in FIFO lanes (des.Lane);
//   - the scheduler looks at as many nodes as kube-scheduler does (numFeasibleNodesToFind),
//     in a compact view of the nodes (World.NodeChanged keeps it, an invariant checks it);
//   - the load routes each stream once per flush of the cluster's state, and replays a second
//     that drew nothing at random for the seconds after it (traffic.template);
//   - a sweep judges a run without the plots' bins (report.Judge).
//
// harness/sweep's TestSweepResultsAreStable holds the digest of 2,000 seeds' results: a
// change of results is a change of the model, never a side effect of making it faster.
package sim
