package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestControlPlaneRedundancy(t *testing.T) {
	keep := func(n int) func(in *Input) {
		return func(in *Input) {
			var nodes []model.NodeInfo
			cp := 0
			for _, nd := range in.Inventory.Nodes {
				if nd.Role == model.RoleControlPlane {
					if cp == n {
						continue
					}
					cp++
				}
				nodes = append(nodes, nd)
			}
			in.Inventory.Nodes = nodes
		}
	}
	for _, tt := range []struct {
		name  string
		cp    int
		want  model.CheckStatus
		texts []string
	}{
		{"three", 3, model.CheckPass, []string{"survive the loss of 1"}},
		{"two", 2, model.CheckWarn, []string{"etcd's quorum is 2", "odd number"}},
		{"one", 1, model.CheckWarn, []string{"the Kubernetes API has no redundancy", "run 3 control plane replicas"}},
		{"none", 0, model.CheckWarn, []string{"cannot be checked"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			keep(tt.cp)(in)
			expect(t, controlPlaneRedundancy(in), tt.want, tt.texts...)
		})
	}
}
