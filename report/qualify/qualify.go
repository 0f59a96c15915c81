// Package qualify is zdt's release qualification: a matrix of scenarios run over many seeds, each
// row's expected outcome against what the runs gave, with a statistical statement per row, and
// the reports that render it (HTML, JUnit, JSON). zdt certify builds it.
package qualify

import (
	"fmt"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/scenarios"
)

// SchemaVersion identifies the layout of qualification.json.
const SchemaVersion = "zdt.dev/qualification/v1"

// Confidence is the confidence level of the rows' statements.
const Confidence = 0.95

// Qualification is one zdt certify: every row, and whether all of them matched.
type Qualification struct {
	SchemaVersion string `json:"schemaVersion"`
	ZDTVersion    string `json:"zdtVersion,omitempty"`
	Provider      string `json:"provider"`
	// Seeds is how many seeds each scenario ran, FirstSeed the first of them.
	Seeds     int   `json:"seeds"`
	FirstSeed int64 `json:"firstSeed"`
	Rows      []Row `json:"rows"`
	// Matched counts the rows whose every seed matched the expectation.
	Matched   int     `json:"matched"`
	Mismatch  int     `json:"mismatched"`
	WallTime  float64 `json:"wallTimeSeconds"`
	Completed bool    `json:"completed"`
}

// Row is one scenario over every seed.
type Row struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description"`
	// Expect is the expectation (spec.expect; PASS when the scenario states none).
	Expect scenarios.Expectation `json:"expect"`
	// Seeds are the per-seed outcomes, in seed order.
	Seeds []Seed `json:"seeds"`
	// Pass, Fail, Inconclusive and Errors count the seeds by outcome (Errors: harness errors).
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Inconclusive int `json:"inconclusive"`
	Errors       int `json:"errors"`
	// Cause is the cause of the expected criterion on the first seed (or of the first failed
	// criterion), for the matrix.
	Cause string `json:"cause,omitempty"`
	// Match is true when every seed matched the expectation; Mismatch says how the first that
	// did not differed.
	Match    bool   `json:"match"`
	Mismatch string `json:"mismatch,omitempty"`
	// Statement is the row's statistical statement, e.g. "0 of 20 seeds failed: the failure
	// probability is at most 16.8% (95% Clopper-Pearson upper bound)".
	Statement string `json:"statement"`
	// FailureUpper is the Clopper-Pearson upper bound of the failure probability; FailShare the
	// share of seeds that failed and FailureLower its lower bound.
	FailureUpper float64 `json:"failureUpper"`
	FailShare    float64 `json:"failShare"`
	FailureLower float64 `json:"failureLower"`
	// Runs links one run directory per outcome seen (PASS, FAIL, INCONCLUSIVE), relative to the
	// qualification's directory.
	Runs map[string]string `json:"runs"`
}

// Seed is one seed's run of a scenario.
type Seed struct {
	Seed    int64          `json:"seed"`
	Verdict report.Verdict `json:"verdict"`
	// Failed lists the failed criteria.
	Failed []string `json:"failed"`
	// Dropped is the run's dropped requests; APIDowntime its API downtime in seconds.
	Dropped     int64   `json:"dropped"`
	APIDowntime float64 `json:"apiDowntimeSeconds"`
	// Matches says whether the seed met the expectation; Why how it did not.
	Matches bool   `json:"matches"`
	Why     string `json:"why,omitempty"`
	// Error is the harness error that stopped the run.
	Error string `json:"error,omitempty"`
}

// Expectation returns the scenario's expectation: spec.expect, or PASS, the claim every scenario
// makes unless it says otherwise.
func Expectation(sc *scenarios.Scenario) scenarios.Expectation {
	if sc.Spec.Expect != nil {
		return *sc.Spec.Expect
	}
	return scenarios.Expectation{Verdict: string(report.Pass)}
}

// Judge compares one run's report with an expectation: the verdict, the criterion that must fail
// (or be inconclusive), and the word its cause must contain. It returns why they differ, or "".
func Judge(x scenarios.Expectation, r *report.Report) string {
	if string(r.Verdict) != x.Verdict {
		why := fmt.Sprintf("%s, not %s", r.Verdict, x.Verdict)
		if r.Verdict != report.Pass {
			why += " (" + r.VerdictReason + ")"
		}
		return why
	}
	if x.Criterion == "" {
		return ""
	}
	want := report.OutcomeFail
	if x.Verdict == string(report.Inconclusive) {
		want = report.OutcomeInconclusive
	}
	for _, c := range r.Criteria {
		if c.Name != x.Criterion {
			continue
		}
		if c.Outcome != want {
			return fmt.Sprintf("%s is %s, not %s (%s)", c.Name, c.Outcome, want, r.VerdictReason)
		}
		if x.Cause != "" && !strings.Contains(strings.ToLower(c.Cause), strings.ToLower(x.Cause)) {
			return fmt.Sprintf("%s's cause does not name %q: %s", c.Name, x.Cause, c.Cause)
		}
		return ""
	}
	return fmt.Sprintf("no criterion %s in the report (%s)", x.Criterion, r.VerdictReason)
}

// Add records one seed's report (or harness error) in the row.
func (row *Row) Add(seed int64, r *report.Report, runErr error) {
	s := Seed{Seed: seed}
	switch {
	case runErr != nil:
		s.Error = runErr.Error()
		s.Why = "harness error: " + s.Error
		row.Errors++
	default:
		s.Verdict, s.Dropped, s.APIDowntime = r.Verdict, r.Requests.Dropped, r.APIDowntimeSeconds
		s.Failed = []string{}
		for _, c := range r.Criteria {
			if c.Outcome == report.OutcomeFail {
				s.Failed = append(s.Failed, c.Name)
			}
		}
		switch r.Verdict {
		case report.Pass:
			row.Pass++
		case report.Fail:
			row.Fail++
		default:
			row.Inconclusive++
		}
		s.Why = Judge(row.Expect, r)
		if row.Cause == "" {
			row.Cause = causeOf(row.Expect, r)
		}
	}
	s.Matches = s.Why == ""
	row.Seeds = append(row.Seeds, s)
}

// causeOf is the cause the matrix shows: the expected criterion's, or the first failed one's.
func causeOf(x scenarios.Expectation, r *report.Report) string {
	for _, c := range r.Criteria {
		if c.Name == x.Criterion && c.Cause != "" {
			return c.Cause
		}
	}
	for _, c := range r.Criteria {
		if c.Outcome == report.OutcomeFail && c.Cause != "" {
			return c.Name + ": " + c.Cause
		}
	}
	return ""
}

// Finish computes the row's match and its statistical statement.
func (row *Row) Finish() {
	n := len(row.Seeds)
	row.Match = n > 0
	for _, s := range row.Seeds {
		if !s.Matches {
			row.Match = false
			row.Mismatch = fmt.Sprintf("seed %d: %s", s.Seed, s.Why)
			break
		}
	}
	if n == 0 {
		row.Mismatch, row.Statement = "no seed ran", "no seed ran"
		return
	}
	failed := row.Fail
	row.FailShare = float64(failed) / float64(n)
	row.FailureLower, row.FailureUpper = ClopperPearson(failed, n, Confidence)
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	switch {
	case failed == 0:
		row.Statement = fmt.Sprintf("0 of %d seeds failed: failure probability at most %s (%.0f%% Clopper-Pearson upper bound)", n, pct(row.FailureUpper), 100*Confidence)
	case failed == n:
		row.Statement = fmt.Sprintf("%d of %d seeds failed (100%%): failure probability at least %s (%.0f%% Clopper-Pearson lower bound)", failed, n, pct(row.FailureLower), 100*Confidence)
	default:
		row.Statement = fmt.Sprintf("%d of %d seeds failed (%s; %.0f%% Clopper-Pearson interval %s to %s)", failed, n, pct(row.FailShare), 100*Confidence, pct(row.FailureLower), pct(row.FailureUpper))
	}
}

// ClopperPearson returns the exact (Clopper-Pearson) two-sided confidence interval of a binomial
// proportion with x successes in n trials: the alpha/2 and 1-alpha/2 quantiles of the Beta
// distributions Beta(x, n-x+1) and Beta(x+1, n-x), with the bounds 0 at x = 0 and 1 at x = n.
func ClopperPearson(x, n int, confidence float64) (lower, upper float64) {
	alpha := 1 - confidence
	lower, upper = 0, 1
	if x > 0 {
		lower = distuv.Beta{Alpha: float64(x), Beta: float64(n - x + 1)}.Quantile(alpha / 2)
	}
	if x < n {
		upper = distuv.Beta{Alpha: float64(x + 1), Beta: float64(n - x)}.Quantile(1 - alpha/2)
	}
	return lower, upper
}

// Tally totals the rows.
func (q *Qualification) Tally(wall time.Duration) {
	q.Matched, q.Mismatch = 0, 0
	for _, r := range q.Rows {
		if r.Match {
			q.Matched++
		} else {
			q.Mismatch++
		}
	}
	q.WallTime = wall.Round(time.Millisecond).Seconds()
}
