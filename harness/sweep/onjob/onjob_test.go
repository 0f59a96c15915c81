package onjob

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/zdt-dev/zdt/scenarios"
)

func TestJobRunsEachShardOnce(t *testing.T) {
	j := jobFor(Input{Seeds: 1000, FirstSeed: 7, Faults: "random", Parallelism: 4, Image: "zdt.dev/zdt:dev"})
	if *j.Spec.CompletionMode != batchv1.IndexedCompletion || *j.Spec.Completions != 4 || *j.Spec.Parallelism != 4 || *j.Spec.BackoffLimit != 0 {
		t.Errorf("job spec %+v: want an Indexed Job of 4 completions, 4 at once, no retry", j.Spec)
	}
	args := strings.Join(j.Spec.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"sweep /scenario/scenario.yaml", "--shard $(JOB_COMPLETION_INDEX)/4", "--seeds 1000", "--first-seed 7", "--faults random", "--no-shrink", "--results -"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}

// TestFailedIndexEndsTheRunAndRemovesTheNamespace: a failed index is an error naming it, and the
// namespace zdt made is deleted all the same.
func TestFailedIndexEndsTheRunAndRemovesTheNamespace(t *testing.T) {
	cs := fake.NewClientset()
	cs.PrependReactor("get", "jobs", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, &batchv1.Job{Status: batchv1.JobStatus{Failed: 1}}, nil
	})
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Input{Client: cs, Scenario: sc, Seeds: 10, FirstSeed: 1, Faults: "random", Parallelism: 2, Image: "zdt.dev/zdt:dev"})
	if err == nil || !strings.Contains(err.Error(), "1 index(es) failed") {
		t.Fatalf("Run = %v, want the failed index named", err)
	}
	var created, deleted string
	for _, a := range cs.Actions() {
		if a.GetResource().Resource != "namespaces" {
			continue
		}
		switch a := a.(type) {
		case k8stesting.CreateAction:
			created = a.GetObject().(interface{ GetName() string }).GetName()
		case k8stesting.DeleteAction:
			deleted = a.GetName()
		}
	}
	if !strings.HasPrefix(created, "zdt-sweep-") || deleted != created {
		t.Errorf("namespace %q created, %q deleted: want the sweep's own namespace deleted", created, deleted)
	}
}
