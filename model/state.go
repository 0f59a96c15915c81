package model

import "time"

// WorkloadState is the state of one workload at one instant.
type WorkloadState struct {
	Name string `json:"name"`
	// Desired is the Deployment's replica count.
	Desired int `json:"desired"`
	// Ready counts pods that are Ready and not terminating.
	Ready int `json:"ready"`
	// Endpoints counts the ready addresses in the service's EndpointSlices.
	Endpoints int `json:"endpoints"`
	// PDBFloor is the lowest ready count the workload's PDB allows; -1 when there is no PDB.
	PDBFloor int `json:"pdbFloor"`
}

// StateSample is a periodic picture of the cluster during a run.
type StateSample struct {
	At        time.Duration   `json:"at"`
	Workloads []WorkloadState `json:"workloads"`
	// NodesByVersion counts Ready nodes by kubelet version.
	NodesByVersion map[string]int `json:"nodesByVersion"`
	// SchedulableNodes counts Ready nodes that are not cordoned (workers only).
	SchedulableNodes int `json:"schedulableNodes"`
	// FreeCPUMilli and FreeMemoryBytes are the requests still free on schedulable workers.
	FreeCPUMilli    int64 `json:"freeCPUMilli"`
	FreeMemoryBytes int64 `json:"freeMemoryBytes"`
	// APIAvailable is whether a healthy apiserver answered behind the API load balancer.
	APIAvailable bool `json:"apiAvailable"`
}
