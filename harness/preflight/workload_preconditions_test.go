package preflight

import (
	"testing"
	"time"

	"github.com/zdt-dev/zdt/model"
)

func TestWorkloadPreconditions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *model.WorkloadInfo, in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "well configured", mutate: func(*model.WorkloadInfo, *Input) {}, want: model.CheckPass},
		{name: "one replica", mutate: func(w *model.WorkloadInfo, _ *Input) { w.Replicas, w.ReadyReplicas = 1, 1 }, want: model.CheckWarn,
			texts: []string{"every drain of the node running web's only pod drops its requests for as long as the replacement takes to become Ready"}},
		{name: "no readiness probe", mutate: func(w *model.WorkloadInfo, _ *Input) { w.HasReadinessProbe = false }, want: model.CheckWarn,
			texts: []string{"web has no readiness probe", "add a readinessProbe"}},
		{name: "no spread", mutate: func(w *model.WorkloadInfo, _ *Input) { w.SpreadKey = "" }, want: model.CheckWarn,
			texts: []string{"web has no topology spread constraint", "kubernetes.io/hostname"}},
		{name: "no preStop", mutate: func(w *model.WorkloadInfo, _ *Input) { w.PreStop = 0 }, want: model.CheckWarn,
			texts: []string{"web has no preStop hook", "preStop sleep"}},
		{name: "exits at SIGTERM", mutate: func(w *model.WorkloadInfo, _ *Input) { w.OnSigterm, w.PreStop = "Exit", 0 }, want: model.CheckWarn,
			texts: []string{"web exits at once on SIGTERM and has no preStop hook"}},
		{name: "stops accepting at SIGTERM", mutate: func(w *model.WorkloadInfo, _ *Input) { w.OnSigterm, w.PreStop = "Graceful", 0 }, want: model.CheckWarn,
			texts: []string{"web stops accepting connections at SIGTERM and has no preStop hook", "add a preStop sleep"}},
		{name: "grace period shorter than preStop", mutate: func(w *model.WorkloadInfo, _ *Input) { w.TerminationGracePeriod = 5 * time.Second }, want: model.CheckWarn,
			texts: []string{"does not outlast its preStop sleep"}},
		{name: "no PDB", mutate: func(_ *model.WorkloadInfo, in *Input) { in.Inventory.PDBs = in.Inventory.PDBs[1:] }, want: model.CheckWarn,
			texts: []string{"web has no PodDisruptionBudget", "maxUnavailable: 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(&in.Inventory.Workloads[0], in)
			expect(t, workloadPreconditions(in), tt.want, tt.texts...)
		})
	}
}
