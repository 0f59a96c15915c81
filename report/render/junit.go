package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
)

func init() {
	register(Renderer{Name: "junit", File: model.JUnitFile, Render: func(w io.Writer, r *report.Report) error {
		return write(w, JUnit, r)
	}})
}

// JUnitSuites and the types below are the JUnit XML schema CI systems read, shared with the
// other reports that render JUnit (the release qualification's).
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []JUnitProperty `xml:"properties>property"`
	Cases      []JUnitCase     `xml:"testcase"`
}

// JUnitProperty is one <property> of a suite.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one <testcase>.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitMessage `xml:"failure,omitempty"`
	Error     *JUnitMessage `xml:"error,omitempty"`
	Skipped   *JUnitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitMessage is a <failure>, <error> or <skipped>.
type JUnitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// JUnit returns junit.xml's content: one suite per run with a test case per criterion and per
// preflight and postflight check. A failed criterion or check is a <failure>, an inconclusive
// one an <error> (so that CI never shows it green), a skipped one <skipped>.
func JUnit(r *report.Report) ([]byte, error) {
	s := JUnitSuite{Name: "zdt/" + r.Scenario, Time: "0"}
	s.Properties = []JUnitProperty{
		{"scenario", r.Scenario}, {"provider", r.Provider}, {"seed", fmt.Sprint(r.Seed)},
		{"from", r.From}, {"to", r.To}, {"verdict", string(r.Verdict)},
	}
	for _, c := range r.Criteria {
		tc := JUnitCase{Name: c.Name, Classname: "zdt.criteria", Time: "0", SystemOut: c.Detail}
		body := strings.TrimSpace(strings.Join(nonEmpty(c.Detail, prefixed("cause: ", c.Cause), prefixed("fix: ", c.Fix)), "\n"))
		msg := fmt.Sprintf("%s: %s", c.Name, observedVsLimit(c))
		switch c.Outcome {
		case report.OutcomeFail:
			tc.Failure = &JUnitMessage{Message: msg, Type: "CriterionFailed", Body: body}
		case report.OutcomeInconclusive:
			tc.Error = &JUnitMessage{Message: msg, Type: "Inconclusive", Body: body}
		case report.OutcomeSkipped:
			tc.Skipped = &JUnitMessage{Message: c.Detail}
		}
		s.Cases = append(s.Cases, tc)
	}
	for _, group := range []struct {
		class  string
		checks []report.Check
	}{{"zdt.preflight", r.Preflight}, {"zdt.postflight", r.Postflight}} {
		for _, ch := range group.checks {
			tc := JUnitCase{Name: ch.Name, Classname: group.class, Time: "0", SystemOut: ch.Status + ": " + ch.Message}
			if ch.Status == "fail" {
				tc.Failure = &JUnitMessage{Message: ch.Message, Type: "CheckFailed", Body: prefixed("fix: ", ch.Fix)}
			}
			s.Cases = append(s.Cases, tc)
		}
	}
	return encodeJUnit(s)
}

// encodeJUnit counts a suite's cases and encodes it as the only suite of a junit.xml.
func encodeJUnit(s JUnitSuite) ([]byte, error) {
	for _, tc := range s.Cases {
		s.Tests++
		switch {
		case tc.Failure != nil:
			s.Failures++
		case tc.Error != nil:
			s.Errors++
		case tc.Skipped != nil:
			s.Skipped++
		}
	}
	all := JUnitSuites{Name: "zdt", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Suites: []JUnitSuite{s}}
	data, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode junit.xml: %w", err)
	}
	return append(append([]byte(xml.Header), data...), '\n'), nil
}

// BaselineJUnit returns the JUnit XML of zdt baseline check: a test case per figure, failed
// when it regressed against the history, skipped when the history is too short to judge it,
// and one for the verdict.
func BaselineJUnit(b *report.BaselineResult) ([]byte, error) {
	s := JUnitSuite{Name: "zdt-baseline/" + b.Scenario + "/" + b.Provider, Time: "0", Properties: []JUnitProperty{
		{"scenario", b.Scenario}, {"provider", b.Provider}, {"seed", fmt.Sprint(b.Seed)}, {"verdict", string(b.Verdict)},
		{"history-runs", fmt.Sprint(b.Runs)}, {"percentile", fmt.Sprint(b.Percentile)},
	}}
	v := JUnitCase{Name: "verdict", Classname: "zdt.baseline", Time: "0", SystemOut: fmt.Sprintf("%s; %d of %d runs of the history passed", b.Verdict, b.Passed, b.Runs)}
	if b.VerdictRegressed {
		v.Failure = &JUnitMessage{Message: fmt.Sprintf("verdict %s, every one of the %d runs of the history passed", b.Verdict, b.Runs), Type: "BaselineRegression"}
	}
	s.Cases = append(s.Cases, v)
	for _, f := range b.Figures {
		tc := JUnitCase{Name: f.Metric, Classname: "zdt.baseline", Time: "0",
			SystemOut: fmt.Sprintf("%s: %s (P%g of %d runs: %s, limit %s)", f.Metric, report.Value(f.Value, f.Unit), b.Percentile, f.Runs, report.Value(f.Percentile, f.Unit), report.Value(f.Limit, f.Unit))}
		switch {
		case !f.Judged:
			tc.Skipped = &JUnitMessage{Message: fmt.Sprintf("the history has %d of the %d runs needed", f.Runs, b.MinRuns)}
		case f.Regressed:
			tc.Failure = &JUnitMessage{Message: fmt.Sprintf("%s %s is above the limit %s (P%g of %d runs: %s)", f.Metric, report.Value(f.Value, f.Unit), report.Value(f.Limit, f.Unit), b.Percentile, f.Runs, report.Value(f.Percentile, f.Unit)), Type: "BaselineRegression"}
		}
		s.Cases = append(s.Cases, tc)
	}
	return encodeJUnit(s)
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
