package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestPDBBlockingDrain(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "maxUnavailable 1 on 3 replicas", mutate: func(in *Input) {}, want: model.CheckPass},
		{name: "minAvailable below replicas", mutate: func(in *Input) {
			in.Inventory.PDBs[0].MaxUnavailable, in.Inventory.PDBs[0].MinAvailable = "", "2"
		}, want: model.CheckPass},
		{name: "minAvailable equal to replicas", mutate: func(in *Input) {
			in.Inventory.PDBs[0].MaxUnavailable, in.Inventory.PDBs[0].MinAvailable = "", "3"
		}, want: model.CheckFail, texts: []string{"PDB web has minAvailable 3 for 3 pods of web", "lower minAvailable of PDB web so that it stays below the 3 pods"}},
		{name: "minAvailable 100%", mutate: func(in *Input) {
			in.Inventory.PDBs[1].MaxUnavailable, in.Inventory.PDBs[1].MinAvailable = "", "100%"
		}, want: model.CheckFail, texts: []string{"PDB api has minAvailable 100%"}},
		{name: "maxUnavailable 0", mutate: func(in *Input) { in.Inventory.PDBs[0].MaxUnavailable = "0" },
			want: model.CheckFail, texts: []string{"PDB web has maxUnavailable 0", "set maxUnavailable: 1 on PDB web"}},
		{name: "no disruption allowed because pods are unhealthy", mutate: func(in *Input) {
			b := &in.Inventory.PDBs[0]
			b.CurrentHealthy, b.DisruptionsAllowed = 2, 0
		}, want: model.CheckFail, texts: []string{"PDB web allows 0 disruptions now (2 healthy of 3 pods of web, 2 needed)", "unhealthyPodEvictionPolicy: AlwaysAllow"}},
		{name: "selects nothing", mutate: func(in *Input) {
			b := &in.Inventory.PDBs[1]
			b.Workloads, b.ExpectedPods, b.DisruptionsAllowed = nil, 0, 0
		}, want: model.CheckFail, texts: []string{"PDB api selects no pod", "spec.selector of PDB api"}},
		{name: "two PDBs on one pod", mutate: func(in *Input) {
			in.Inventory.PDBs = append(in.Inventory.PDBs, model.PDBInfo{
				Name: "web-extra", MaxUnavailable: "1", Workloads: []string{"web"}, ExpectedPods: 3,
				CurrentHealthy: 3, DesiredHealthy: 2, DisruptionsAllowed: 1,
			})
		}, want: model.CheckFail, texts: []string{"the pods of web are selected by 2 PDBs (web, web-extra)", "500", "merge web and web-extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, pdbBlockingDrain(in), tt.want, tt.texts...)
		})
	}
}
