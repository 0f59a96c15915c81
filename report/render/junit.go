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
