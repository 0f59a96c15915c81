// Package isolation keeps a kind run to this machine and its measurement steady: it counts what
// the run's containers tried to send off the machine (the host's packet filter refuses it), makes
// the clusters' CoreDNS resolve nothing outside the cluster, keeps packets for the Service range
// on the nodes (a kubelet drop-in), and raises zdt's scheduling priority
// beside the node containers.
package isolation
