// Package sim is zdt's default provider: a deterministic discrete-event simulation of a Cluster
// API managed cluster during an upgrade, with its HTTP traffic, on a virtual clock.
//
// The simulation has these parts under internal/: des, the event clock; world, the Kubernetes
// side (nodes, pods, workloads, PDBs, the controllers, EndpointSlices, kube-proxy views, load
// balancers); sched, kube-scheduler's choice of a node, which world calls; draw, bounded draws
// from the seed's PCG; capi, the Cluster API controllers (machines, the KubeadmControlPlane
// and MachineDeployment rollouts, drains); traffic, the load and the API prober; reuse, what
// they keep from one simulated cluster to the next. This package wires them into a
// harness.Cluster and injects faults, one fault_<kind>.go file per kind.
//
// A sweep runs the simulation thousands of times a second and a fleet has 150,000 pods, so the
// hot paths are built for it without changing what is computed:
//   - events wait in a 4-ary heap of values; those that come a fixed delay after they are
//     scheduled (endpoint propagation, new pods on their way to the scheduler, the kubelet's
//     syncs and container starts: most of a large run's events) in FIFO lanes (des.Lane),
//     whose first events the clock reads from one array and whose buffers, full, move their
//     queue to the front or double; the frequent events at instants of their own (a pod's,
//     a node's, the controllers') are values in timers (des.Timer), not closures, and the
//     clock looks only at the lanes and timers that hold events (a bitmask);
//   - the scheduler (package sched) looks at as many nodes as kube-scheduler does
//     (numFeasibleNodesToFind); nodes in the same state share a class (World.NodeChanged
//     keeps them, an invariant checks it), whose fit and resource terms are worked out once per
//     pod shape, and tied nodes draw from the PCG directly (package draw, the same numbers as
//     rand.Rand's);
//   - a Service's per-bucket figures come from counts its views keep of their pods' answers,
//     counted again only for the pods marked as changed (answerMayChange, checked by an
//     invariant), and a route that came out as it was keeps its version, so that what the load
//     made of it stays;
//   - the load routes each stream once per flush of the cluster's state, replays a second that
//     drew nothing at random for the seconds after it (traffic.template), and once the replayed
//     seconds only extend the runs of requests held, counts them and adds them when read;
//   - each slot of a stream's outcomes holds its samples' fixed fields from its making on,
//     so that handing a sample to the recorder writes four figures;
//   - a sweep measures each sample as it is recorded and judges the run without what only the
//     rendered report shows: the plots' bins, the latencies, the drop windows' timeline
//     references, the criteria's formatted details and the state samples' nodes by version
//     (report.Judging, a model.NodeVersionsSkipper); it takes the API prober's answered
//     probes, one a second and most of a run's samples, in runs of a count and the first and
//     last send times (a model.ProbeCounter); its preflight and postflight checks leave a
//     pass's message unformatted (harness.Options.Brief);
//   - a closed cluster's world and load go back to pools (world.World.Release,
//     traffic.Load.Release), and the next cluster's are made in them: the clock's queue, lanes
//     and timers, the scheduler's classes, the pods, nodes, workloads, streams and slots and
//     the lists, emptied, nothing that a record handed to the recorder shares; names and the
//     messages made of them are kept from world to world (reuse.Names)
//     but by a large cluster. A seed of a sweep then allocates about 400 objects, where it
//     allocated over a thousand and the runtime's allocation and collection took a fifth of
//     its time.
//
// harness/sweep's TestSweepResultsAreStable holds the digest of 2,000 seeds' results: a
// change of results is a change of the model, never a side effect of making it faster.
package sim
