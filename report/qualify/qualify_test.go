package qualify

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// TestClopperPearson checks the bounds against closed forms: with no success the upper bound
// is 1 - (alpha/2)^(1/n), with every trial a success the lower bound is (alpha/2)^(1/n); and
// against a published value (x = 3 of n = 20: 3.2% to 37.9%).
func TestClopperPearson(t *testing.T) {
	for _, n := range []int{1, 5, 20, 100} {
		lo, up := ClopperPearson(0, n, 0.95)
		if want := 1 - math.Pow(0.025, 1/float64(n)); lo != 0 || math.Abs(up-want) > 1e-9 {
			t.Errorf("x=0 n=%d: [%g, %g], want [0, %g]", n, lo, up, want)
		}
		lo, up = ClopperPearson(n, n, 0.95)
		if want := math.Pow(0.025, 1/float64(n)); up != 1 || math.Abs(lo-want) > 1e-9 {
			t.Errorf("x=n=%d: [%g, %g], want [%g, 1]", n, lo, up, want)
		}
	}
	lo, up := ClopperPearson(3, 20, 0.95)
	if math.Abs(lo-0.0321) > 5e-4 || math.Abs(up-0.3789) > 5e-4 {
		t.Errorf("x=3 n=20: [%.4f, %.4f], want [0.0321, 0.3789]", lo, up)
	}
}

func TestJudge(t *testing.T) {
	fail := &report.Report{Verdict: report.Fail, VerdictReason: "1 of 3 criteria failed: dropped-requests",
		Criteria: []report.Criterion{{Name: "dropped-requests", Outcome: report.OutcomeFail, Cause: "web dropped 3 requests; web has no preStop hook"}}}
	pass := &report.Report{Verdict: report.Pass, Criteria: []report.Criterion{{Name: "dropped-requests", Outcome: report.OutcomePass}}}
	for _, tt := range []struct {
		name string
		x    scenarios.Expectation
		r    *report.Report
		want string
	}{
		{"pass as expected", scenarios.Expectation{Verdict: "PASS"}, pass, ""},
		{"fail for the right reason", scenarios.Expectation{Verdict: "FAIL", Criterion: "dropped-requests", Cause: "PRESTOP"}, fail, ""},
		{"a false pass", scenarios.Expectation{Verdict: "FAIL", Criterion: "dropped-requests"}, pass, "PASS, not FAIL"},
		{"the wrong cause", scenarios.Expectation{Verdict: "FAIL", Criterion: "dropped-requests", Cause: "readiness"}, fail, `does not name "readiness"`},
		{"another criterion", scenarios.Expectation{Verdict: "FAIL", Criterion: "pdb-stall"}, fail, "no criterion pdb-stall"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.x, tt.r)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("Judge = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRowStatement(t *testing.T) {
	pass := &report.Report{Verdict: report.Pass}
	fail := &report.Report{Verdict: report.Fail, Criteria: []report.Criterion{{Name: "dropped-requests", Outcome: report.OutcomeFail}}}
	row := &Row{Expect: scenarios.Expectation{Verdict: "PASS"}}
	for i := range 20 {
		row.Add(int64(i+1), pass, nil)
	}
	row.Finish()
	if !row.Match || !strings.Contains(row.Statement, "at most 16.8%") {
		t.Errorf("20 passes: match %v, %q", row.Match, row.Statement)
	}
	row = &Row{Expect: scenarios.Expectation{Verdict: "PASS"}}
	row.Add(1, pass, nil)
	row.Add(2, fail, nil)
	row.Finish()
	if row.Match || !strings.Contains(row.Mismatch, "seed 2: FAIL, not PASS") || !strings.Contains(row.Statement, "1 of 2 seeds failed (50.0%") {
		t.Errorf("one failure: match %v, mismatch %q, %q", row.Match, row.Mismatch, row.Statement)
	}
}

// TestJUnitHasOneCasePerScenario: CI reads one test case per scenario, a mismatch as a failure.
func TestJUnitHasOneCasePerScenario(t *testing.T) {
	q := &Qualification{Provider: "sim", Seeds: 1, Rows: []Row{
		{Scenario: "a", Expect: scenarios.Expectation{Verdict: "PASS"}, Match: true},
		{Scenario: "b", Expect: scenarios.Expectation{Verdict: "FAIL"}, Mismatch: "seed 1: PASS, not FAIL",
			Seeds: []Seed{{Seed: 1, Why: "PASS, not FAIL"}}},
	}}
	data, err := JUnit(q)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	cases := doc.Suites[0].Cases
	if len(cases) != 2 || cases[0].Failure != nil || cases[1].Failure == nil || !strings.Contains(cases[1].Failure.Message, "PASS, not FAIL") {
		t.Errorf("cases %+v", cases)
	}
	if _, err := HTML(q); err != nil {
		t.Errorf("HTML: %v", err)
	}
}
