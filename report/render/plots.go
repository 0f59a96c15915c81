package render

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"slices"
	"strings"

	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/measure"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot sizes: wide and short, one above the other, sharing the time axis.
const (
	plotWidth  = 13 * vg.Inch
	plotHeight = 3 * vg.Inch
)

// plotSVG is one rendered plot.
type plotSVG struct {
	Title string
	SVG   template.HTML
}

// plots renders the report's plots as inline SVG.
func plots(r *report.Report) ([]plotSVG, error) {
	s := r.Series
	if s == nil {
		return nil, nil
	}
	var out []plotSVG
	for _, mk := range []func(*measure.Series) (string, *plot.Plot, error){successPlot, latencyPlot, readyPlot, nodesPlot} {
		title, p, err := mk(s)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		svg, err := renderSVG(p)
		if err != nil {
			return nil, fmt.Errorf("render plot %q: %w", title, err)
		}
		out = append(out, plotSVG{Title: title, SVG: svg})
	}
	return out, nil
}

func newPlot(s *measure.Series, title, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since start of run"
	p.Y.Label.Text = ylabel
	p.X.Min, p.X.Max = 0, s.End.Seconds()
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

func addLine(p *plot.Plot, i int, name string, pts plotter.XYs, dashed bool) error {
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("plot %s: %w", name, err)
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

// binPoints returns one point per second of a target's requests.
func binPoints(s *measure.Series, target string, value func(*measure.Bin) (float64, bool)) plotter.XYs {
	var pts plotter.XYs
	for sec, b := range s.Bins[target] {
		if v, ok := value(&b); ok {
			pts = append(pts, plotter.XY{X: float64(sec), Y: v})
		}
	}
	return pts
}

func successPlot(s *measure.Series) (string, *plot.Plot, error) {
	const title = "Success rate per second"
	if len(s.Targets) == 0 {
		return title, nil, nil
	}
	p := newPlot(s, title, "% of requests that succeeded")
	for i, t := range s.Targets {
		pts := binPoints(s, t, func(b *measure.Bin) (float64, bool) { return 100 * float64(b.OK) / float64(b.Total), b.Total > 0 })
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, i, t, pts, false); err != nil {
			return title, nil, err
		}
		p.Y.Min = min(p.Y.Min, minY(pts))
	}
	p.Y.Max = 100.5
	p.Y.Min = max(0, p.Y.Min-1)
	p.Legend.Top = false // the lines run along the top
	return title, p, nil
}

func latencyPlot(s *measure.Series) (string, *plot.Plot, error) {
	const title = "Mean latency per second (successful requests)"
	if len(s.Targets) == 0 {
		return title, nil, nil
	}
	p := newPlot(s, title, "milliseconds")
	for i, t := range s.Targets {
		pts := binPoints(s, t, func(b *measure.Bin) (float64, bool) { return b.LatSum / float64(b.OK), b.OK > 0 })
		if len(pts) == 0 {
			continue
		}
		if err := addLine(p, i, t, pts, false); err != nil {
			return title, nil, err
		}
	}
	p.Y.Min = 0
	return title, p, nil
}

// stepPoints draws a value that holds until the next state sample. Only the samples where the
// value changes make corners, so only they get points (and the first and the last sample, so
// that the line spans the run): a point per sample would draw the same line, with one segment per
// sample, which for a long run of a large fleet makes plots of tens of megabytes.
func stepPoints(xs []float64, ys []float64) plotter.XYs {
	var pts plotter.XYs
	for i := range xs {
		switch {
		case i == 0:
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		case ys[i] != ys[i-1]:
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i-1]}, plotter.XY{X: xs[i], Y: ys[i]})
		case i == len(xs)-1:
			pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		}
	}
	return pts
}

func readyPlot(s *measure.Series) (string, *plot.Plot, error) {
	const title = "Ready replicas per workload (dashed: PDB floor)"
	var names []string
	for _, st := range s.States {
		for _, w := range st.Workloads {
			if !slices.Contains(names, w.Name) {
				names = append(names, w.Name)
			}
		}
	}
	if len(names) == 0 {
		return title, nil, nil
	}
	slices.Sort(names)
	// Each workload's samples, gathered in one pass over the states.
	type line struct {
		xs, ready, floor []float64
		hasFloor         bool
	}
	lines := make([]line, len(names))
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	top := 0.0
	for _, st := range s.States {
		for _, w := range st.Workloads {
			l := &lines[index[w.Name]]
			l.xs = append(l.xs, st.At.Seconds())
			l.ready = append(l.ready, float64(w.Ready))
			l.floor = append(l.floor, float64(w.PDBFloor))
			l.hasFloor = l.hasFloor || w.PDBFloor >= 0
			top = max(top, float64(max(w.Ready, w.Desired)))
		}
	}
	p := newPlot(s, title, "ready replicas")
	for i, n := range names {
		l := &lines[i]
		if err := addLine(p, i, n, stepPoints(l.xs, l.ready), false); err != nil {
			return title, nil, err
		}
		if l.hasFloor {
			if err := addLine(p, i, n+" PDB floor", stepPoints(l.xs, l.floor), true); err != nil {
				return title, nil, err
			}
		}
	}
	p.Y.Min, p.Y.Max = 0, top+1
	return title, p, nil
}

func nodesPlot(s *measure.Series) (string, *plot.Plot, error) {
	const title = "Ready nodes by kubelet version (dashed: schedulable workers)"
	var versions []string
	for _, st := range s.States {
		for v := range st.NodesByVersion {
			if !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	if len(versions) == 0 {
		return title, nil, nil
	}
	slices.Sort(versions)
	p := newPlot(s, title, "nodes")
	var xs, sched []float64
	top := 0.0
	for _, st := range s.States {
		xs = append(xs, st.At.Seconds())
		sched = append(sched, float64(st.SchedulableNodes))
	}
	for i, v := range versions {
		var ys []float64
		for _, st := range s.States {
			ys = append(ys, float64(st.NodesByVersion[v]))
			top = max(top, float64(st.NodesByVersion[v]))
		}
		if err := addLine(p, i, v, stepPoints(xs, ys), false); err != nil {
			return title, nil, err
		}
	}
	if err := addLine(p, len(versions), "schedulable workers", stepPoints(xs, sched), true); err != nil {
		return title, nil, err
	}
	for _, v := range sched {
		top = max(top, v)
	}
	p.Y.Min, p.Y.Max = 0, top+1
	return title, p, nil
}

func minY(pts plotter.XYs) float64 {
	m := 100.0
	for _, p := range pts {
		m = min(m, p.Y)
	}
	return m
}

// renderSVG draws a plot at the run report's size.
func renderSVG(p *plot.Plot) (template.HTML, error) { return SVG(p, plotWidth, plotHeight) }

// SVG draws a plot on an SVG canvas of the given size and returns the <svg> element, without
// the XML prologue, ready to inline into HTML; it scales with the page.
func SVG(p *plot.Plot, width, height vg.Length) (template.HTML, error) {
	p.BackgroundColor = color.White
	c := vgsvg.New(width, height)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	out := buf.String()
	if i := strings.Index(out, "<svg"); i >= 0 {
		out = out[i:]
	}
	// Scale with the page rather than at the fixed size of points.
	out = strings.Replace(out, `<svg width=`, `<svg class="plot" data-width=`, 1)
	out = strings.Replace(out, ` height=`, ` data-height=`, 1)
	return template.HTML(out), nil
}
