package preflight

import (
	"testing"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
)

func TestRegistry(t *testing.T) {
	t.Run("a well-configured cluster passes every preflight check", func(t *testing.T) {
		results := Run(goodInput())
		names := map[string]bool{}
		for _, r := range results {
			names[r.Name] = true
			if r.Status != model.CheckPass {
				t.Errorf("%s: %s: %s", r.Name, r.Status, r.Message)
			}
		}
		for _, c := range Checks() {
			if !names[c.Name] {
				t.Errorf("check %s returned no result", c.Name)
			}
		}
	})
	t.Run("a well-upgraded cluster passes every postflight check", func(t *testing.T) {
		for _, r := range RunPostflight(goodPostInput()) {
			if r.Status != model.CheckPass {
				t.Errorf("%s: %s: %s", r.Name, r.Status, r.Message)
			}
		}
	})
	t.Run("spec.preflight.ignore turns a failure into a warning", func(t *testing.T) {
		in := goodInput()
		in.Inventory.EtcdSnapshot = nil
		if !model.Failed(Run(in)) {
			t.Fatal("no failure without a snapshot")
		}
		in.Scenario.Spec.Preflight = &scenarios.PreflightSpec{Ignore: []string{"etcd-snapshot"}}
		for _, r := range Run(in) {
			if r.Name == "etcd-snapshot" && r.Status != model.CheckWarn {
				t.Errorf("etcd-snapshot %s, want warn: %s", r.Status, r.Message)
			}
		}
	})
	t.Run("check names are unique", func(t *testing.T) {
		seen := map[string]bool{}
		for _, c := range Checks() {
			if seen[c.Name] {
				t.Errorf("preflight check %s registered twice", c.Name)
			}
			seen[c.Name] = true
		}
		for _, c := range PostChecks() {
			if seen[c.Name] {
				t.Errorf("postflight check %s shares its name", c.Name)
			}
			seen[c.Name] = true
		}
	})
}

// TestBriefPassesCarryNoMessage: run brief (Input.Brief, as a sweep runs them), every check of a
// well-configured cluster passes without formatting its message, and a failing check's result
// is the same as without Brief.
func TestBriefPassesCarryNoMessage(t *testing.T) {
	in, post := goodInput(), goodPostInput()
	in.Brief, post.Brief = true, true
	full := RunPostflight(goodPostInput())
	brief := RunPostflight(post)
	briefAgrees(t, Run(goodInput()), Run(in))
	briefAgrees(t, full, brief)
	for _, r := range append(Run(in), brief...) {
		if r.Status != model.CheckPass || r.Message != "" {
			t.Errorf("%s brief: %s %q, want a pass without a message", r.Name, r.Status, r.Message)
		}
	}
	failing := goodInput()
	failing.Inventory.EtcdSnapshot = nil
	failingBrief := goodInput()
	failingBrief.Inventory.EtcdSnapshot = nil
	failingBrief.Brief = true
	briefAgrees(t, Run(failing), Run(failingBrief))
	if !model.Failed(Run(failingBrief)) {
		t.Error("brief, a cluster without an etcd snapshot passed")
	}
}
