package render

import (
	"bytes"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/internal/fixtures"
)

// metrics.prom parses with Prometheus' own text parser, and its values are the report's: the
// dropped requests, the verdict as a 1 beside two 0s, one series per criterion.
func TestMetricsParse(t *testing.T) {
	for _, f := range fixtures.All {
		t.Run(f.Name, func(t *testing.T) {
			rep := evaluated(t, f)
			data, err := Metrics(rep)
			if err != nil {
				t.Fatal(err)
			}
			var p expfmt.TextParser
			fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("the Prometheus text parser rejects metrics.prom: %v\n%s", err, data)
			}
			dropped := fams["zdt_dropped_requests"]
			if dropped == nil || dropped.Metric[0].GetGauge().GetValue() != float64(rep.Requests.Dropped) {
				t.Errorf("zdt_dropped_requests %v, want %d", dropped, rep.Requests.Dropped)
			}
			ones := 0
			for _, m := range fams["zdt_verdict"].Metric {
				if m.GetGauge().GetValue() == 1 {
					ones++
					for _, l := range m.Label {
						if l.GetName() == "verdict" && l.GetValue() != string(rep.Verdict) {
							t.Errorf("verdict series %s is 1, the run is %s", l.GetValue(), rep.Verdict)
						}
					}
				}
			}
			if ones != 1 {
				t.Errorf("%d verdict series at 1, want 1", ones)
			}
			if got := len(fams["zdt_criterion_passed"].Metric); got != len(rep.Criteria) {
				t.Errorf("%d criterion series, want %d", got, len(rep.Criteria))
			}
			failed := 0
			for _, c := range rep.Criteria {
				if c.Outcome != report.OutcomePass {
					failed++
				}
			}
			zeros := 0
			for _, m := range fams["zdt_criterion_passed"].Metric {
				if m.GetGauge().GetValue() == 0 {
					zeros++
				}
			}
			if zeros != failed {
				t.Errorf("%d criteria at 0, want %d (not passed)", zeros, failed)
			}
		})
	}
}
