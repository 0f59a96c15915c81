package preflight

import (
	"fmt"

	"github.com/zdt-dev/zdt/model"
)

func init() {
	register(Check{Name: "workload-preconditions", Run: workloadPreconditions})
}

// workloadPreconditions warns, for every workload, about each precondition of a zero-downtime
// upgrade it lacks, with what the lack costs during the upgrade.
func workloadPreconditions(in *Input) []model.CheckResult {
	hasPDB := map[string]bool{}
	for _, b := range in.Inventory.PDBs {
		for _, w := range b.Workloads {
			hasPDB[w] = true
		}
	}
	var out []model.CheckResult
	warn := func(msg, fix string) {
		out = append(out, model.CheckResult{Status: model.CheckWarn, Message: msg, Fix: fix})
	}
	for _, w := range in.Inventory.Workloads {
		if w.Replicas <= 1 {
			warn(fmt.Sprintf("%s has 1 replica: every drain of the node running %s's only pod drops its requests for as long as the replacement takes to become Ready", w.Name, w.Name),
				fmt.Sprintf("run %s with at least 2 replicas (3 to survive a drain and a failure), spread across nodes", w.Name))
		}
		if !w.HasReadinessProbe {
			warn(fmt.Sprintf("%s has no readiness probe: its new pods receive traffic as soon as their container starts, before the application serves, and those requests fail", w.Name),
				fmt.Sprintf("add a readinessProbe to %s that answers only once the application serves", w.Name))
		}
		if w.SpreadKey == "" && w.Replicas > 1 {
			warn(fmt.Sprintf("%s has no topology spread constraint: the scheduler may put several of its %d replicas on one node, and the drain of that node takes them down together", w.Name, w.Replicas),
				fmt.Sprintf("add a topologySpreadConstraint on kubernetes.io/hostname (maxSkew 1) to %s", w.Name))
		}
		switch {
		case w.OnSigterm == "Exit" && w.PreStop == 0:
			warn(fmt.Sprintf("%s exits at once on SIGTERM and has no preStop hook: requests in flight are cut, and nodes whose kube-proxy has not yet seen the pod leave its endpoints keep sending it requests that are refused", w.Name),
				fmt.Sprintf("make %s finish in-flight requests on SIGTERM, and add a preStop sleep (5s or more) so that endpoints are updated before it stops", w.Name))
		case w.OnSigterm == "Graceful" && w.PreStop == 0:
			warn(fmt.Sprintf("%s stops accepting connections at SIGTERM and has no preStop hook: nodes whose kube-proxy has not yet seen the pod leave its endpoints keep sending it connections that are refused", w.Name),
				fmt.Sprintf("add a preStop sleep (5s or more, longer than endpoint propagation) to %s, so that it stops accepting only once no node routes to it", w.Name))
		case w.OnSigterm == "Exit":
			warn(fmt.Sprintf("%s exits at once on SIGTERM: requests in flight when its preStop sleep (%s) ends are cut", w.Name, w.PreStop),
				fmt.Sprintf("make %s stop accepting and finish in-flight requests on SIGTERM instead of exiting", w.Name))
		case w.PreStop == 0:
			warn(fmt.Sprintf("%s has no preStop hook: its pods get SIGTERM as they leave the endpoints, and nodes whose kube-proxy has not yet seen the change keep sending them requests that fail", w.Name),
				fmt.Sprintf("add a preStop sleep (5s or more, longer than endpoint propagation) to %s", w.Name))
		case w.TerminationGracePeriod > 0 && w.TerminationGracePeriod <= w.PreStop:
			warn(fmt.Sprintf("%s's terminationGracePeriodSeconds (%s) does not outlast its preStop sleep (%s): its pods are killed before they stop cleanly", w.Name, w.TerminationGracePeriod, w.PreStop),
				fmt.Sprintf("raise terminationGracePeriodSeconds of %s above the preStop sleep plus the application's drain time", w.Name))
		}
		if !hasPDB[w.Name] {
			warn(fmt.Sprintf("%s has no PodDisruptionBudget: drains may evict all its ready pods at once, when several of its nodes are drained together or a replacement is not yet Ready", w.Name),
				fmt.Sprintf("add a policy/v1 PodDisruptionBudget with maxUnavailable: 1 selecting the pods of %s", w.Name))
		}
	}
	if len(out) > 0 {
		return out
	}
	if in.Brief {
		return briefPass()
	}
	return []model.CheckResult{{
		Status:  model.CheckPass,
		Message: fmt.Sprintf("%s with several replicas, readiness probes, spread, graceful shutdown and a PDB", plural(len(in.Inventory.Workloads), "workload")),
	}}
}
