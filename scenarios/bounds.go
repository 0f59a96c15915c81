package scenarios

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Upper bounds on a scenario's sizes. A scenario beyond them would not fit one machine (the
// simulator holds every node and pod in memory; one load generator sends every stream) and is
// answered with an error naming the field, never a crash.
const (
	MaxControlPlaneReplicas = 7
	MaxPoolReplicas         = 5000
	MaxNodes                = 10000 // control plane and workers together
	MaxWorkloadReplicas     = 10000
	MaxPods                 = 300000 // every workload's replicas together (the 150,000-pod fleet benchmark fits twice)
	MaxWorkloads            = 500
	MaxWorkerPools          = 100
	MaxRate                 = 100000 // requests per second, per stream
	MaxStreams              = 1000   // targets times connection modes
	MaxFaults               = 100
	MaxDuration             = 7 * 24 * time.Hour // any duration of the scenario
)

// validateBounds checks the sizes of a defaulted scenario against the bounds above.
func validateBounds(s *Scenario) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	over := func(p *field.Path, v any, bound any, what string) {
		errs = append(errs, field.Invalid(p, v, fmt.Sprintf("must be at most %v (%s)", bound, what)))
	}
	cp := spec.Child("cluster", "controlPlane", "replicas")
	nodes := 0
	if r := s.Spec.Cluster.ControlPlane.Replicas; r != nil {
		if *r > MaxControlPlaneReplicas {
			over(cp, *r, MaxControlPlaneReplicas, "etcd gains nothing from more members")
		}
		nodes += int(*r)
	}
	pools := s.Spec.Cluster.WorkerPools
	if len(pools) > MaxWorkerPools {
		over(spec.Child("cluster", "workerPools"), len(pools), MaxWorkerPools, "worker pools")
	}
	for i, wp := range pools {
		if wp.Replicas == nil {
			continue
		}
		if *wp.Replicas > MaxPoolReplicas {
			over(spec.Child("cluster", "workerPools").Index(i).Child("replicas"), *wp.Replicas, MaxPoolReplicas, "machines in one pool")
		}
		nodes += int(*wp.Replicas)
	}
	if nodes > MaxNodes {
		over(spec.Child("cluster"), nodes, MaxNodes, "nodes in all, control plane included")
	}
	wl := spec.Child("workloads")
	if len(s.Spec.Workloads) > MaxWorkloads {
		over(wl, len(s.Spec.Workloads), MaxWorkloads, "workloads")
	}
	pods := 0
	for i, w := range s.Spec.Workloads {
		if w.Replicas == nil {
			continue
		}
		if *w.Replicas > MaxWorkloadReplicas {
			over(wl.Index(i).Child("replicas"), *w.Replicas, MaxWorkloadReplicas, "replicas of one workload")
		}
		pods += int(*w.Replicas)
	}
	if pods > MaxPods {
		over(wl, pods, MaxPods, "pods of every workload together")
	}
	load := spec.Child("load")
	if r := s.Spec.Load.Rate; r != nil && *r > MaxRate {
		over(load.Child("rate"), *r, MaxRate, "requests per second per stream")
	}
	if n := len(s.Spec.Load.Targets) * len(s.Spec.Load.Connections); n > MaxStreams {
		over(load.Child("targets"), n, MaxStreams, "streams: targets times connection modes")
	}
	if len(s.Spec.Faults) > MaxFaults {
		over(spec.Child("faults"), len(s.Spec.Faults), MaxFaults, "faults")
	}
	for p, d := range map[*field.Path]time.Duration{
		spec.Child("criteria", "upgradeDeadline"): durationOf(s.Spec.Criteria.UpgradeDeadline),
		spec.Child("criteria", "maxPDBStall"):     durationOf(s.Spec.Criteria.MaxPDBStall),
		load.Child("warmup"):                      durationOf(s.Spec.Load.Warmup),
		load.Child("timeout"):                     durationOf(s.Spec.Load.Timeout),
	} {
		if d > MaxDuration {
			over(p, d.String(), MaxDuration, "a week")
		}
	}
	if d, err := time.ParseDuration(s.Spec.Load.Duration); err == nil && d > MaxDuration {
		over(load.Child("duration"), s.Spec.Load.Duration, MaxDuration, "a week")
	}
	for i, f := range s.Spec.Faults {
		fp := spec.Child("faults").Index(i)
		if f.Target.Count != nil && int(*f.Target.Count) > MaxNodes {
			over(fp.Child("target", "count"), *f.Target.Count, MaxNodes, "targets")
		}
		for name, d := range map[string]time.Duration{"duration": durationOf(f.Duration), "delay": durationOf(f.Delay), "at.after": f.At.After.Duration} {
			if d > MaxDuration {
				over(fp.Child(name), d.String(), MaxDuration, "a week")
			}
		}
	}
	return errs
}

func durationOf(d *metav1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.Duration
}
