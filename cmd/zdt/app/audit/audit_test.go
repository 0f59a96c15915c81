package audit

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/cmd/zdt/app/cli"
)

func TestAudit(t *testing.T) {
	manifests := filepath.Join("..", "..", "..", "..", "testdata", "manifests")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{
			name:     "removed APIs at v1.37",
			args:     []string{"--to", "v1.37", manifests},
			wantCode: ExitRemoved,
			wantOut: []string{
				"extensions/v1beta1", "v1.22", "networking.k8s.io/v1 Ingress",
				"policy/v1beta1", "v1.25", "policy/v1 PodDisruptionBudget",
				"batch/v1beta1", "batch/v1 CronJob",
				"flowcontrol.apiserver.k8s.io/v1beta2", "v1.29", "flowcontrol.apiserver.k8s.io/v1 FlowSchema",
				"8 objects read: 5 use APIs v1.37 no longer serves",
			},
		},
		{
			name:     "deprecated APIs only at v1.21",
			args:     []string{"--to", "v1.21", manifests},
			wantCode: ExitDeprecated,
			wantOut:  []string{"deprecated", "3 use APIs v1.21 deprecates"},
		},
		{
			name:     "current manifest",
			args:     []string{"--to", "v1.37", filepath.Join(manifests, "current-web.yaml")},
			wantCode: ExitClean,
			wantOut:  []string{"3 objects read: 0 use APIs v1.37 no longer serves, 0 use APIs v1.37 deprecates"},
		},
		{
			name:     "every object with --all",
			args:     []string{"--to", "v1.37", "--all", filepath.Join(manifests, "current-web.yaml")},
			wantCode: ExitClean,
			wantOut:  []string{"Deployment", "apps/v1", "current"},
		},
		{name: "missing --to", args: []string{manifests}, wantCode: ExitError},
		{name: "bad --to", args: []string{"--to", "latest", manifests}, wantCode: ExitError},
		{name: "missing path", args: []string{"--to", "v1.37", filepath.Join(manifests, "nope.yaml")}, wantCode: ExitError},
		{name: "unknown flag", args: []string{"--bogus", manifests}, wantCode: ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			cmd := NewCommand(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&out)
			cmd.SetErr(&errOut)
			err := cmd.Execute()
			if got := cli.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d, want %d (error %v)\n%s", got, tt.wantCode, err, out.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestAuditJSON(t *testing.T) {
	manifests := filepath.Join("..", "..", "..", "..", "testdata", "manifests")
	var out bytes.Buffer
	cmd := NewCommand(cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}})
	cmd.SetArgs([]string{"--to", "v1.37", "-o", "json", manifests})
	if code := cli.ExitCode(cmd.Execute()); code != ExitRemoved {
		t.Fatalf("exit code %d, want %d", code, ExitRemoved)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is no JSON report: %v\n%s", err, out.String())
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"target", rep.Target, "v1.37"},
		{"objects", rep.Objects, 8},
		{"removed", rep.Removed, 5},
		{"items", len(rep.Items), 5},
		{"first item removed in", rep.Items[0].RemovedIn, "v1.25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
