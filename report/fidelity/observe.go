// Package fidelity measures how well the simulator agrees with a real cluster. It reads the
// timings the simulator uses from the timelines and samples of real runs (Observe), fits a
// calibration profile to them (Fit), and compares the figures of real and simulated runs of the
// same scenarios, cell by cell against the fidelity targets (Compare, Markdown). zdt calibrate
// drives it; it reads only run directories, so it works alike on runs made by hand.
package fidelity

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/scenarios"
	"github.com/zdt-dev/zdt/scenarios/faults"
)

// Observations are the timings one real run shows, each a list of what it saw, in seconds.
type Observations struct {
	// Dir is the run directory; Scenario its scenario's name.
	Dir, Scenario string
	// WorkerCreate and ControlPlaneCreate are Machine creation to Node Ready.
	WorkerCreate, ControlPlaneCreate []float64
	// ControlPlaneSettle and WorkerSettle are a new machine's Node Ready to the deletion of the
	// next old machine of the same control plane or pool.
	ControlPlaneSettle, WorkerSettle []float64
	// Drains are drains that no budget and no API error held up: start to last pod gone.
	Drains []float64
	// Deletes are the end of a drain to the machine gone.
	Deletes []float64
	// EndpointSync is a pod's deletion to its endpoint removed from the EndpointSlice.
	EndpointSync []float64
	// PodStartWarm and PodStartCold are how long a pod took from creation to Ready, less the
	// part its own startup and readiness probe explain (readyIn), on a node that ran the
	// workload before (warm) and on a new node that had not (cold: the image is pulled).
	PodStartWarm, PodStartCold []float64
	// APIServerStart is an API outage that an APIServerRestart fault caused, less the fault's
	// length: how long the apiserver took to serve again.
	APIServerStart []float64
	// Latency is the latency of the workloads' successful requests, by connection mode.
	Latency map[model.ConnMode][]float64
}

// Observe reads one real run directory.
func Observe(dir string) (*Observations, error) {
	data, err := os.ReadFile(filepath.Join(dir, model.ScenarioFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	sc, err := scenarios.Parse(filepath.Join(dir, model.ScenarioFile), data)
	if err != nil {
		return nil, err
	}
	tl, err := model.ReadTimeline(dir)
	if err != nil {
		return nil, err
	}
	o := &Observations{Dir: dir, Scenario: sc.Metadata.Name, Latency: map[model.ConnMode][]float64{}}
	var apiFailed []time.Duration
	err = model.EachSample(dir, func(s *model.Sample) error {
		if s.Target == model.APITarget {
			if !s.OK() {
				apiFailed = append(apiFailed, s.At)
			}
			return nil
		}
		if !s.OK() {
			return nil
		}
		for i := int64(0); i < s.N(); i++ {
			o.Latency[s.Conn] = append(o.Latency[s.Conn], s.Latency.Seconds())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: samples: %w", dir, err)
	}
	o.timeline(sc, tl, apiFailed)
	return o, nil
}

func secs(d time.Duration) float64 { return d.Seconds() }

// timeline reads every timing but latency from the run's intervals.
// apiFailed are the instants of the API prober's failed probes.
func (o *Observations) timeline(sc *scenarios.Scenario, tl []model.Interval, apiFailed []time.Duration) {
	by := map[model.Reason][]*model.Interval{}
	for i := range tl {
		iv := &tl[i]
		if iv.CutShort {
			continue
		}
		by[iv.Reason] = append(by[iv.Reason], iv)
	}
	for _, r := range by {
		sort.SliceStable(r, func(i, j int) bool { return r[i].From < r[j].From })
	}
	// Machines: creation, and the deletion that the next Ready machine let go ahead.
	created := map[string]bool{}
	for _, c := range by[model.ReasonMachineCreated] {
		created[c.Locator.Node] = true
		if c.Locator.Pool == "" {
			o.ControlPlaneCreate = append(o.ControlPlaneCreate, secs(c.Duration()))
		} else {
			o.WorkerCreate = append(o.WorkerCreate, secs(c.Duration()))
		}
		// The controller may delete the old machine before zdt sees the new Node Ready (it
		// reads the Machine's own conditions): such a gap counts as 0.
		for _, d := range by[model.ReasonMachineDeleted] {
			if d.Locator.Pool != c.Locator.Pool || d.From < c.From {
				continue
			}
			gap := secs(max(0, d.From-c.To))
			if c.Locator.Pool == "" {
				o.ControlPlaneSettle = append(o.ControlPlaneSettle, gap)
			} else {
				o.WorkerSettle = append(o.WorkerSettle, gap)
			}
			break
		}
	}
	// Drains that nothing held up, and the deletion after each drain.
	held := map[string]bool{}
	for _, r := range []model.Reason{model.ReasonEvictionBlocked, model.ReasonEvictionFailed, model.ReasonDrainTimeout} {
		for _, iv := range by[r] {
			held[iv.Locator.Node] = true
		}
	}
	for _, dr := range by[model.ReasonNodeDrain] {
		if !held[dr.Locator.Node] {
			o.Drains = append(o.Drains, secs(dr.Duration()))
		}
		for _, d := range by[model.ReasonMachineDeleted] {
			if d.Locator.Node == dr.Locator.Node && d.To >= dr.To {
				o.Deletes = append(o.Deletes, secs(d.To-dr.To))
				break
			}
		}
	}
	// Endpoints: a pod's deletion to its endpoint's removal.
	removed := map[string]time.Duration{}
	for _, e := range by[model.ReasonEndpointRemoved] {
		if _, ok := removed[e.Locator.Pod]; !ok {
			removed[e.Locator.Pod] = e.From
		}
	}
	for _, t := range by[model.ReasonPodTerminating] {
		if at, ok := removed[t.Locator.Pod]; ok && at >= t.From {
			o.EndpointSync = append(o.EndpointSync, secs(at-t.From))
		}
	}
	// Pods: creation to Ready, less what the workload's own startup explains.
	workloads := map[string]*scenarios.Workload{}
	for i := range sc.Spec.Workloads {
		workloads[sc.Spec.Workloads[i].Name] = &sc.Spec.Workloads[i]
	}
	// Pods made while the cluster was brought up started on nodes that were new as well; only
	// those of the upgrade are read.
	upgradeFrom := time.Duration(-1)
	for _, ph := range by[model.ReasonPhase] {
		if ph.Locator.Phase == model.PhaseUpgrade {
			upgradeFrom = ph.From
			break
		}
	}
	seen := map[[2]string]bool{}
	for _, p := range by[model.ReasonPodNotReady] {
		w := workloads[p.Locator.Workload]
		if w == nil || p.Locator.Node == "" || upgradeFrom < 0 || p.From < upgradeFrom {
			continue // a pod of the initial state, or not a scenario workload
		}
		key := [2]string{p.Locator.Workload, p.Locator.Node}
		rest := secs(p.Duration() - ReadyIn(w) - sc.Spec.Calibration.SchedulerDelay.Duration)
		if created[p.Locator.Node] && !seen[key] {
			o.PodStartCold = append(o.PodStartCold, rest)
		} else {
			o.PodStartWarm = append(o.PodStartWarm, rest)
		}
		seen[key] = true
	}
	// API: the outage an apiserver restart caused (its failed probes, first to last, and the
	// probe period), less the restart's own length.
	for _, f := range by[model.ReasonFaultInjected] {
		if !faultIs(sc, f.Locator.Fault, faults.APIServerRestart) {
			continue
		}
		first, last := time.Duration(-1), time.Duration(0)
		for _, at := range apiFailed {
			if at >= f.From-time.Second && at <= f.To+2*time.Minute {
				if first < 0 || at < first {
					first = at
				}
				last = max(last, at)
			}
		}
		if first >= 0 {
			o.APIServerStart = append(o.APIServerStart, secs(max(0, last-first+time.Second-f.Duration())))
		}
	}
}

// faultIs reports whether the scenario's fault of that name is of kind k.
func faultIs(sc *scenarios.Scenario, name string, k faults.Kind) bool {
	for _, f := range sc.Spec.Faults {
		if f.Name == name {
			return f.Kind == k
		}
	}
	return false
}

// ReadyIn is how long after its container starts a pod of w is Ready, as the simulator computes
// it: at the first readiness probe after the application serves.
func ReadyIn(w *scenarios.Workload) time.Duration {
	startup := w.StartupTime.Duration
	pr := w.ReadinessProbe
	if pr == nil {
		return 0
	}
	first, period := pr.InitialDelay.Duration, pr.Period.Duration
	if startup <= first || period <= 0 {
		return first
	}
	k := (startup - first + period - 1) / period
	return first + k*period
}
