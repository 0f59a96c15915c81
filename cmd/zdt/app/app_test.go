package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
)

func zdt(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return cli.ExitCode(err), out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"valid library", []string{"validate", "../../../scenarios/library/ha-well-configured.yaml"}, cli.ExitPass, []string{"valid"}},
		{"three errors with field paths", []string{"validate", "../../../testdata/scenarios/three-errors.yaml"}, cli.ExitBadInput, []string{
			"3 problem(s)",
			"spec.workloads[0].colour: unknown field",
			"spec.workloads[0].replicas: Invalid value: -1",
			"spec.workloads[1].pdb.minAvailable: Invalid value: 4: exceeds replicas (3)",
		}},
		{"well configured passes", []string{"run", "ha-well-configured", "-q", "--out", dir + "/pass"}, cli.ExitPass, []string{"verdict: PASS"}},
		{"no preStop fails", []string{"run", "no-prestop-exit", "-q", "--out", dir + "/fail"}, cli.ExitFail, []string{"verdict: FAIL", "dropped-requests", "preStop"}},
		{"blocking PDB fails naming it", []string{"run", "pdb-blocks-drain", "-q", "--out", dir + "/stall"}, cli.ExitFail, []string{"verdict: FAIL", "pdb-stall"}},
		{"preflight lists checks and warnings", []string{"preflight", "single-replica", "-q", "--out", dir + "/pre"}, cli.ExitPass, []string{
			"preflight single-replica: PASS", "WARN  workload-preconditions", "fix: run web with at least 2 replicas"}},
		{"unknown provider", []string{"run", "ha-well-configured", "--provider", "vm"}, cli.ExitBadInput, []string{"unknown provider"}},
		{"another provider's flag", []string{"run", "ha-well-configured", "--keep"}, cli.ExitBadInput, []string{"--keep applies to --provider kind, not sim"}},
		{"kubeconfig provider needs its kubeconfig", []string{"run", "ha-well-configured", "--provider", "kubeconfig"}, cli.ExitBadInput, []string{"--kubeconfig is required"}},
		{"certify as expected", []string{"certify", "ha-well-configured", "no-readiness-probe", "--seeds", "2", "--out", dir + "/cert"}, cli.ExitPass, []string{
			"2 of 2 scenario(s) as expected", "0 of 2 seeds failed: failure probability at most 84.2%"}},
		{"certify a wrong expectation", []string{"certify", "../../../testdata/scenarios/claims-pass-without-probes.yaml", "--seeds", "2", "--out", dir + "/cert-wrong"}, cli.ExitFail, []string{
			"NO: seed 1: FAIL, not PASS", "0 of 1 scenario(s) as expected"}},
		{"a starting state the provider cannot set up", []string{"run", "cordoned-at-start", "--provider", "kind"}, cli.ExitBadInput, []string{
			"spec.cluster.workerPools[0].start: the kind provider cannot set up a starting state", "--provider sim"}},
		{"a fault the provider cannot inject", []string{"run", "fault-provision-failure", "--provider", "kubeconfig", "--kubeconfig", "/dev/null"}, cli.ExitBadInput, []string{
			"spec.faults[0].kind: MachineProvisionFailure: the kubeconfig provider cannot inject", "--provider sim or --provider kind"}},
		{"fault kinds listed with their providers", []string{"faults"}, cli.ExitPass, []string{"NodeCrash (target: target.node", "injected by sim, kind", "PodKill", "injected by sim, kind, kubeconfig"}},
		{"unknown scenario", []string{"run", "no-such-scenario"}, cli.ExitBadInput, []string{"no built-in scenario"}},
		{"bad flag", []string{"run", "--nope"}, cli.ExitBadInput, []string{"unknown flag"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := zdt(t, c.args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", w, out, errOut)
				}
			}
		})
	}
}

func TestInterruptedRunKeepsItsReport(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before the run got anywhere
	var out, errOut bytes.Buffer
	err := Run(ctx, cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		[]string{"run", "ha-well-configured", "-q", "--out", dir})
	if code := cli.ExitCode(err); code != cli.ExitInconclusive {
		t.Errorf("exit code %d, want %d (INCONCLUSIVE)\n%s%s", code, cli.ExitInconclusive, out.String(), errOut.String())
	}
	data, rerr := os.ReadFile(filepath.Join(dir, "report.json"))
	if rerr != nil {
		t.Fatalf("no report.json after an interrupted run: %v", rerr)
	}
	if !strings.Contains(string(data), `"aborted": true`) {
		t.Error("report.json does not say the run was aborted")
	}
}

// zdt scenario import writes a scenario that zdt run judges, and says what it did not map.
func TestScenarioImportThenRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "shop.yaml")
	code, _, errOut := zdt(t, "scenario", "import", "--manifests", "../../../scenarios/importer/testdata/shop.yaml", "--to", "v1.36.3", "-o", file)
	if code != cli.ExitPass {
		t.Fatalf("import exited %d: %s", code, errOut)
	}
	for _, want := range []string{"not mapped: DaemonSet shop/log-agent", "wrote " + file + ": 2 workloads"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("import's stderr lacks %q:\n%s", want, errOut)
		}
	}
	code, out, errOut := zdt(t, "run", file, "--out", filepath.Join(t.TempDir(), "run"))
	// The shop is well configured (3 replicas by its HPA's minimum, PDBs, spread, a preStop
	// sleep): it must pass.
	if code != cli.ExitPass || !strings.Contains(out, "verdict: PASS") {
		t.Fatalf("run of the imported scenario exited %d, want PASS: %s\n%s", code, out, errOut)
	}
	code, _, errOut = zdt(t, "scenario", "import", "--to", "v1.36.3")
	if code != cli.ExitBadInput || !strings.Contains(errOut, "--manifests") {
		t.Errorf("import without --manifests: exit %d, %q; want bad input naming --manifests", code, errOut)
	}
}
