package qualify

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
)

// The files a qualification writes into its directory.
const (
	HTMLFile  = "qualification.html"
	JUnitFile = "qualification.junit.xml"
	JSONFile  = "qualification.json"
)

// WriteAll writes the qualification's HTML page, JUnit and JSON into dir.
func WriteAll(dir string, q *Qualification) error {
	for _, f := range []struct {
		name   string
		render func(*Qualification) ([]byte, error)
	}{{JSONFile, JSON}, {JUnitFile, JUnit}, {HTMLFile, HTML}} {
		data, err := f.render(q)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// JSON renders qualification.json.
func JSON(q *Qualification) ([]byte, error) {
	data, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// JUnit renders one test case per scenario: a row that did not match is a <failure> naming the
// first seed that differed, with every seed's outcome in the body.
func JUnit(q *Qualification) ([]byte, error) {
	suite := render.JUnitSuite{Name: "zdt/certify", Time: fmt.Sprintf("%.3f", q.WallTime), Properties: []render.JUnitProperty{
		{Name: "provider", Value: q.Provider}, {Name: "seeds", Value: fmt.Sprint(q.Seeds)}, {Name: "firstSeed", Value: fmt.Sprint(q.FirstSeed)},
	}}
	for _, r := range q.Rows {
		c := render.JUnitCase{Name: r.Scenario, Classname: "zdt.certify", Time: "0",
			SystemOut: fmt.Sprintf("expected %s; observed %s; %s", r.Expect.String(), Observed(r), r.Statement)}
		if !r.Match {
			var lines []string
			for _, s := range r.Seeds {
				if !s.Matches {
					lines = append(lines, fmt.Sprintf("seed %d: %s", s.Seed, s.Why))
				}
			}
			c.Failure = &render.JUnitMessage{Message: "expected " + r.Expect.String() + ": " + r.Mismatch, Type: "ExpectationMismatch",
				Body: strings.Join(lines, "\n")}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	doc := render.JUnitSuites{Name: "zdt certify", Tests: suite.Tests, Failures: suite.Failures, Suites: []render.JUnitSuite{suite}}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// Observed renders a row's counts, e.g. "20 FAIL" or "18 PASS, 2 FAIL".
func Observed(r Row) string {
	var parts []string
	for _, c := range []struct {
		n    int
		name string
	}{{r.Pass, "PASS"}, {r.Fail, "FAIL"}, {r.Inconclusive, "INCONCLUSIVE"}, {r.Errors, "harness error"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
		}
	}
	return strings.Join(parts, ", ")
}

// HTML renders qualification.html: the matrix, the spread of dropped requests and API downtime
// across seeds, and a link to one run report per outcome of each scenario.
func HTML(q *Qualification) ([]byte, error) {
	drops, err := spreadPlot(q, "dropped requests per seed (log scale, +1)", func(s Seed) float64 { return float64(s.Dropped) })
	if err != nil {
		return nil, err
	}
	api, err := spreadPlot(q, "API downtime per seed, seconds (log scale, +1)", func(s Seed) float64 { return s.APIDowntime })
	if err != nil {
		return nil, err
	}
	data := struct {
		Q         *Qualification
		Drops     template.HTML
		API       template.HTML
		CSS       template.CSS
		Verdict   string
		Confident string
	}{Q: q, Drops: drops, API: api, CSS: render.Stylesheet, Verdict: "pass", Confident: fmt.Sprintf("%.0f%%", 100*Confidence)}
	if q.Mismatch > 0 || !q.Completed {
		data.Verdict = "fail"
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	return buf.Bytes(), nil
}

// spreadPlot draws one row per scenario with a point per seed, so that a scenario whose seeds
// disagree shows as a spread rather than a dot.
func spreadPlot(q *Qualification, title string, value func(Seed) float64) (template.HTML, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Min = 1
	var names []string
	maxX := 10.0
	legend := map[color.Color]bool{}
	p.Legend.Top = true
	p.X.Label.Text = "one point per seed"
	for i := len(q.Rows) - 1; i >= 0; i-- {
		r := q.Rows[i]
		y := float64(len(names))
		names = append(names, r.Scenario)
		var pts plotter.XYs
		for j, s := range r.Seeds {
			if s.Error != "" {
				continue
			}
			v := value(s) + 1
			maxX = math.Max(maxX, v)
			// Spread the seeds a little in y so that equal values stay visible.
			jitter := (float64(j%7) - 3) * 0.05
			pts = append(pts, plotter.XY{X: v, Y: y + jitter})
		}
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return "", err
		}
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		sc.GlyphStyle.Color = expectPass
		if r.Expect.Verdict != string(report.Pass) {
			sc.GlyphStyle.Color = expectFail
		}
		p.Add(sc)
		if !legend[sc.GlyphStyle.Color] {
			legend[sc.GlyphStyle.Color] = true
			label := "expected to PASS"
			if sc.GlyphStyle.Color == expectFail {
				label = "expected to FAIL"
			}
			p.Legend.Add(label, sc)
		}
	}
	p.X.Max = maxX * 1.5
	p.NominalY(names...)
	p.Add(plotter.NewGrid())
	return render.SVG(p, 13*vg.Inch, vg.Length(0.28*float64(len(names))+1.2)*vg.Inch)
}

// The colours of the spread plot's points: blue for scenarios that must pass, orange for those
// that must fail.
var (
	expectPass color.Color = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	expectFail color.Color = color.RGBA{R: 0xe0, G: 0x7b, B: 0x00, A: 0xff}
)

var pageTemplate = template.Must(template.New("qualification").Funcs(template.FuncMap{
	"observed": Observed,
	"lower":    strings.ToLower,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>zdt release qualification</title>
<style>
{{.CSS}}
</style>
</head>
<body>
<h1>zdt release qualification</h1>
<div class="meta">provider {{.Q.Provider}} · {{.Q.Seeds}} seeds per scenario from seed {{.Q.FirstSeed}} · wall time {{printf "%.1f" .Q.WallTime}}s{{if .Q.ZDTVersion}} · zdt {{.Q.ZDTVersion}}{{end}}</div>
<div class="verdict v-{{.Verdict}}">{{.Q.Matched}} of {{len .Q.Rows}} scenarios as expected</div>
{{if not .Q.Completed}}<p class="o-fail">interrupted: the matrix is incomplete</p>{{end}}
<p>Each scenario states the verdict it must get on every seed, the criterion that must fail and a word its cause must
contain. Statements are exact (Clopper-Pearson) {{.Confident}} bounds on the probability that a run of the scenario fails.</p>

<h2>Matrix</h2>
<table>
<tr><th>scenario</th><th>expected</th><th>observed</th><th>cause (first seed)</th><th>match</th><th>statement</th><th>runs</th></tr>
{{range .Q.Rows}}<tr>
<td><b>{{.Scenario}}</b><br><span class="meta">{{.Description}}</span></td>
<td>{{.Expect.String}}</td>
<td>{{observed .}}</td>
<td class="cause">{{.Cause}}</td>
<td>{{if .Match}}<span class="o-pass">yes</span>{{else}}<span class="o-fail">no</span><br>{{.Mismatch}}{{end}}</td>
<td>{{.Statement}}</td>
<td>{{range $v, $dir := .Runs}}<a href="{{$dir}}/report.html">{{$v}}</a> {{end}}</td>
</tr>
{{end}}</table>

<h2>Spread across seeds</h2>
{{.Drops}}
{{.API}}
</body>
</html>
`))
