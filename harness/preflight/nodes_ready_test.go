package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestNodesReady(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{"healthy", func(in *Input) {}, model.CheckPass, []string{"all 6 nodes Ready and schedulable"}},
		{"a NotReady worker", func(in *Input) { in.Inventory.Nodes[4].Ready = false }, model.CheckFail, []string{"1 of 6 nodes NotReady before the upgrade: md-0-b"}},
		{"a cordoned worker", func(in *Input) { in.Inventory.Nodes[5].Unschedulable = true }, model.CheckFail, []string{"1 of 6 nodes cordoned before the upgrade: md-0-c", "kubectl uncordon"}},
		{"a Machine Cluster API has not matched to its Node", func(in *Input) { in.Inventory.MachinesWithoutNode = []string{"wl-md-0-x7k2p"} },
			model.CheckFail, []string{"1 machine(s) not matched to a Node", "wl-md-0-x7k2p", "without draining it", "spec.providerID"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, nodesReady(in), tt.want, tt.texts...)
		})
	}
}
