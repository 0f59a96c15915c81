package render

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
)

func init() {
	register(Renderer{Name: "metrics", File: model.MetricsFile, Render: func(w io.Writer, r *report.Report) error {
		return write(w, Metrics, r)
	}})
}

// Metrics returns metrics.prom's content: the run's figures (report.Metrics), its verdict and
// each criterion's outcome as gauges in the Prometheus text exposition format, which node
// exporter's textfile collector reads and a Pushgateway accepts (curl --data-binary
// @metrics.prom http://PUSHGATEWAY/metrics/job/zdt). Every series carries the scenario,
// provider and seed; no timestamp is written (the textfile collector rejects them).
func Metrics(r *report.Report) ([]byte, error) {
	common := []*dto.LabelPair{label("scenario", r.Scenario), label("provider", r.Provider), label("seed", fmt.Sprint(r.Seed))}
	families := map[string]*dto.MetricFamily{}
	add := func(name, help string, value float64, labels ...*dto.LabelPair) {
		f := families[name]
		if f == nil {
			f = &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: dto.MetricType_GAUGE.Enum()}
			families[name] = f
		}
		f.Metric = append(f.Metric, &dto.Metric{Label: append(append([]*dto.LabelPair{}, common...), labels...), Gauge: &dto.Gauge{Value: proto.Float64(value)}})
	}
	for _, m := range r.Metrics() {
		switch {
		case m.Backend != "":
			add("zdt_disruption_seconds", "Time a backend (target and connection mode) failed requests during the run.", m.Value, label("backend", m.Backend))
		case m.Phase != "":
			add("zdt_phase_duration_seconds", "Duration of an upgrade phase.", m.Value, label("phase", m.Phase), label("step", m.Step))
		default:
			name := "zdt_" + strings.ReplaceAll(m.Name, "-", "_")
			if m.Unit == "seconds" && !strings.HasSuffix(name, "_seconds") {
				name += "_seconds"
			}
			add(name, metricHelp[m.Name], m.Value)
		}
	}
	for _, v := range []report.Verdict{report.Pass, report.Fail, report.Inconclusive} {
		add("zdt_verdict", "1 for the run's verdict, 0 for the others.", b2f(r.Verdict == v), label("verdict", string(v)))
	}
	for _, c := range r.Criteria {
		add("zdt_criterion_passed", "1 when a pass criterion held, 0 when it failed or could not be judged.", b2f(c.Outcome == report.OutcomePass), label("criterion", c.Name))
	}
	add("zdt_requests", "Requests the load generator sent during the run.", float64(r.Requests.Total))
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		if _, err := expfmt.MetricFamilyToText(&b, families[n]); err != nil {
			return nil, fmt.Errorf("metrics %s: %w", n, err)
		}
	}
	return b.Bytes(), nil
}

var metricHelp = map[string]string{
	"dropped-requests":  "Requests that failed or got no answer during the run.",
	"pdb-stalls":        "Evictions a PodDisruptionBudget blocked for a while.",
	"pdb-stall-longest": "Longest time a drain waited on a PodDisruptionBudget.",
	"pdb-stall-total":   "Total time drains waited on PodDisruptionBudgets.",
	"api-downtime":      "Time the Kubernetes API did not answer.",
	"upgrade-duration":  "Duration of the upgrade, control plane and every pool.",
}

func label(name, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: proto.String(name), Value: proto.String(value)}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
