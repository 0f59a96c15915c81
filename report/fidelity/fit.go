package fidelity

import (
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios/calibration"
)

// Fit returns base with every timing the observations show replaced by the median of what they
// saw (medians: one slow machine of a handful must not move a figure), the latency model by the
// measured median and 99th percentile per connection mode, and one line per field saying what
// it was fitted from. A timing no run showed keeps its base value and is listed as such.
func Fit(obs []*Observations, base calibration.Calibration) (calibration.Calibration, []string) {
	cal := base
	var notes []string
	all := func(get func(*Observations) []float64) []float64 {
		var out []float64
		for _, o := range obs {
			out = append(out, get(o)...)
		}
		return out
	}
	set := func(field string, dst *metav1.Duration, what string, xs []float64, minus time.Duration) {
		if len(xs) == 0 {
			notes = append(notes, fmt.Sprintf("%s: no %s seen, kept %s", field, what, dst.Duration))
			return
		}
		m := median(xs)
		v := max(0, seconds(m)-minus).Round(100 * time.Millisecond)
		note := fmt.Sprintf("%s: %s, %d seen, median %s", field, what, len(xs), seconds(m).Round(100*time.Millisecond))
		if minus > 0 {
			note += fmt.Sprintf(" less %s", minus)
		}
		notes = append(notes, fmt.Sprintf("%s -> %s", note, v))
		dst.Duration = v
	}
	set("nodeJoin", &cal.NodeJoin, "worker machines created to Node Ready", all(func(o *Observations) []float64 { return o.WorkerCreate }), cal.MachineProvision.Duration)
	set("controlPlaneJoin", &cal.ControlPlaneJoin, "control plane machines created to Node Ready", all(func(o *Observations) []float64 { return o.ControlPlaneCreate }), cal.MachineProvision.Duration)
	set("controlPlaneSettle", &cal.ControlPlaneSettle, "new control plane nodes Ready to the next deletion", all(func(o *Observations) []float64 { return o.ControlPlaneSettle }), 0)
	set("workerSettle", &cal.WorkerSettle, "new workers Ready to the next deletion", all(func(o *Observations) []float64 { return o.WorkerSettle }), 0)
	set("evictionRetry", &cal.EvictionRetry, "drains nothing held up (each lasts one requeue)", all(func(o *Observations) []float64 { return o.Drains }), 0)
	// The simulator powers a machine off MachineDelete after its drain and removes its Node a
	// second later.
	set("machineDelete", &cal.MachineDelete, "drain ends to machines gone", all(func(o *Observations) []float64 { return o.Deletes }), time.Second)
	set("endpointSync", &cal.EndpointSync, "pod deletions to endpoint removed", all(func(o *Observations) []float64 { return o.EndpointSync }), 0)
	set("containerStart", &cal.ContainerStart, "pods Ready on nodes that ran them before, less startup and probe", all(func(o *Observations) []float64 { return o.PodStartWarm }), 0)
	set("imagePull", &cal.ImagePull, "first pods of a workload Ready on a new node, less startup, probe and containerStart", all(func(o *Observations) []float64 { return o.PodStartCold }), cal.ContainerStart.Duration)
	// The API load balancer takes the restarted apiserver back after lbRise passed checks, the
	// first at a random point of its interval: (lbRise-1/2) intervals on average.
	rise := time.Duration((float64(cal.LBRise) - 0.5) * float64(cal.LBHealthInterval.Duration))
	set("apiServerStart", &cal.APIServerStart, "API outages of apiserver restarts, less the restart and the load balancer's rise", all(func(o *Observations) []float64 { return o.APIServerStart }), rise)

	for _, m := range []struct {
		mode model.ConnMode
		dst  *calibration.LatencyQuantiles
	}{{model.ConnNew, &cal.Latency.New}, {model.ConnReused, &cal.Latency.Reused}} {
		xs := all(func(o *Observations) []float64 { return o.Latency[m.mode] })
		if len(xs) < 100 {
			notes = append(notes, fmt.Sprintf("latency.%s: %d requests, too few to fit a tail; kept", m.mode, len(xs)))
			continue
		}
		slices.Sort(xs)
		med := seconds(stat.Quantile(0.5, stat.Empirical, xs, nil)).Round(10 * time.Microsecond)
		p99 := seconds(stat.Quantile(0.99, stat.Empirical, xs, nil)).Round(10 * time.Microsecond)
		m.dst.Median.Duration, m.dst.P99.Duration = med, max(p99, med)
		_, sigma, _ := m.dst.LogNormal()
		notes = append(notes, fmt.Sprintf("latency.%s: %d requests, median %s, p99 %s (log-normal sigma %.2f, mean %s)",
			m.mode, len(xs), med, p99, sigma, m.dst.Mean().Round(10*time.Microsecond)))
	}
	return cal, notes
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return stat.Quantile(0.5, stat.LinInterp, s, nil)
}

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
