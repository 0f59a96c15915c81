package render

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/zdt-dev/zdt/model"
	"github.com/zdt-dev/zdt/report"
)

func init() {
	register(Renderer{Name: "json", File: model.ReportJSON, Render: func(w io.Writer, r *report.Report) error {
		return write(w, JSON, r)
	}})
}

// JSON returns report.json's content: indented, with a final newline, the same bytes for the
// same run. Its schema is report/SCHEMA.md.
func JSON(r *report.Report) ([]byte, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return append(data, '\n'), nil
}
