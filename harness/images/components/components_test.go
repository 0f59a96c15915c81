package components

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func generateTestdata(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	out, err := Generate(Spec{
		ConfigDir:   "testdata/config",
		SourceImage: "example.com/demo-controller",
		Image:       "registry.example/demo/demo-controller:v1.2.3",
		Variables:   map[string]string{"CLUSTER_TOPOLOGY": "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestGenerate(t *testing.T) {
	objs := generateTestdata(t)
	var dep *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			dep = o
		}
	}
	if dep == nil {
		t.Fatal("no Deployment rendered")
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	args := c["args"].([]any)
	tests := []struct{ name, got, want string }{
		{"image", c["image"].(string), "registry.example/demo/demo-controller:v1.2.3"},
		{"pull policy", c["imagePullPolicy"].(string), "IfNotPresent"},
		{"variable default", args[0].(string), "--diagnostics-address=:8443"},
		{"variable given", args[1].(string), "--feature-gates=ClusterTopology=true"},
		{"namespace", dep.GetNamespace(), "demo-system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	t.Run("bad spec", func(t *testing.T) {
		bad := []Spec{
			{ConfigDir: "testdata/config", SourceImage: "example.com/demo-controller", Image: "no-tag"},
			{ConfigDir: "testdata/config", SourceImage: "example.com/other", Image: "x/y:1"},
			{ConfigDir: "testdata/missing", SourceImage: "example.com/demo-controller", Image: "x/y:1"},
			{},
		}
		for _, s := range bad {
			if _, err := Generate(s); err == nil {
				t.Errorf("Generate(%+v): no error", s)
			}
		}
	})
}

func TestPrepare(t *testing.T) {
	ca, err := NewCA(now)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Prepare(generateTestdata(t), ca, now)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		if strings.HasPrefix(o.GetAPIVersion(), "cert-manager.io/") {
			t.Errorf("cert-manager object left: %s %s", o.GetKind(), o.GetName())
		}
		byKind[o.GetKind()] = o
	}
	bundle := base64.StdEncoding.EncodeToString(ca.PEM)
	t.Run("webhook CA bundle", func(t *testing.T) {
		hooks, _, _ := unstructured.NestedSlice(byKind["ValidatingWebhookConfiguration"].Object, "webhooks")
		got, _, _ := unstructured.NestedString(hooks[0].(map[string]any), "clientConfig", "caBundle")
		if got != bundle {
			t.Errorf("caBundle %q, want the CA", got)
		}
	})
	t.Run("CRD conversion CA bundle", func(t *testing.T) {
		got, _, _ := unstructured.NestedString(byKind["CustomResourceDefinition"].Object, "spec", "conversion", "webhook", "clientConfig", "caBundle")
		if got != bundle {
			t.Errorf("caBundle %q, want the CA", got)
		}
	})
	t.Run("serving secret", func(t *testing.T) {
		s := byKind["Secret"]
		if s == nil {
			t.Fatal("no Secret for the Certificate")
		}
		if s.GetName() != "demo-webhook-service-cert" || s.GetNamespace() != "demo-system" {
			t.Errorf("secret %s/%s", s.GetNamespace(), s.GetName())
		}
		if typ, _, _ := unstructured.NestedString(s.Object, "type"); typ != "kubernetes.io/tls" {
			t.Errorf("type %q", typ)
		}
		data, _, _ := unstructured.NestedStringMap(s.Object, "data")
		crtPEM, _ := base64.StdEncoding.DecodeString(data["tls.crt"])
		block, _ := pem.Decode(crtPEM)
		if block == nil {
			t.Fatal("tls.crt is not PEM")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(ca.PEM)
		for _, name := range []string{"demo-webhook-service.demo-system.svc", "demo-webhook-service.demo-system.svc.cluster.local"} {
			if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, CurrentTime: now}); err != nil {
				t.Errorf("certificate for %s: %v", name, err)
			}
		}
		if data["ca.crt"] != bundle {
			t.Error("ca.crt is not the CA")
		}
	})
	t.Run("missing certificate", func(t *testing.T) {
		objs := generateTestdata(t)
		var kept []*unstructured.Unstructured
		for _, o := range objs {
			if o.GetKind() != "Certificate" {
				kept = append(kept, o)
			}
		}
		if _, err := Prepare(kept, ca, now); err == nil {
			t.Error("an injection from a missing Certificate: no error")
		}
	})
}

func TestServingCertNeedsNames(t *testing.T) {
	ca, err := NewCA(now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ca.ServingCert(now, nil); err == nil {
		t.Error("a certificate without DNS names: no error")
	}
	block, _ := pem.Decode(ca.PEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.NotAfter.Before(now.Add(365*24*time.Hour)) {
		t.Errorf("CA: IsCA %v, NotAfter %s", cert.IsCA, cert.NotAfter)
	}
}

func TestApplyRank(t *testing.T) {
	kinds := []string{"MutatingWebhookConfiguration", "Deployment", "CustomResourceDefinition", "Namespace", "Secret", "ValidatingWebhookConfiguration"}
	objs := make([]*unstructured.Unstructured, len(kinds))
	for i, k := range kinds {
		objs[i] = &unstructured.Unstructured{Object: map[string]any{"kind": k}}
	}
	tests := []struct {
		before, after string
	}{
		{"Namespace", "CustomResourceDefinition"},
		{"CustomResourceDefinition", "Deployment"},
		{"Secret", "ValidatingWebhookConfiguration"},
		{"Deployment", "MutatingWebhookConfiguration"},
	}
	rank := map[string]int{}
	for _, o := range objs {
		rank[o.GetKind()] = applyRank(o)
	}
	for _, tt := range tests {
		t.Run(tt.before+" before "+tt.after, func(t *testing.T) {
			if rank[tt.before] >= rank[tt.after] {
				t.Errorf("rank %s %d, %s %d", tt.before, rank[tt.before], tt.after, rank[tt.after])
			}
		})
	}
}
