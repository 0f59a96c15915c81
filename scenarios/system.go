package scenarios

import (
	"sync"
	"time"
)

// CoreDNSVersion is the CoreDNS image kubeadm installs at the versions zdt's kind path runs.
const CoreDNSVersion = "v1.14.2"

// CoreDNS is the kube-system Deployment kubeadm installs in every cluster (its manifest in
// kubeadm's addons/dns): 2 replicas requesting 100m CPU and 70Mi, maxUnavailable 1, a readiness
// probe on /ready every 10 s (the Pod default period), and a lameduck of 5 s at SIGTERM (the
// health plugin's lameduck in kubeadm's Corefile). It has no PodDisruptionBudget, so drains
// evict it at once, but a drain still waits for it to go. The simulator runs it beside the
// scenario's workloads without measuring it.
//
// The Workload is made once (its quantities are parsed once) and its pointers are shared by
// every caller: read it, never change it.
func CoreDNS() Workload { return coreDNS() }

var coreDNS = sync.OnceValue(func() Workload {
	// (CoreDNSVersion is the image kubeadm 1.36 and 1.37 install.)
	w := Workload{
		Name:     "coredns",
		Replicas: ptr(int32(2)),
		Requests: &Resources{CPU: qty("100m"), Memory: qty("70Mi")},
		Strategy: &Strategy{MaxSurge: intOrStr("25%"), MaxUnavailable: intOrStr("1")},
		// The coredns binary serves within a second of its start.
		StartupTime:    dur(time.Second),
		ReadinessProbe: &Probe{Period: dur(10 * time.Second)},
		Shutdown:       &Shutdown{OnSigterm: ShutdownDrain, DrainTime: dur(5 * time.Second)},
	}
	setWorkloadDefaults(&w)
	return w
})
