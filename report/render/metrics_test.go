package render

import (
	"bytes"
	"testing"

	"github.com/prometheus/common/expfmt"
	prommodel "github.com/prometheus/common/model"

	"github.com/zdt-dev/zdt/model"
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
			// The legacy names: what every Prometheus and textfile collector accepts.
			p := expfmt.NewTextParser(prommodel.LegacyValidation)
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

// The summary says how many packets the host refused and where they went; 0 is said too, and
// a run that could not count says why.
func TestSummaryEgress(t *testing.T) {
	rep := evaluated(t, fixtures.All[fixtures.Broken])
	for _, tt := range []struct {
		egress *model.Egress
		want   string
	}{
		{&model.Egress{Measured: true}, "egress: 0 packets sent off this machine"},
		{&model.Egress{Measured: true, Refused: 2349, Bytes: 121000, Destinations: []model.EgressDestination{{Proto: "udp", Address: "10.255.255.53", Port: 53, Source: "172.18.0.2", Packets: 40}}},
			"WARNING egress: the host refused 2349 packets (121000 bytes) the run's containers sent off this machine; nothing the run does needs them: udp 10.255.255.53:53 from 172.18.0.2 (40 logged)"},
		{&model.Egress{Reason: "not root"}, "egress: not measured (not root)"},
	} {
		rep.Egress = tt.egress
		var b bytes.Buffer
		if err := Summary(&b, rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b.Bytes(), []byte(tt.want)) {
			t.Errorf("summary lacks %q:\n%s", tt.want, b.String())
		}
	}
}
