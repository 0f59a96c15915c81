package images

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
)

func TestCommandsRejectBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad version", []string{"build", "--kubernetes", "1.36", "--cache-dir", "CACHE"}, `version "1.36" is not vMAJOR.MINOR.PATCH`},
		{"no components", []string{"install-providers", "--kind-cluster", "x", "--cache-dir", "CACHE"}, "run zdt images build first"},
		{"stray argument", []string{"build", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "CACHE", dir)
			}
			var out, errOut bytes.Buffer
			cmd := NewCommand(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			cmd.SetArgs(args)
			cmd.SetOut(&out)
			cmd.SetErr(&errOut)
			err := cmd.ExecuteContext(context.Background())
			if err == nil {
				t.Fatalf("no error; out %s", out.String())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if tt.name != "stray argument" && cli.ExitCode(err) != cli.ExitBadInput {
				t.Errorf("exit code %d, want %d", cli.ExitCode(err), cli.ExitBadInput)
			}
		})
	}
}
