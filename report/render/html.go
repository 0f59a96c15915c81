package render

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/measure"
)

func init() {
	register(Renderer{Name: "html", File: model.ReportHTML, Render: func(w io.Writer, r *report.Report) error {
		return write(w, HTML, r)
	}})
}

// HTML returns report.html: a self-contained page (no external resource) with the verdict, the
// criteria, a timeline of phases and intervals, the plots and the measurement tables.
func HTML(r *report.Report) ([]byte, error) {
	plots, err := plots(r)
	if err != nil {
		return nil, err
	}
	data := struct {
		R        *report.Report
		Timeline template.HTML
		Plots    []plotSVG
		CSS      template.CSS
	}{R: r, Timeline: timelineSVG(r), Plots: plots, CSS: Stylesheet}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render report.html: %w", err)
	}
	return buf.Bytes(), nil
}

// Stylesheet is the style of zdt's HTML pages (the run report, the release qualification).
const Stylesheet template.CSS = `body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; max-width: 1340px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; }
.verdict { display: inline-block; padding: 6px 14px; border-radius: 6px; font-weight: 700; color: #fff; font-size: 18px; margin: 10px 0; }
.v-pass { background: #1f883d; } .v-fail { background: #cf222e; } .v-inconclusive { background: #9a6700; }
table { border-collapse: collapse; font-size: 13px; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f6f8fa; }
.o-pass { color: #1f883d; font-weight: 600; } .o-fail { color: #cf222e; font-weight: 700; }
.o-inconclusive { color: #9a6700; font-weight: 700; } .o-skipped { color: #888; }
.cause { color: #6e1a1a; } .fix { color: #0b4f8a; }
svg.plot { width: 100%; height: auto; display: block; margin-bottom: 12px; }
svg.timeline { width: 100%; height: auto; font-size: 11px; }
.stripe { fill: #f6f8fa; } .tick { stroke: #ddd; } .axis { fill: #555; font-size: 10px; text-anchor: middle; }
.label { fill: #333; font-size: 11px; } .barlabel { fill: #fff; font-size: 10px; pointer-events: none; }
.o-warn { color: #9a6700; }
.bar.info { fill: #8fb3d9; } .bar.warning { fill: #e8a33d; } .bar.error { fill: #d1242f; }
.bar.info.phase { fill: #4a7ab8; } .bar.error.phase { fill: #a40e26; }
.bar.cut { stroke: #222; stroke-width: 1.5; stroke-dasharray: 3 2; }
`

// reasonOrder sets the order of the timeline's rows.
var reasonOrder = []model.Reason{
	model.ReasonUpgradeStep, model.ReasonEtcdSnapshot, model.ReasonMachineCreated, model.ReasonMachineDeleted,
	model.ReasonNodeCordoned, model.ReasonNodeDrain, model.ReasonNodeNotReady, model.ReasonEvictionBlocked,
	model.ReasonDrainTimeout, model.ReasonFaultInjected, model.ReasonAPIUnavailable, model.ReasonPodTerminating,
	model.ReasonEndpointRemoved, model.ReasonPodNotReady, model.ReasonWorkloadDegraded, model.ReasonRequestsFailing,
}

type tlBar struct {
	from, to time.Duration
	level    string
	title    string
	text     string // drawn on the bar when it is wide enough
}

type tlRow struct {
	label string
	bars  []tlBar
}

// maxTimelineRows keeps the timeline readable on large clusters; the rest is summarised.
const maxTimelineRows = 120

// timelineRows groups the timeline into rows: phases, drop windows per target, API downtime,
// then one row per reason and node (or per reason and workload for pod-level intervals).
func timelineRows(r *report.Report) []tlRow {
	var rows []tlRow
	phases := tlRow{label: "phases"}
	for _, p := range r.Phases {
		lvl := "Info phase"
		if p.Outcome != string(model.PhaseSucceeded) {
			lvl = "Error phase"
		}
		title := fmt.Sprintf("%s (%s, %s)", p.Name, report.Dur(p.Seconds), p.Outcome)
		if p.Outcome == string(model.PhaseInterrupted) {
			lvl += " cut"
			title += ": " + p.Message
		}
		phases.bars = append(phases.bars, tlBar{measure.Duration(p.FromSeconds), measure.Duration(p.ToSeconds), lvl, title, string(p.Name)})
	}
	rows = append(rows, phases)
	for _, t := range r.Requests.ByTarget {
		row := tlRow{label: "dropped: " + t.Target}
		for _, w := range r.Requests.Windows {
			if w.Target == t.Target {
				row.bars = append(row.bars, tlBar{measure.Duration(w.FromSeconds), measure.Duration(w.ToSeconds), "Error",
					fmt.Sprintf("%s: %d dropped (new %d, reused %d) %s-%s", t.Target, w.Dropped, w.New, w.Reused, report.At(measure.Duration(w.FromSeconds)), report.At(measure.Duration(w.ToSeconds))), ""})
			}
		}
		rows = append(rows, row)
	}
	api := tlRow{label: "API down"}
	for _, w := range r.API.Windows {
		api.bars = append(api.bars, tlBar{measure.Duration(w.FromSeconds), measure.Duration(w.ToSeconds), "Error", fmt.Sprintf("API unavailable %s-%s", report.At(measure.Duration(w.FromSeconds)), report.At(measure.Duration(w.ToSeconds))), ""})
	}
	rows = append(rows, api)
	if r.Series == nil {
		return rows
	}
	byKey := map[string]*tlRow{}
	var keys []string
	rank := func(reason model.Reason) int {
		if i := slices.Index(reasonOrder, reason); i >= 0 {
			return i
		}
		return len(reasonOrder)
	}
	for _, iv := range r.Series.Timeline {
		if iv.Reason == model.ReasonPhase {
			continue
		}
		l := iv.Locator
		subject := cmp.Or(l.Node, l.Machine, l.PDB, l.Fault, l.Pool, string(l.Phase), l.Cluster)
		switch iv.Reason {
		case model.ReasonPodTerminating, model.ReasonEndpointRemoved, model.ReasonPodNotReady, model.ReasonWorkloadDegraded, model.ReasonRequestsFailing:
			subject = cmp.Or(l.Workload, l.Pod, subject)
		case model.ReasonEvictionBlocked:
			subject = cmp.Or(l.PDB, subject)
		case model.ReasonFaultInjected:
			subject = cmp.Or(l.Fault, subject)
		}
		key := fmt.Sprintf("%03d %s %s", rank(iv.Reason), iv.Reason, subject)
		row := byKey[key]
		if row == nil {
			row = &tlRow{label: strings.TrimSpace(string(iv.Reason) + " " + subject)}
			byKey[key] = row
			keys = append(keys, key)
		}
		title := fmt.Sprintf("%s %s %s-%s", iv.Reason, measure.LocatorString(l), report.At(iv.From), report.At(iv.To))
		if iv.Message != "" {
			title += ": " + iv.Message
		}
		level := string(iv.Level)
		if iv.CutShort {
			title += " (cut short: still under way when the run stopped)"
			level += " cut"
		}
		row.bars = append(row.bars, tlBar{iv.From, iv.To, level, title, ""})
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i == maxTimelineRows {
			rows = append(rows, tlRow{label: fmt.Sprintf("... %d more rows", len(keys)-maxTimelineRows)})
			break
		}
		rows = append(rows, *byKey[k])
	}
	return rows
}

// timelineSVG draws the timeline by hand: one row per subject, bars coloured by level, a
// tooltip on each bar.
func timelineSVG(r *report.Report) template.HTML {
	const (
		width  = 1300.0
		label  = 260.0
		rowH   = 16.0
		top    = 24.0
		barPad = 3.0
	)
	rows := timelineRows(r)
	end := measure.Duration(r.DurationSeconds)
	if r.Series != nil {
		end = max(end, r.Series.End)
	}
	if end <= 0 {
		end = time.Second
	}
	x := func(d time.Duration) float64 {
		return label + (width-label-10)*float64(max(d, 0))/float64(end)
	}
	height := top + rowH*float64(len(rows)) + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" xmlns="http://www.w3.org/2000/svg">`+"\n", width, height, width, height)
	// Axis: ticks at a round step giving about ten ticks.
	step := tickStep(end)
	for t := time.Duration(0); t <= end; t += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" class="tick"/><text x="%.1f" y="14" class="axis">%s</text>`+"\n",
			x(t), top-4, x(t), height-6, x(t), t.String())
	}
	for i, row := range rows {
		y := top + rowH*float64(i)
		if i%2 == 0 {
			fmt.Fprintf(&b, `<rect x="0" y="%.0f" width="%.0f" height="%.0f" class="stripe"/>`+"\n", y, width, rowH)
		}
		fmt.Fprintf(&b, `<text x="4" y="%.0f" class="label">%s</text>`+"\n", y+rowH-4, template.HTMLEscapeString(truncate(row.label, 40)))
		for _, bar := range row.bars {
			x0, x1 := x(bar.from), x(bar.to)
			w := math.Max(x1-x0, 2)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar %s"><title>%s</title></rect>`+"\n",
				x0, y+barPad/2, w, rowH-barPad, strings.ToLower(bar.level), template.HTMLEscapeString(bar.title))
			if bar.text != "" && w > 7*float64(len(bar.text)) {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="barlabel">%s</text>`+"\n", x0+3, y+rowH-4, template.HTMLEscapeString(bar.text))
			}
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func tickStep(end time.Duration) time.Duration {
	for _, s := range []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour} {
		if end/s <= 12 {
			return s
		}
	}
	return 2 * time.Hour
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": func(v any) string { return strings.ToLower(fmt.Sprint(v)) },
	"dur":   report.Dur,
	"limit": observedVsLimit,
	"pct":   report.Percent,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zdt {{.R.Verdict}}: {{.R.Scenario}}</title>
<style>
{{.CSS}}
</style>
</head>
<body>
<h1>zdt report: {{.R.Scenario}}</h1>
<div class="meta">provider {{.R.Provider}} · seed {{.R.Seed}}{{if .R.From}} · {{.R.From}} → {{.R.To}}{{end}}{{if .R.Plan}} · plan {{range $i, $v := .R.Plan}}{{if $i}} → {{end}}{{$v}}{{end}}{{end}} · measured {{dur .R.DurationSeconds}}{{if .R.ZDTVersion}} · zdt {{.R.ZDTVersion}}{{end}}</div>
<div class="verdict v-{{lower .R.Verdict}}">{{.R.Verdict}}</div>
<div>{{.R.VerdictReason}}</div>
{{if .R.Error}}<p class="o-fail">harness error: {{.R.Error}}</p>{{end}}
{{if .R.Aborted}}<p class="o-inconclusive">aborted{{if .R.AbortReason}}: {{.R.AbortReason}}{{end}}</p>{{end}}

<h2>Criteria</h2>
<table>
<tr><th>outcome</th><th>criterion</th><th>observed (limit)</th><th>what was seen, cause and fix</th></tr>
{{range .R.Criteria}}<tr><td class="o-{{.Outcome}}">{{.Outcome}}</td><td><b>{{.Name}}</b><br><small>{{.Description}}</small></td><td>{{limit .}}</td>
<td>{{.Detail}}{{if .Cause}}<div class="cause">cause: {{.Cause}}</div>{{end}}{{if .Fix}}<div class="fix">fix: {{.Fix}}</div>{{end}}</td></tr>
{{end}}</table>

<h2>Timeline</h2>
{{.Timeline}}

<h2>Plots</h2>
{{range .Plots}}{{.SVG}}
{{end}}

<h2>Requests</h2>
<p>{{.R.Requests.Total}} sent, {{.R.Requests.Succeeded}} succeeded, {{.R.Requests.Dropped}} dropped ({{pct .R.Requests.DropRate}}).
Latency of successful requests: p50 {{.R.Requests.Latency.P50}} ms, p90 {{.R.Requests.Latency.P90}} ms, p99 {{.R.Requests.Latency.P99}} ms, max {{.R.Requests.Latency.Max}} ms.</p>
<table>
<tr><th>target</th><th>sent</th><th>dropped</th><th>by connection</th><th>p50 / p99 ms</th></tr>
{{range .R.Requests.ByTarget}}<tr><td>{{.Target}}</td><td>{{.Total}}</td><td>{{.Dropped}} ({{pct .DropRate}})</td><td>{{range .ByConn}}{{.Conn}}: {{.Dropped}} of {{.Total}}<br>{{end}}</td><td>{{.Latency.P50}} / {{.Latency.P99}}</td></tr>
{{end}}</table>
{{if .R.Requests.Windows}}
<h2>Drop windows</h2>
<table>
<tr><th>target</th><th>from – to (s)</th><th>phase</th><th>dropped (new / reused)</th><th>min ready</th><th>during</th></tr>
{{range .R.Requests.Windows}}<tr><td>{{.Target}}</td><td>{{.FromSeconds}} – {{.ToSeconds}}</td><td>{{.Phase}}</td><td>{{.Dropped}} ({{.New}} / {{.Reused}})</td><td>{{.MinReady}}</td><td>{{range .During}}{{.Reason}} {{.Locator}}<br>{{end}}</td></tr>
{{end}}</table>
{{end}}
{{if .R.Requests.Errors}}<h2>Errors</h2>
<table><tr><th>error</th><th>requests</th></tr>
{{range .R.Requests.Errors}}<tr><td>{{.Error}}</td><td>{{.Count}}</td></tr>
{{end}}</table>{{end}}

<h2>Disruption per backend</h2>
<table><tr><th>backend</th><th>disrupted</th><th>dropped</th><th>sent</th></tr>
{{range .R.Disruption}}<tr><td>{{.Backend}}</td><td>{{dur .Seconds}}</td><td>{{.Dropped}}</td><td>{{.Total}}</td></tr>
{{end}}</table>

<h2>PDB stalls</h2>
<p>{{.R.PDBStalls.Count}} stall(s), {{dur .R.PDBStalls.TotalSeconds}} in total, longest {{dur .R.PDBStalls.LongestSeconds}}.</p>
{{if .R.PDBStalls.Stalls}}<table><tr><th>PDB</th><th>pod</th><th>node</th><th>from – to (s)</th><th>stalled</th></tr>
{{range .R.PDBStalls.Stalls}}<tr><td>{{.PDB}}</td><td>{{.Pod}}</td><td>{{.Node}}</td><td>{{.FromSeconds}} – {{.ToSeconds}}</td><td>{{dur .Seconds}}</td></tr>
{{end}}</table>{{end}}

<h2>Capacity</h2>
<p>Lowest schedulable workers: {{.R.Capacity.MinSchedulableNodes}} (at {{.R.Capacity.MinSchedulableAt}} s); lowest free CPU {{.R.Capacity.MinFreeCPUMilli}}m, memory {{.R.Capacity.MinFreeMemoryBytes}} bytes; {{.R.Capacity.Samples}} state samples.</p>
<table><tr><th>workload</th><th>lowest ready</th><th>at (s)</th><th>PDB floor</th><th>below floor</th><th>lowest endpoints</th></tr>
{{range .R.Capacity.Workloads}}<tr><td>{{.Workload}}</td><td>{{.MinReady}} of {{.Desired}} ({{.MinReadyPercent}}%)</td><td>{{.MinReadyAtSeconds}}</td><td>{{if ge .PDBFloor 0}}{{.PDBFloor}}{{else}}no PDB{{end}}</td><td>{{dur .BelowFloorSeconds}}</td><td>{{.MinEndpoints}}</td></tr>
{{end}}</table>

<h2>API downtime</h2>
<p>{{dur .R.APIDowntimeSeconds}} unavailable; {{.R.API.FailedProbes}} of {{.R.API.Probes}} probes failed.</p>

<h2>Phases</h2>
<table><tr><th>phase</th><th>step</th><th>from – to (s)</th><th>duration</th><th>outcome</th><th>message</th></tr>
{{range .R.Phases}}<tr><td>{{.Name}}</td><td>{{.Step}}</td><td>{{.FromSeconds}} – {{.ToSeconds}}</td><td>{{dur .Seconds}}</td><td>{{.Outcome}}</td><td>{{.Message}}</td></tr>
{{end}}</table>

<h2>Preflight</h2>
<table><tr><th>check</th><th>status</th><th>message</th><th>fix</th></tr>
{{range .R.Preflight}}<tr><td>{{.Name}}</td><td class="o-{{.Status}}">{{.Status}}</td><td>{{.Message}}</td><td>{{.Fix}}</td></tr>
{{end}}</table>
<h2>Postflight</h2>
<table><tr><th>check</th><th>status</th><th>message</th><th>fix</th></tr>
{{range .R.Postflight}}<tr><td>{{.Name}}</td><td class="o-{{.Status}}">{{.Status}}</td><td>{{.Message}}</td><td>{{.Fix}}</td></tr>
{{end}}</table>

<h2>Measurement</h2>
<p>{{if .R.Measurement.Reliable}}The load generator kept up with its plan.{{else}}<span class="o-inconclusive">Unreliable:</span> {{range .R.Measurement.Problems}}{{.}}. {{end}}{{end}}</p>
<table><tr><th>stream</th><th>planned</th><th>sent</th><th>recorded</th><th>max lag (ms)</th></tr>
{{range .R.Measurement.Streams}}<tr><td>{{.Target}}/{{.Conn}}</td><td>{{.Planned}}</td><td>{{.Sent}}</td><td>{{.Recorded}}</td><td>{{.MaxLagMs}}</td></tr>
{{end}}</table>
</body>
</html>
`))
