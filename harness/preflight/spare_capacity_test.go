package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

// fill makes every worker but the first nearly full: 3800m of 4000m CPU requested.
func fill(in *Input) {
	for i := range in.Inventory.Nodes {
		n := &in.Inventory.Nodes[i]
		if n.Role == model.RoleWorker && n.Name != "md-0-a" {
			n.RequestedCPUMilli = 3800
		}
	}
}

func TestSpareCapacity(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "surge node and spare room", mutate: func(in *Input) {}, want: model.CheckPass,
			texts: []string{"pool md-0 (3 nodes, maxSurge 1, maxUnavailable 0)", "including 1 new surge node"}},
		{name: "full nodes but a surge node", mutate: fill, want: model.CheckPass},
		{name: "pools taken from the nodes with Cluster API's defaults", mutate: func(in *Input) { in.Scenario.Spec.Cluster.WorkerPools = nil },
			want: model.CheckPass, texts: []string{"pool md-0 (3 nodes, maxSurge 1, maxUnavailable 0)"}},
		{name: "no surge, room on the other nodes", mutate: func(in *Input) {
			p := &in.Scenario.Spec.Cluster.WorkerPools[0]
			p.MaxSurge, p.MaxUnavailable = intOrStr("0"), intOrStr("1")
		}, want: model.CheckPass},
		{name: "no surge and full nodes", mutate: func(in *Input) {
			fill(in)
			in.Inventory.Nodes[3].RequestedCPUMilli = 3900 // md-0-a becomes the busiest
			p := &in.Scenario.Spec.Cluster.WorkerPools[0]
			p.MaxSurge, p.MaxUnavailable = intOrStr("0"), intOrStr("1")
		}, want: model.CheckFail, texts: []string{
			"draining md-0-a (the busiest: 2 pods requesting 3900m CPU", "leaves 400m CPU", "2 pods fit nowhere",
			"set maxSurge: 1 on pool md-0",
		}},
		{name: "neither surge nor unavailability", mutate: func(in *Input) {
			p := &in.Scenario.Spec.Cluster.WorkerPools[0]
			p.MaxSurge, p.MaxUnavailable = intOrStr("0"), intOrStr("0")
		}, want: model.CheckFail, texts: []string{"rollout never starts"}},
		{name: "pods not listed: the node's requests move as a whole", mutate: func(in *Input) {
			fill(in)
			in.Inventory.Pods = nil
			p := &in.Scenario.Spec.Cluster.WorkerPools[0]
			p.MaxSurge, p.MaxUnavailable = intOrStr("0"), intOrStr("1")
		}, want: model.CheckFail, texts: []string{"2 pods fit nowhere", "the 2 pods of md-0-b (3800m CPU, 512Mi)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, spareCapacity(in), tt.want, tt.texts...)
			brief := goodInput()
			tt.mutate(brief)
			brief.Brief = true
			briefAgrees(t, spareCapacity(in), spareCapacity(brief))
		})
	}
}

// briefAgrees checks that the results of a check run with Input.Brief are full's, but for the
// messages of passing checks, which it may leave out.
func briefAgrees(t *testing.T, full, brief []model.CheckResult) {
	t.Helper()
	if len(full) != len(brief) {
		t.Fatalf("%d results, %d brief ones", len(full), len(brief))
	}
	for i, f := range full {
		b := brief[i]
		if b.Status != f.Status || b.Name != f.Name || b.Fix != f.Fix {
			t.Errorf("result %d: %+v brief, %+v in full", i, b, f)
		}
		if b.Message != f.Message && (f.Status != model.CheckPass || b.Message != "") {
			t.Errorf("result %d (%s): message %q brief, %q in full", i, f.Status, b.Message, f.Message)
		}
	}
}
