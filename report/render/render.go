package render

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
)

// Renderer is one format of a run's report. Each format lives in its own file and registers
// itself; WriteAll writes them all.
type Renderer struct {
	// Name is the format, e.g. "html".
	Name string
	// File is what the renderer writes in the run directory, e.g. report.html.
	File string
	// Render writes the report in the format.
	Render func(w io.Writer, r *report.Report) error
}

var renderers = map[string]Renderer{}

func register(r Renderer) {
	if _, dup := renderers[r.Name]; dup {
		panic("render: format registered twice: " + r.Name)
	}
	renderers[r.Name] = r
}

// All returns every renderer, by name.
func All() []Renderer {
	out := make([]Renderer, 0, len(renderers))
	for _, r := range renderers {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the renderer of a format.
func Lookup(name string) (Renderer, bool) {
	r, ok := renderers[name]
	return r, ok
}

// WriteAll renders every format into dir, each file whole or not at all (model.WriteFile).
func WriteAll(dir string, r *report.Report) error {
	for _, rd := range All() {
		var b bytes.Buffer
		if err := rd.Render(&b, r); err != nil {
			return fmt.Errorf("render %s: %w", rd.File, err)
		}
		if err := model.WriteFile(dir, rd.File, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// write renders with a function that returns the whole file.
func write(w io.Writer, f func(*report.Report) ([]byte, error), r *report.Report) error {
	data, err := f(r)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
