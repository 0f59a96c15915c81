package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo's DSL reads best unqualified.
	. "github.com/onsi/gomega"    //nolint:revive // Gomega's DSL reads best unqualified.

	"github.com/zdt-dev/zdt/harness"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
	"github.com/zdt-dev/zdt/scenarios"
)

// UpgradeSafetySpecInput is the input of UpgradeSafetySpec.
type UpgradeSafetySpecInput struct {
	// Provider brings the cluster up (kind) or connects to it (kubeconfig).
	Provider harness.Provider
	// Scenario is a built-in scenario's name or a scenario file.
	Scenario string
	// Prepare, when set, runs after the scenario is loaded and before the run: for example to
	// break a workload's configuration in an existing cluster.
	Prepare func(ctx context.Context, sc *scenarios.Scenario) error
	// ArtifactFolder receives the run directory (named after the scenario).
	ArtifactFolder string
	// Timeout bounds the whole run, bring-up and teardown included.
	Timeout time.Duration
	// PreflightOnly stops after the preflight checks, as `zdt preflight` does.
	PreflightOnly bool
	// WantVerdict is the verdict the run must reach.
	WantVerdict report.Verdict
	// WantFailed names criteria that must have failed (e.g. "preflight", "dropped-requests").
	WantFailed []string
	// WantArtifacts lists files the run directory's artifacts/ must hold (a run that does not
	// PASS keeps them, KeepArtifacts keeps them always), relative to it, as filepath.Match
	// patterns: each must match at least one file.
	WantArtifacts []string
	// KeepArtifacts keeps artifacts/ whatever the verdict (zdt run --artifacts).
	KeepArtifacts bool
}

// UpgradeSafetySpec runs a scenario end to end on a real provider and checks its verdict: the
// claim "this upgrade causes zero downtime" is certified (PASS) for a well-configured scenario,
// and a misconfigured one fails on the criteria it breaks. The harness reports errors; the spec
// only asserts on them.
func UpgradeSafetySpec(ctx context.Context, inputGetter func() UpgradeSafetySpecInput) {
	var input UpgradeSafetySpecInput

	BeforeEach(func() {
		input = inputGetter()
		Expect(input.Provider).NotTo(BeNil(), "UpgradeSafetySpecInput.Provider is required")
		Expect(input.Scenario).NotTo(BeEmpty(), "UpgradeSafetySpecInput.Scenario is required")
		Expect(input.Timeout).To(BeNumerically(">", 0), "UpgradeSafetySpecInput.Timeout is required")
		Expect(input.WantVerdict).NotTo(BeEmpty(), "UpgradeSafetySpecInput.WantVerdict is required")
	})

	It("reaches the scenario's expected verdict with the causes named", func() {
		sc, _, err := scenarios.Open(input.Scenario)
		Expect(err).NotTo(HaveOccurred())
		runCtx, cancel := context.WithTimeout(ctx, input.Timeout)
		defer cancel()
		if input.Prepare != nil {
			Expect(input.Prepare(runCtx, sc)).To(Succeed())
		}
		folder := input.ArtifactFolder
		if folder == "" {
			folder = os.TempDir()
		}
		out := filepath.Join(folder, fmt.Sprintf("%s-%s", sc.Metadata.Name, input.Provider.Info().Name))
		start := time.Now()
		progress := func(format string, args ...any) {
			fmt.Fprintf(GinkgoWriter, "%s zdt: "+format+"\n", append([]any{time.Since(start).Round(time.Second)}, args...)...)
		}
		res, err := harness.Execute(runCtx, harness.Input{Scenario: sc, Provider: input.Provider, Out: out, Version: "e2e",
			Progress: progress, PreflightOnly: input.PreflightOnly, Force: true, KeepArtifacts: input.KeepArtifacts})
		Expect(err).NotTo(HaveOccurred(), "the run stopped by a harness error; run directory %s", out)
		Expect(res).NotTo(BeNil())
		Expect(res.Report).NotTo(BeNil())
		rep := res.Report
		Expect(render.Summary(GinkgoWriter, rep)).To(Succeed())
		fmt.Fprintf(GinkgoWriter, "run directory: %s; total %s\n", out, time.Since(start).Round(time.Second))

		failed := map[string]bool{}
		for _, c := range rep.Criteria {
			if !c.Passed {
				failed[c.Name] = true
			}
		}
		Expect(rep.Verdict).To(Equal(input.WantVerdict), "failed criteria: %v (report in %s)", keys(failed), out)
		for _, name := range input.WantFailed {
			Expect(failed).To(HaveKey(name), "criterion %s should have failed (report in %s)", name, out)
		}
		if len(input.WantArtifacts) > 0 {
			dir := filepath.Join(out, "artifacts")
			n, size := 0, int64(0)
			Expect(filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					n, size = n+1, size+fi.Size()
				}
				return err
			})).To(Succeed(), "artifacts of %s", out)
			fmt.Fprintf(GinkgoWriter, "artifacts: %d files, %d KiB in %s\n", n, size>>10, dir)
			for _, f := range input.WantArtifacts {
				matches, err := filepath.Glob(filepath.Join(dir, f))
				Expect(err).NotTo(HaveOccurred())
				Expect(matches).NotTo(BeEmpty(), "artifacts/%s in %s", f, out)
			}
		}
	})
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
