package kube

import (
	"strings"
	"testing"
)

func TestParseDeprecatedAPIUse(t *testing.T) {
	const metrics = `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="status",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="endpoints",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="example.com",removed_release="",resource="widgets",subresource="",version="v1alpha1"} 1
# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",verb="GET"} 12
`
	got, err := ParseDeprecatedAPIUse(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range got {
		kinds = append(kinds, o.APIVersion+" "+o.Kind)
		if o.Source != DeprecatedAPISource {
			t.Errorf("%+v: source %q", o, o.Source)
		}
	}
	want := "example.com/v1alpha1 widgets, flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema, v1 Endpoints"
	if s := strings.Join(kinds, ", "); s != want {
		t.Errorf("got %s, want %s", s, want)
	}
	if none, err := ParseDeprecatedAPIUse(strings.NewReader("up 1\n")); err != nil || len(none) != 0 {
		t.Errorf("without the metric: %v, %v", none, err)
	}
	if _, err := ParseDeprecatedAPIUse(strings.NewReader("not{ a metric\n")); err == nil {
		t.Error("garbage parsed")
	}
}
