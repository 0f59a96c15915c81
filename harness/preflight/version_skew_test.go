package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestVersionSkew(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "one minor from what the cluster runs", mutate: func(in *Input) {}, want: model.CheckPass, texts: []string{"v1.35.2 -> v1.36.3"}},
		{name: "stepwise plan", mutate: func(in *Input) { in.Plan = []string{"v1.35.2", "v1.36.0", "v1.37.2"} }, want: model.CheckPass},
		{name: "skipped minor", mutate: func(in *Input) { in.Plan = []string{"v1.35.2", "v1.37.2"} }, want: model.CheckFail,
			texts: []string{"skips 1 minor", "spec.versions.via"}},
		{name: "downgrade", mutate: func(in *Input) { in.Plan = []string{"v1.35.2", "v1.34.1"} }, want: model.CheckFail,
			texts: []string{"does not go forwards"}},
		{name: "from differs from the cluster", mutate: func(in *Input) { in.Inventory.APIServerVersion = "v1.35.1" }, want: model.CheckFail,
			texts: []string{"starts from v1.35.2 but the API server runs v1.35.1", "set spec.versions.from to v1.35.1"}},
		{name: "kubelet newer than the API server", mutate: func(in *Input) { in.Inventory.Nodes[3].Version = "v1.36.0" }, want: model.CheckFail,
			texts: []string{"kubelet newer than the API server", "md-0-a (v1.36.0)"}},
		{name: "kubelet four minors older", mutate: func(in *Input) { in.Inventory.Nodes[4].Version = "v1.31.9" }, want: model.CheckFail,
			texts: []string{"more than 3 minors older than the API server", "md-0-b (v1.31.9)", "v1.32"}},
		{name: "kubelet too old once the control plane steps", mutate: func(in *Input) { in.Inventory.Nodes[5].Version = "v1.32.4" }, want: model.CheckFail,
			texts: []string{"once the control plane is at v1.36.3", "md-0-c (v1.32.4)", "v1.33"}},
		{name: "control plane components at two minors", mutate: func(in *Input) { in.Inventory.SystemPods[2].Version = "v1.34.5" }, want: model.CheckFail,
			texts: []string{"kube-scheduler on cp-1 (v1.34.5)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, versionSkew(in), tt.want, tt.texts...)
		})
	}
}
