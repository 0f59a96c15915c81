package kube

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/prometheus/common/expfmt"
	prommodel "github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"

	"github.com/zdt-dev/zdt/harness/audit"
	"github.com/zdt-dev/zdt/model"
)

// DeprecatedAPIMetric is the API server's gauge of deprecated APIs it served since it started,
// one series per group, version and resource.
const DeprecatedAPIMetric = "apiserver_requested_deprecated_apis"

// DeprecatedAPISource is the Source of the object references read from DeprecatedAPIMetric.
const DeprecatedAPISource = "requests seen by the API server (" + DeprecatedAPIMetric + ")"

// ReadDeprecatedAPIUse reads the API server's /metrics and returns one reference per deprecated
// API something requested: objects the namespaces' manifests do not show (other namespaces,
// controllers, CI jobs) still use it. Reading /metrics needs the metrics permission
// (nonResourceURLs /metrics, verb get).
func ReadDeprecatedAPIUse(ctx context.Context, cs kubernetes.Interface) ([]model.ObjectRef, error) {
	rc := cs.Discovery().RESTClient()
	if rc == nil {
		return nil, fmt.Errorf("no REST client to read /metrics with")
	}
	data, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the API server's /metrics: %w", err)
	}
	return ParseDeprecatedAPIUse(strings.NewReader(string(data)))
}

// ParseDeprecatedAPIUse reads DeprecatedAPIMetric from a Prometheus text exposition. A series
// names an API by group, version and resource; the audit table gives its kind (the resource
// stands in for an API the table does not know).
func ParseDeprecatedAPIUse(r io.Reader) ([]model.ObjectRef, error) {
	p := expfmt.NewTextParser(prommodel.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse the API server's metrics: %w", err)
	}
	fam := families[DeprecatedAPIMetric]
	if fam == nil {
		return nil, nil
	}
	seen := map[model.ObjectRef]bool{}
	var out []model.ObjectRef
	for _, m := range fam.GetMetric() {
		if m.GetGauge().GetValue() <= 0 {
			continue
		}
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["subresource"] != "" {
			continue // the object's own series says it already
		}
		group, version, resource := labels["group"], labels["version"], labels["resource"]
		apiVersion := version
		if group != "" {
			apiVersion = group + "/" + version
		}
		kind, ok := audit.KindOfResource(group, version, resource)
		if !ok {
			kind = resource
		}
		ref := model.ObjectRef{APIVersion: apiVersion, Kind: kind, Name: "(any)", Source: DeprecatedAPISource}
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].APIVersion+"/"+out[i].Kind < out[j].APIVersion+"/"+out[j].Kind
	})
	return out, nil
}
