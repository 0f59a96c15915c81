package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/measure"
)

func init() {
	register(Renderer{Name: "text", File: model.SummaryFile, Render: Summary})
}

// maxSummaryWindows bounds the drop windows the summary lists; report.json has them all.
const maxSummaryWindows = 5

// Summary writes the short terminal summary: the verdict, each criterion, and the measurements
// a CI log reader needs to see at a glance.
func Summary(w io.Writer, r *report.Report) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("zdt: scenario %s (provider %s, seed %d)", r.Scenario, r.Provider, r.Seed)
	if r.From != "" {
		p(", %s -> %s", r.From, r.To)
	}
	p("\n")
	p("verdict: %s - %s\n", r.Verdict, r.VerdictReason)
	p("\ncriteria:\n")
	width := 0
	for _, c := range r.Criteria {
		width = max(width, len(c.Name))
	}
	for _, c := range r.Criteria {
		p("  %-12s %-*s  %s\n", strings.ToUpper(string(c.Outcome)), width, c.Name, observedVsLimit(c))
		if c.Outcome == report.OutcomeSkipped {
			continue
		}
		if c.Outcome != report.OutcomePass && c.Detail != "" {
			p("  %-12s %*s  %s\n", "", width, "", c.Detail)
		}
		if c.Cause != "" {
			p("  %-12s %*s  cause: %s\n", "", width, "", c.Cause)
		}
		if c.Fix != "" {
			p("  %-12s %*s  fix:   %s\n", "", width, "", c.Fix)
		}
	}
	rq := r.Requests
	p("\nrequests: %d sent, %d succeeded, %d dropped (%s)", rq.Total, rq.Succeeded, rq.Dropped, report.Percent(rq.DropRate))
	if rq.Dropped > 0 {
		var parts []string
		for _, c := range rq.ByConn {
			parts = append(parts, fmt.Sprintf("%s %d", c.Conn, c.Dropped))
		}
		p("; dropped by connection: %s", strings.Join(parts, ", "))
	}
	p("\n")
	if rq.Total > rq.Dropped {
		p("latency: p50 %.1fms, p90 %.1fms, p99 %.1fms, max %.1fms\n", rq.Latency.P50, rq.Latency.P90, rq.Latency.P99, rq.Latency.Max)
	}
	if c := r.Coverage; len(c.Streams) > 0 {
		gap := 0.0
		for _, st := range c.Streams {
			gap = max(gap, st.LargestGapSeconds)
		}
		seen := report.Dur(max(gap, 0.1*c.ResolutionSeconds))
		p("coverage: requests at most %s apart from %s to %s: a disruption shorter than %s could go unseen (resolution %s)\n",
			seen, report.At(measure.Duration(c.FromSeconds)), report.At(measure.Duration(c.ToSeconds)), seen, report.Dur(c.ResolutionSeconds))
	}
	for i, win := range rq.Windows {
		if i == maxSummaryWindows {
			p("  ... %d more window(s) in report.json\n", len(rq.Windows)-maxSummaryWindows)
			break
		}
		p("  %s %s-%s: %d dropped (new %d, reused %d)", win.Target, report.At(measure.Duration(win.FromSeconds)), report.At(measure.Duration(win.ToSeconds)), win.Dropped, win.New, win.Reused)
		if win.Phase != "" {
			p(" in %s", win.Phase)
		}
		if len(win.During) > 0 {
			var during []string
			for _, d := range win.During {
				during = append(during, d.Reason+" "+d.Locator)
				if len(during) == 3 {
					break
				}
			}
			p(" during %s", strings.Join(during, ", "))
			if len(win.During) > 3 {
				p(" (+%d)", len(win.During)-3)
			}
		}
		p("\n")
	}
	var disrupted []string
	for _, d := range r.Disruption {
		if d.Seconds > 0 {
			disrupted = append(disrupted, fmt.Sprintf("%s %s", d.Backend, report.Dur(d.Seconds)))
		}
	}
	if len(disrupted) > 0 {
		p("disruption: %s\n", strings.Join(disrupted, ", "))
	}
	s := r.PDBStalls
	p("pdb stalls: %d, total %s, longest %s", s.Count, report.Dur(s.TotalSeconds), report.Dur(s.LongestSeconds))
	if st, ok := s.LongestStall(); ok {
		p(" (PDB %s, pod %s, node %s)", st.PDB, st.Pod, st.Node)
	}
	p("\n")
	if len(r.Capacity.Workloads) > 0 {
		var parts []string
		for _, w := range r.Capacity.Workloads {
			part := fmt.Sprintf("%s %d/%d", w.Workload, w.MinReady, w.Desired)
			if w.PDBFloor >= 0 {
				part += fmt.Sprintf(" (floor %d)", w.PDBFloor)
			}
			parts = append(parts, part)
		}
		p("lowest ready: %s; schedulable workers %d\n", strings.Join(parts, ", "), r.Capacity.MinSchedulableNodes)
	}
	if e := r.Egress; e != nil {
		switch {
		case !e.Measured:
			p("egress: not measured (%s)\n", e.Reason)
		case e.Refused == 0:
			p("egress: 0 packets sent off this machine (refused by the host)\n")
		default:
			var to []string
			for _, d := range e.Destinations {
				to = append(to, fmt.Sprintf("%s %s:%d from %s (%d logged)", d.Proto, d.Address, d.Port, d.Source, d.Packets))
			}
			p("WARNING egress: the host refused %d packets (%d bytes) the run's containers sent off this machine; nothing the run does needs them: %s\n",
				e.Refused, e.Bytes, strings.Join(to, ", "))
		}
	}
	p("api downtime: %s (%d of %d probes failed) in %d window(s)\n", report.Dur(r.APIDowntimeSeconds), r.API.FailedProbes, r.API.Probes, len(r.API.Windows))
	// Every window, however short: a zero-length one still says the API had no redundancy.
	for _, win := range r.API.Windows {
		from, to := measure.Duration(win.FromSeconds), measure.Duration(win.ToSeconds)
		p("  api unavailable %s-%s (%s)", report.At(from), report.At(to), (to - from).Round(time.Millisecond))
		if len(win.Seen) > 0 {
			p(": %s", strings.Join(win.Seen, "; "))
		}
		p("\n")
	}
	for _, f := range r.Faults {
		p("fault %s: %s", f.Name, f.Status)
		switch f.Status {
		case report.FaultApplied:
			p(" %s-%s, %s", report.At(measure.Duration(f.FromSeconds)), report.At(measure.Duration(f.ToSeconds)), f.Detail)
		case report.FaultNotApplied:
			p(" at %s: %s", report.At(measure.Duration(f.FromSeconds)), f.Detail)
		default:
			p(" (%s)", f.Planned)
		}
		p("\n")
	}
	if len(r.Phases) > 0 {
		var parts []string
		for _, ph := range r.Phases {
			part := fmt.Sprintf("%s %s", ph.Name, report.Dur(ph.Seconds))
			if ph.Outcome != "succeeded" {
				part += " " + ph.Outcome
			}
			if ph.Outcome == string(model.PhaseInterrupted) && ph.Message != "" {
				part += " (" + ph.Message + ")"
			}
			parts = append(parts, part)
		}
		p("phases: %s; upgrade %s\n", strings.Join(parts, ", "), report.Dur(r.UpgradeSeconds))
	}
	return b.Flush()
}

// observedVsLimit renders "observed 12 requests, limit 0".
func observedVsLimit(c report.Criterion) string {
	if c.Outcome == report.OutcomeSkipped {
		return "(" + c.Detail + ")"
	}
	switch c.Unit {
	case "seconds":
		return fmt.Sprintf("%s (limit %s)", report.Dur(c.Observed), report.Dur(c.Limit))
	case "percent":
		return fmt.Sprintf("%g%% (limit %g%%)", c.Observed, c.Limit)
	default:
		return fmt.Sprintf("%g %s (limit %g)", c.Observed, c.Unit, c.Limit)
	}
}
