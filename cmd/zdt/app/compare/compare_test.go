package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
	"github.com/zdt-dev/zdt/report"
	"github.com/zdt-dev/zdt/report/render"
)

// betterBase writes a report.json as the broken run's would be had it dropped nothing.
func betterBase(t *testing.T) string {
	t.Helper()
	r, err := report.Load(brokenRun)
	if err != nil {
		t.Fatal(err)
	}
	r.Requests.Dropped = 0
	data, err := render.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var brokenRun = filepath.Join("..", "..", "..", "..", "report", "testdata", "runs", "broken")

func TestCompare(t *testing.T) {
	base := betterBase(t)
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"same run", []string{brokenRun, brokenRun}, cli.ExitPass, "no regression"},
		{"more dropped requests", []string{base, brokenRun}, cli.ExitFail, "REGRESSED  dropped-requests"},
		{"tolerated by a flag", []string{base, brokenRun, "--max-dropped-increase", "1000"}, cli.ExitPass, "no regression"},
		{"missing run", []string{brokenRun, filepath.Join(brokenRun, "nope")}, cli.ExitBadInput, ""},
		{"bad flag value", []string{brokenRun, brokenRun, "--max-stall-increase", "soon"}, cli.ExitBadInput, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			cmd := NewCommand(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out})
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			code := cli.ExitCode(err)
			if code != tc.wantCode {
				t.Fatalf("exit code %d (%v), want %d\n%s", code, err, tc.wantCode, out.String())
			}
			if !strings.Contains(out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, out.String())
			}
		})
	}
}
