package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
)

func TestPostflightChecks(t *testing.T) {
	tests := []struct {
		name   string
		check  func(*PostInput) []model.CheckResult
		mutate func(in *PostInput)
		want   model.CheckStatus
		texts  []string
	}{
		{name: "system pods at target", check: systemPodsAtTarget, mutate: func(*PostInput) {}, want: model.CheckPass},
		{name: "kube-proxy left behind", check: systemPodsAtTarget, mutate: func(in *PostInput) {
			for i := range in.After.SystemPods {
				if in.After.SystemPods[i].Name == "kube-proxy-b" {
					in.After.SystemPods[i].Version = "v1.35.2"
				}
			}
		}, want: model.CheckFail, texts: []string{"kube-proxy-b on md-0-b (v1.35.2)"}},
		{name: "CoreDNS not Ready", check: systemPodsAtTarget, mutate: func(in *PostInput) {
			in.After.SystemPods[len(in.After.SystemPods)-1].Ready = false
		}, want: model.CheckFail, texts: []string{"coredns-1 on md-0-a (v1.14.2, not Ready)"}},

		{name: "add-ons healthy", check: addonsHealthy, mutate: func(*PostInput) {}, want: model.CheckPass},
		{name: "CNI unhealthy", check: addonsHealthy, mutate: func(in *PostInput) {
			in.After.Addons[0].Healthy, in.After.Addons[0].Message = false, "2 of 6 pods CrashLoopBackOff"
		}, want: model.CheckFail, texts: []string{"cni flannel is unhealthy after the upgrade: 2 of 6 pods CrashLoopBackOff"}},

		{name: "workloads back", check: workloadsAvailable, mutate: func(*PostInput) {}, want: model.CheckPass},
		{name: "workload short of ready replicas", check: workloadsAvailable, mutate: func(in *PostInput) {
			in.After.Workloads[1].ReadyReplicas = 2
		}, want: model.CheckFail, texts: []string{"api (2 of 3 Ready)"}},
		{name: "workload gone", check: workloadsAvailable, mutate: func(in *PostInput) {
			in.After.Workloads = in.After.Workloads[1:]
		}, want: model.CheckFail, texts: []string{"web (gone)"}},

		{name: "usage within 20%", check: resourceUsage, mutate: func(*PostInput) {}, want: model.CheckPass,
			texts: []string{"CPU 3 -> 3300m (+10%)", "memory 6Gi -> 6656Mi (+8%)"}},
		{name: "usage up 30%", check: resourceUsage, mutate: func(in *PostInput) { in.After.Usage.CPUMilli = 3900 }, want: model.CheckWarn,
			texts: []string{"CPU 3 -> 3900m (+30%)", "more than +20%"}},
		{name: "usage up 60%", check: resourceUsage, mutate: func(in *PostInput) { in.After.Usage.MemoryBytes = 9830 * mi }, want: model.CheckFail,
			texts: []string{"memory 6Gi -> 9830Mi (+60%)", "more than +50%"}},
		{name: "no baseline", check: resourceUsage, mutate: func(in *PostInput) { in.Before.Usage = model.Usage{} }, want: model.CheckWarn,
			texts: []string{"no resource baseline"}},

		{name: "API answers at target", check: apiAvailable, mutate: func(*PostInput) {}, want: model.CheckPass},
		{name: "API down", check: apiAvailable, mutate: func(in *PostInput) { in.After.APIAvailable = false }, want: model.CheckFail,
			texts: []string{"does not answer"}},
		{name: "API at the old version", check: apiAvailable, mutate: func(in *PostInput) { in.After.APIServerVersion = "v1.35.2" }, want: model.CheckFail,
			texts: []string{"answers v1.35.2, not the target v1.36.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodPostInput()
			tt.mutate(in)
			expect(t, tt.check(in), tt.want, tt.texts...)
			brief := goodPostInput()
			tt.mutate(brief)
			brief.Brief = true
			briefAgrees(t, tt.check(in), tt.check(brief))
		})
	}
}
