package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zdt-dev/zdt/harness"
)

const kubeconfigYAML = `apiVersion: v1
kind: Config
clusters: [{name: mgmt, cluster: {server: "https://localhost:6443"}}]
contexts: [{name: mgmt, context: {cluster: mgmt, user: admin}}]
current-context: mgmt
users: [{name: admin, user: {token: t}}]
`

func TestSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mgmt.kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfigYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	make := func(values map[string][]string) (*Provider, error) {
		p, err := info.New(harness.Settings{Out: t.TempDir(), Values: values})
		if err != nil {
			return nil, err
		}
		return p.(*Provider), nil
	}
	p, err := make(map[string][]string{FlagKubeconfig: {path}, FlagCluster: {"prod/wl-1"},
		FlagTarget: {"web=http://localhost:8080/", "orders=http://127.0.0.1:8081/"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Namespace != "prod" || p.Cluster != "wl-1" {
		t.Errorf("cluster %s/%s, want prod/wl-1", p.Namespace, p.Cluster)
	}
	// localhost is the loopback address; the attacker is given the address, never the name.
	if got := p.Targets["web"]; got != "http://127.0.0.1:8080/" {
		t.Errorf("web's target %q, want http://127.0.0.1:8080/", got)
	}
	for _, tc := range []struct {
		values map[string][]string
		want   string
	}{
		{map[string][]string{}, "--kubeconfig is required"},
		{map[string][]string{FlagKubeconfig: {path}, FlagCluster: {"a/b/c"}}, "want NAMESPACE/NAME"},
		{map[string][]string{FlagKubeconfig: {path}, FlagCluster: {"wl"}, FlagTarget: {"web"}}, "want NAME=URL"},
		{map[string][]string{FlagKubeconfig: {path}, FlagCluster: {"wl"}, FlagTarget: {"web=http://10.0.0.7/"}}, "refusing to send traffic to 10.0.0.7"},
		{map[string][]string{FlagKubeconfig: {path}, FlagCluster: {"wl"}, FlagTarget: {"web=http://shop.example/"}}, "not an IP address nor localhost"},
	} {
		if _, err := make(tc.values); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("settings %v: error %v, want one containing %q", tc.values, err, tc.want)
		}
	}
}
