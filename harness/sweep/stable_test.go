package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/harness/sim"
	"github.com/zdt-dev/zdt/scenarios"
)

var update = flag.Bool("update", false, "rewrite testdata/sweep-results.txt with this build's sweep results")

// TestSweepResultsAreStable runs the first 2,000 seeds of the random-fault sweep of
// ha-well-configured and compares every seed's result line (verdict, failed criteria, cause,
// fault schedule) with the digest recorded in testdata/sweep-results.txt. The simulator is
// made faster without changing what it computes: a change here is a change of results, which
// only a change of the model may bring (then rerun with -update and say so in the commit).
func TestSweepResultsAreStable(t *testing.T) {
	const seeds = 2000
	sc, _, err := scenarios.Open("ha-well-configured")
	if err != nil {
		t.Fatal(err)
	}
	var lines []ResultLine
	res, err := Run(context.Background(), sc, sim.NewProvider(), ReportJudge, Options{
		Seeds: seeds, FirstSeed: 1, RandomFaults: true, Parallel: 2,
		OnResult: func(r SeedResult) { lines = append(lines, Line(r)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(lines, func(a, b ResultLine) int { return int(a.Seed - b.Seed) })
	h := sha256.New()
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(append(b, '\n'))
	}
	got := fmt.Sprintf("ha-well-configured, random faults, seeds 1-%d: %d passed, %d failed, %d inconclusive, %d harness errors; sha256 of the result lines %s\n",
		seeds, res.Passed, res.Failed, res.Inconclusive, res.HarnessErrors, hex.EncodeToString(h.Sum(nil)))
	const golden = "testdata/sweep-results.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
		t.Fatalf("the sweep's results changed:\n got: %s\nwant: %s(if the model changed on purpose, rerun with -update)", got, want)
	}
}
