package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestRemovedAPIs(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(in *Input)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "current APIs", mutate: func(in *Input) {}, want: model.CheckPass},
		{name: "removed long ago", mutate: func(in *Input) {
			in.Inventory.Objects = append(in.Inventory.Objects,
				model.ObjectRef{APIVersion: "extensions/v1beta1", Kind: "Ingress", Namespace: "shop", Name: "web", Source: "live"})
		}, want: model.CheckFail, texts: []string{
			"extensions/v1beta1 Ingress shop/web in live (removed in v1.22; use networking.k8s.io/v1 Ingress)", "zdt audit --to v1.36",
		}},
		{name: "removed by the last step of the plan", mutate: func(in *Input) {
			in.Plan = []string{"v1.31.4", "v1.32.0"}
			in.Inventory.Objects = append(in.Inventory.Objects,
				model.ObjectRef{APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3", Kind: "FlowSchema", Name: "batch"})
		}, want: model.CheckFail, texts: []string{"removed in v1.32"}},
		{name: "deprecated only", mutate: func(in *Input) {
			in.Inventory.Objects = append(in.Inventory.Objects, model.ObjectRef{APIVersion: "v1", Kind: "Endpoints", Name: "legacy"})
		}, want: model.CheckWarn, texts: []string{"v1 Endpoints legacy (deprecated in v1.33; use discovery.k8s.io/v1 EndpointSlice)"}},
		// The scenario's manifests count as much as the live objects.
		{name: "removed API in the scenario's manifests", mutate: func(in *Input) {
			in.Scenario.Objects = append(in.Scenario.Objects,
				model.ObjectRef{APIVersion: "batch/v1beta1", Kind: "CronJob", Namespace: "shop", Name: "nightly", Source: "manifests/cron.yaml#1"})
		}, want: model.CheckFail, texts: []string{"batch/v1beta1 CronJob shop/nightly in manifests/cron.yaml#1 (removed in v1.25"}},
		{name: "the API server's record unread", mutate: func(in *Input) {
			in.Inventory.APIUseUnread = "forbidden"
		}, want: model.CheckPass, texts: []string{"could not be read (forbidden)", "0 in the scenario's manifests"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodInput()
			tt.mutate(in)
			expect(t, removedAPIs(in), tt.want, tt.texts...)
		})
	}
}
