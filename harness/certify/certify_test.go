package certify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/report/qualify"
	"github.com/zdt-dev/zdt/scenarios"
)

func open(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	sc, _, err := scenarios.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestCertifyMatchesAndMismatches: the reference scenario passes and the scenario without
// readiness probes fails for the right reason on every seed; the same scenario, claimed to
// pass, is a mismatch that names the seed.
func TestCertifyMatchesAndMismatches(t *testing.T) {
	wrong := open(t, "no-readiness-probe")
	wrong.Metadata.Name = "no-readiness-probe-claimed-to-pass"
	wrong.Spec.Expect = &scenarios.Expectation{Verdict: "PASS"}
	out := t.TempDir()
	q, err := Run(context.Background(), []*scenarios.Scenario{open(t, "ha-well-configured"), open(t, "no-readiness-probe"), wrong},
		sim.NewProvider(), Options{Seeds: 3, Parallel: 2, Out: out, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !q.Completed || q.Matched != 2 || q.Mismatch != 1 {
		t.Fatalf("completed %v, %d matched, %d mismatched: %+v", q.Completed, q.Matched, q.Mismatch, q.Rows)
	}
	pass, fail, claimed := q.Rows[0], q.Rows[1], q.Rows[2]
	if pass.Pass != 3 || !strings.Contains(pass.Statement, "at most 70.8%") {
		t.Errorf("reference: %d passed, %q", pass.Pass, pass.Statement)
	}
	if fail.Fail != 3 || !strings.Contains(fail.Cause, "readiness probe") {
		t.Errorf("no-readiness-probe: %d failed, cause %q", fail.Fail, fail.Cause)
	}
	if claimed.Match || !strings.HasPrefix(claimed.Mismatch, "seed 1: FAIL, not PASS") {
		t.Errorf("claimed to pass: match %v, %q", claimed.Match, claimed.Mismatch)
	}
	// One run report per outcome, linked from the row.
	dir, ok := fail.Runs["FAIL"]
	if !ok {
		t.Fatalf("runs %v: no FAIL run linked", fail.Runs)
	}
	if _, err := os.Stat(filepath.Join(out, dir, "report.html")); err != nil {
		t.Error(err)
	}
	if err := qualify.WriteAll(out, q); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{qualify.HTMLFile, qualify.JUnitFile, qualify.JSONFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestInterruptedCertifyIsIncomplete: a cancelled context stops the runs and the qualification
// says it is incomplete.
func TestInterruptedCertifyIsIncomplete(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q, err := Run(ctx, []*scenarios.Scenario{open(t, "ha-well-configured")}, sim.NewProvider(), Options{Seeds: 5, Parallel: 1})
	if err == nil || q == nil || q.Completed {
		t.Fatalf("err %v, completed %v", err, q != nil && q.Completed)
	}
}
